//! Shared support of the fuzz targets: an allocation meter (the targets
//! check that no input makes a parser allocate beyond its declared limit)
//! and the API's cursor parsers, compiled from their source (see build.rs).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The API's private cursor parsers, cut from `api/src/routes` at build time.
pub mod cursors {
    include!(concat!(env!("OUT_DIR"), "/cursors.rs"));
}

/// Slack allowed on top of a parser's proportional limit: error messages,
/// serde/flate2 state, the 64 KiB inflate buffer.
pub const SLACK: usize = 1 << 20;

/// System allocator that keeps the live and peak byte counts.
pub struct Meter;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static LARGEST: AtomicUsize = AtomicUsize::new(0);
static MAX_SEEN: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize) {
    let live = LIVE.fetch_add(size, Relaxed) + size;
    PEAK.fetch_max(live, Relaxed);
    LARGEST.fetch_max(size, Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; only counters are added.
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static METER: Meter = Meter;

/// What [`measure`] saw.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// Highest bytes live during the call, above those live before it.
    pub peak: usize,
    /// Largest single allocation during the call.
    pub largest: usize,
}

/// Runs `f` and reports its allocations.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Usage) {
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    LARGEST.store(0, Relaxed);
    let r = f();
    let usage = Usage {
        peak: PEAK.load(Relaxed).saturating_sub(base),
        largest: LARGEST.load(Relaxed),
    };
    (r, usage)
}

/// Panics (a libFuzzer crash) when `usage` is over `limit`; prints a line
/// each time the run's highest peak grows by a quarter, for RELIABILITY.md.
pub fn check(what: &str, input_len: usize, usage: Usage, limit: usize) {
    assert!(
        usage.peak <= limit,
        "{what}: {} bytes allocated at peak for a {input_len}-byte input, limit {limit}",
        usage.peak
    );
    let seen = MAX_SEEN.load(Relaxed);
    if usage.peak > seen + seen / 4 {
        MAX_SEEN.store(usage.peak, Relaxed);
        eprintln!(
            "#peak-alloc {what}: {} bytes at peak (largest block {}) for a {input_len}-byte input",
            usage.peak, usage.largest
        );
    }
}

/// The decoders' declared bound: about 7 × 8 bytes per sample, and no more
/// samples than input bytes (a CSV row needs at least a newline, a binary
/// frame 12 bytes, a JSON sample ~40) — so 64 bytes per input byte, plus slack,
/// and never more than `MAX_SAMPLES` samples' worth.
pub fn decoder_limit(input_len: usize) -> usize {
    let per_input = input_len.saturating_mul(64);
    let absolute = shared::sensor::MAX_SAMPLES * 7 * 8 * 2;
    per_input.min(absolute) + SLACK
}
