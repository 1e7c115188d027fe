//! The job envelope contract: round trips, garbage, wrong kind or version,
//! and the forward-compatibility rule (unknown fields are ignored).

use std::collections::BTreeMap;

use shared::jobs::{AnalyzeSession, AnyJob, ComputeTrend, ContractError, Job, JobMessage};
use uuid::Uuid;

fn trace() -> BTreeMap<String, String> {
    BTreeMap::from([(
        "traceparent".to_owned(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
    )])
}

fn analyze_message() -> (Uuid, AnalyzeSession, JobMessage) {
    let job_id = Uuid::now_v7();
    let job = AnalyzeSession {
        session_id: Uuid::new_v4(),
    };
    let msg = JobMessage::new(job_id, &job, trace()).expect("serializable job");
    (job_id, job, msg)
}

#[test]
fn round_trip_keeps_every_field() {
    let (job_id, job, msg) = analyze_message();
    assert_eq!(msg.job_id, job_id);
    assert_eq!(msg.kind, AnalyzeSession::KIND);
    assert_eq!(msg.version, AnalyzeSession::VERSION);
    assert_eq!(msg.attempt, 1);

    let decoded = JobMessage::from_bytes(&msg.to_bytes()).expect("valid envelope");
    assert_eq!(decoded, msg);
    assert_eq!(decoded.decode_payload::<AnalyzeSession>().unwrap(), job);
    assert_eq!(decoded.decode().unwrap(), AnyJob::AnalyzeSession(job));
}

#[test]
fn compute_trend_round_trips_through_decode() {
    let job = ComputeTrend {
        horse_id: Uuid::new_v4(),
    };
    let msg = JobMessage::new(Uuid::now_v7(), &job, BTreeMap::new()).unwrap();
    let decoded = JobMessage::from_bytes(&msg.to_bytes()).unwrap();
    assert_eq!(decoded.decode().unwrap(), AnyJob::ComputeTrend(job));
}

#[test]
fn wire_format_is_stable() {
    let (job_id, job, msg) = analyze_message();
    let json: serde_json::Value = serde_json::from_slice(&msg.to_bytes()).unwrap();
    assert_eq!(json["job_id"], job_id.to_string());
    assert_eq!(json["kind"], "analyze_session");
    assert_eq!(json["version"], 1);
    assert_eq!(json["attempt"], 1);
    assert_eq!(json["payload"]["session_id"], job.session_id.to_string());
    assert!(json["enqueued_at"].is_string());
    assert!(json["trace_context"]["traceparent"].is_string());
}

#[test]
fn next_attempt_only_increments_the_attempt() {
    let (_, _, msg) = analyze_message();
    let retry = msg.next_attempt();
    assert_eq!(retry.attempt, 2);
    assert_eq!(
        JobMessage {
            attempt: 1,
            ..retry
        },
        msg
    );
}

#[test]
fn garbage_bytes_are_malformed() {
    for garbage in [
        &b""[..],
        b"\xff\xfe\x00garbage",
        b"{\"job_id\": 42}",
        b"[1,2,3]",
    ] {
        let err = JobMessage::from_bytes(garbage).unwrap_err();
        assert!(
            matches!(err, ContractError::Malformed { .. }),
            "{garbage:?} gave {err:?}"
        );
        assert!(
            err.to_string().starts_with("malformed job envelope: "),
            "{err}"
        );
    }
}

#[test]
fn payload_not_matching_its_schema_is_malformed() {
    let (_, _, mut msg) = analyze_message();
    msg.payload = serde_json::json!({ "session_id": "not-a-uuid" });
    let err = msg.decode_payload::<AnalyzeSession>().unwrap_err();
    assert!(matches!(err, ContractError::Malformed { .. }), "{err:?}");
    assert!(err.to_string().contains("analyze_session"), "{err}");
}

#[test]
fn wrong_version_is_refused_with_a_clear_message() {
    let (_, _, mut msg) = analyze_message();
    msg.version = 2;
    let msg = JobMessage::from_bytes(&msg.to_bytes()).unwrap();
    let err = msg.decode_payload::<AnalyzeSession>().unwrap_err();
    assert!(
        matches!(
            err,
            ContractError::UnsupportedVersion {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "unsupported version 2 of job kind \"analyze_session\" (this build supports version 1)"
    );
    assert!(matches!(
        msg.decode(),
        Err(ContractError::UnsupportedVersion { .. })
    ));
}

#[test]
fn wrong_kind_is_refused_with_a_clear_message() {
    let (_, _, msg) = analyze_message();
    let err = msg.decode_payload::<ComputeTrend>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown job kind \"analyze_session\" (expected compute_trend)"
    );

    let mut unknown = msg;
    unknown.kind = "groom_horse".to_owned();
    let err = unknown.decode().unwrap_err();
    assert!(
        matches!(&err, ContractError::UnknownKind { found, .. } if found == "groom_horse"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("analyze_session, compute_trend"),
        "{err}"
    );
}

#[test]
fn unknown_fields_are_ignored_for_forward_compatibility() {
    let (_, job, msg) = analyze_message();
    let mut json: serde_json::Value = serde_json::from_slice(&msg.to_bytes()).unwrap();
    json["priority"] = serde_json::json!("high");
    json["payload"]["reprocess"] = serde_json::json!(true);
    let decoded = JobMessage::from_bytes(&serde_json::to_vec(&json).unwrap()).unwrap();
    assert_eq!(decoded.decode_payload::<AnalyzeSession>().unwrap(), job);
}

#[test]
fn missing_trace_context_defaults_to_empty() {
    let (_, _, msg) = analyze_message();
    let mut json: serde_json::Value = serde_json::from_slice(&msg.to_bytes()).unwrap();
    json.as_object_mut().unwrap().remove("trace_context");
    let decoded = JobMessage::from_bytes(&serde_json::to_vec(&json).unwrap()).unwrap();
    assert!(decoded.trace_context.is_empty());
}
