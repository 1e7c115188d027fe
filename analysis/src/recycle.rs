//! Reuse of the resampled rows between analyses.
//!
//! Each analysis resamples the session into full-length rows (acceleration
//! and angular rate, 6 × f64 per 50 Hz point: 8.6 MB for 1 h). Freed at the
//! end of the analysis, they are returned to the operating system by the
//! allocator and the next analysis faults fresh, zero-filled pages in again
//! (about a fifth of the CPU time of a 1-h analysis went to the kernel). The
//! rows are therefore handed back here when a segment is done
//! ([`give`]) and taken again by the next resampling ([`take`]).
//!
//! At most [`KEEP`] buffers and [`KEEP_BYTES`] are kept, so what the process
//! holds between analyses is bounded whatever it analysed (a buffer of a
//! 4-h session's rows is 17 MB).

use std::sync::Mutex;

/// Buffers kept between analyses: the acceleration and angular-rate rows of
/// a few segments analysed at once, and the gait features' half-rate
/// signals, energy prefixes and burst-energy prefix.
pub const KEEP: usize = 16;

static SPARE: Mutex<Vec<Vec<f64>>> = Mutex::new(Vec::new());

/// A buffer of `len` values, the smallest spare one that is large enough if
/// there is one. Its contents are unspecified (zeros or a previous
/// analysis's values): the caller writes every value.
pub fn take(len: usize) -> Vec<f64> {
    let spare = SPARE.lock().ok().and_then(|mut s| {
        let i = (0..s.len())
            .filter(|&i| s[i].capacity() >= len)
            .min_by_key(|&i| s[i].capacity())?;
        Some(s.swap_remove(i))
    });
    match spare {
        Some(mut v) => {
            v.truncate(len);
            v.resize(len, 0.0);
            v
        }
        None => vec![0.0; len],
    }
}

/// Bytes kept between analyses at most: a long-running worker holds no more
/// than this for reuse, whatever the sessions it analysed (a 4-h session's
/// rows alone would be ≈ 100 MB). A 1-h session's buffers fit several times.
pub const KEEP_BYTES: usize = 64 << 20;

/// Hands a buffer back for a later [`take`]; beyond [`KEEP`] buffers the
/// smallest is freed, and beyond [`KEEP_BYTES`] the largest.
pub fn give(v: Vec<f64>) {
    if v.capacity() == 0 || v.capacity() * size_of::<f64>() > KEEP_BYTES {
        return;
    }
    let Ok(mut s) = SPARE.lock() else {
        return;
    };
    s.push(v);
    if s.len() > KEEP
        && let Some(i) = (0..s.len()).min_by_key(|&i| s[i].capacity())
    {
        s.swap_remove(i);
    }
    while s
        .iter()
        .map(|b| b.capacity() * size_of::<f64>())
        .sum::<usize>()
        > KEEP_BYTES
    {
        match (0..s.len()).max_by_key(|&i| s[i].capacity()) {
            Some(i) => drop(s.swap_remove(i)),
            None => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A taken buffer has the asked length whatever was given back before.
    #[test]
    fn take_gives_the_asked_length() {
        give(vec![1.0; 100]);
        give(vec![2.0; 10]);
        for len in [5, 50, 100, 1000, 0] {
            let v = take(len);
            assert_eq!(v.len(), len);
            give(v);
        }
        let kept = SPARE.lock().map(|s| s.len()).unwrap_or(0);
        assert!(kept <= KEEP);
    }

    /// What is kept never exceeds the byte cap, and a buffer over it is
    /// freed at once.
    #[test]
    fn kept_bytes_stay_under_the_cap() {
        let quarter = KEEP_BYTES / 4 / size_of::<f64>();
        for _ in 0..8 {
            give(vec![0.0; quarter + 1]);
        }
        give(vec![0.0; KEEP_BYTES / size_of::<f64>() + 1]);
        let kept: usize = SPARE
            .lock()
            .map(|s| s.iter().map(|b| b.capacity() * size_of::<f64>()).sum())
            .unwrap_or(0);
        assert!(kept <= KEEP_BYTES, "{kept} bytes kept");
    }
}
