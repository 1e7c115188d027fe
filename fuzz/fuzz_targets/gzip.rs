//! Gzip-wrapped bodies: `Content-Encoding: gzip` uploads (`gunzip_within`
//! with the server-wide memory budget, then `decode`) and stored samples
//! (`stored_bytes`). The first input byte picks the cap and the format; the
//! rest is the body. The output never exceeds the cap, its buffer never
//! exceeds the cap nor what the budget granted, and peak memory stays within
//! the cap plus a fixed slack.
#![no_main]
use hoofbeat_fuzz::{SLACK, check, decoder_limit, measure};
use libfuzzer_sys::fuzz_target;
use shared::sensor::{self, Format, GunzipError};

/// Caps tried: tiny ones to hit the limit often, and the API's default
/// `HOOFBEAT_MAX_DECOMPRESSED_BYTES` (128 MiB).
const CAPS: [usize; 6] = [0, 1, 100, 4096, 1 << 20, 128 << 20];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else { return };
    let cap = CAPS[usize::from(sel) % CAPS.len()];
    let format = Format::ALL[usize::from(sel / 8) % Format::ALL.len()];

    // The upload path, with a budget that counts what it grants.
    let mut granted = 0_usize;
    let (out, usage) = measure(|| {
        sensor::gunzip_within(body, cap, &mut |n| {
            granted += n;
            true
        })
    });
    check("gunzip_within", body.len(), usage, cap + SLACK);
    if let Ok(out) = &out {
        assert!(out.len() <= cap, "{} bytes out, cap {cap}", out.len());
        assert!(out.capacity() <= cap, "buffer of {} bytes, cap {cap}", out.capacity());
        assert!(out.capacity() <= granted, "buffer of {} bytes, budget granted {granted}", out.capacity());
        let (_, usage) = measure(|| sensor::decode(format, out));
        check("decode after gunzip", out.len(), usage, decoder_limit(out.len()));
    }

    // A budget that refuses: never an allocation it did not grant.
    let mut left = usize::from(sel) * 64;
    match sensor::gunzip_within(body, cap, &mut |n| {
        if n <= left {
            left -= n;
            true
        } else {
            false
        }
    }) {
        Ok(out) => assert!(out.capacity() <= usize::from(sel) * 64),
        Err(GunzipError::OverBudget | GunzipError::Decode(_)) => {}
    }

    // Stored samples (`byte_len` bounds the inflation): the same inflater
    // with an unlimited budget, so only a quarter of the inputs take it.
    if sel & 0xc0 != 0xc0 {
        return;
    }
    let (stored, usage) = measure(|| sensor::stored_bytes(body, "gzip", cap));
    check("stored_bytes", body.len(), usage, cap + SLACK);
    if let Ok(b) = stored {
        assert!(b.len() <= cap);
        // Same bytes as the upload path.
        assert_eq!(out.as_deref().ok(), Some(&*b));
    }
});
