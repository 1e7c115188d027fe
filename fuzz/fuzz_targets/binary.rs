//! Binary sessions (`.hbs`, `application/vnd.hoofbeat.imu`): `decode` and the
//! header-only `validate` the upload path uses must agree, and neither may
//! allocate beyond the declared sample limit.
#![no_main]
use hoofbeat_fuzz::{check, decoder_limit, measure};
use libfuzzer_sys::fuzz_target;
use shared::sensor::{self, Format};

fuzz_target!(|data: &[u8]| {
    let (decoded, usage) = measure(|| sensor::decode(Format::Binary, data));
    check("binary decode", data.len(), usage, decoder_limit(data.len()));
    let (summary, usage) = measure(|| sensor::validate(Format::Binary, data));
    check("binary validate", data.len(), usage, decoder_limit(data.len()));
    match (decoded, summary) {
        (Ok(d), Ok(s)) => {
            assert_eq!(d.recording.len(), s.sample_count);
            assert_eq!(d.started_at_unix_ms, s.started_at_unix_ms);
        }
        (Err(a), Err(b)) => assert_eq!(a.kind, b.kind),
        (d, s) => panic!("decode and validate disagree: {:?} vs {:?}", d.map(|_| ()), s),
    }
});
