//! JSON sessions (`application/json`).
#![no_main]
use hoofbeat_fuzz::{check, decoder_limit, measure};
use libfuzzer_sys::fuzz_target;
use shared::sensor::{self, Format};

fuzz_target!(|data: &[u8]| {
    let (decoded, usage) = measure(|| sensor::decode(Format::Json, data));
    check("json decode", data.len(), usage, decoder_limit(data.len()));
    if let Ok(d) = decoded {
        let r = &d.recording;
        assert!(r.len() <= sensor::MAX_SAMPLES);
        assert!(r.t.windows(2).all(|w| w[0] < w[1]), "time not strictly increasing");
        assert!(r.acc.iter().chain(&r.gyro).all(|c| c.len() == r.len()));
    }
});
