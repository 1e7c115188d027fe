//! The job message decoder (AMQP bodies): `JobMessage::from_bytes`, then
//! `decode`; a message that parses must serialize (`to_bytes` says it
//! cannot fail) and parse back to itself.
#![no_main]
use hoofbeat_fuzz::{SLACK, check, measure};
use libfuzzer_sys::fuzz_target;
use shared::jobs::JobMessage;

fuzz_target!(|data: &[u8]| {
    let (msg, usage) = measure(|| JobMessage::from_bytes(data));
    // No declared limit of its own (the broker bounds the frame): check that
    // memory stays proportional to the input.
    check("JobMessage::from_bytes", data.len(), usage, data.len() * 64 + SLACK);
    let Ok(msg) = msg else { return };
    let _ = msg.decode();
    let bytes = msg.to_bytes();
    let back = JobMessage::from_bytes(&bytes).expect("to_bytes output parses");
    assert_eq!(back, msg);
    let _ = msg.next_attempt();
});
