//! The list cursors (query parameter `cursor`): the sessions list's
//! `{µs}_{uuid}` and the admin jobs list's `{µs}.{uuid}`, compiled from the
//! API's own source (see build.rs). A cursor that parses must come back
//! unchanged from the API's formatting of it.
#![no_main]
use hoofbeat_fuzz::cursors::{admin_jobs, sessions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Query strings reach the handlers as percent-decoded UTF-8.
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok((at, id)) = sessions::parse_cursor(s) {
        assert!(sessions::plausible_start(at));
        let again = format!("{}_{}", at.timestamp_micros(), id);
        assert_eq!(sessions::parse_cursor(&again), Ok((at, id)));
    }
    if let Ok((at, id)) = admin_jobs::parse_cursor(s) {
        let again = format!("{}.{}", at.timestamp_micros(), id);
        assert_eq!(admin_jobs::parse_cursor(&again), Ok((at, id)));
    }
});
