//! Hoofbeat trend: a horse's track record over many sessions.
//!
//! Pure and deterministic: [`compute`] takes the per-session
//! [`SessionFeatures`] (derived from each session's analysis, never from raw
//! samples) and returns a [`TrendDocument`]; [`to_json`] gives the canonical
//! bytes that the worker stores and `hoofbeat trend` prints. The same
//! sessions in any order give the same bytes.
//!
//! Where things live:
//! - [`features`]: the per-session inputs (and the [`Gait`] type).
//! - [`config`]: every parameter with its default and source.
//! - [`volume`]: riding per day and per ISO week.
//! - [`workload`]: daily load, acute:chronic ratio, monotony, strain, jumps.
//! - [`quality`]: metrics over time, baselines, slopes, quality alerts.
//! - [`rein`]: the one-sided rein alert; [`exclusions`]: sessions left out and why.
//! - [`window`]: the view of a document over a date window and granularity.
//! - [`document`]: the output types.
//! - [`stats`], [`calendar`]: small helpers.

pub mod calendar;
pub mod config;
pub mod document;
pub mod exclusions;
pub mod features;
pub mod quality;
pub mod rein;
pub mod stats;
pub mod volume;
pub mod window;
pub mod workload;

use chrono::NaiveDate;

pub use config::TrendConfig;
pub use document::{Alert, TrendDocument};
pub use features::{
    DataQuality, FEATURES_VERSION, Gait, GaitFeatures, SessionFeatures, SymmetryFeatures,
};
pub use window::{Granularity, Window};

/// Version of the trend algorithms; stored with every document.
pub const TREND_VERSION: &str = "trend/1.0.0";

/// A session as the algorithms see it: its features, start and name.
#[derive(Debug, Clone)]
pub struct Session<'a> {
    /// How the document names the session: its start, RFC 3339 with
    /// milliseconds (with `#2`, `#3`… for sessions starting the same millisecond).
    pub key: String,
    pub ms: i64,
    pub day: NaiveDate,
    /// UTC days since 1970-01-01 (cheap day arithmetic).
    pub dayno: i64,
    pub f: &'a SessionFeatures,
}

/// Orders the sessions by start (ties by content, so input order never
/// matters) and names them.
pub fn prepare(features: &[SessionFeatures]) -> Vec<Session<'_>> {
    let mut keyed: Vec<&SessionFeatures> = features.iter().collect();
    keyed.sort_by_key(|f| f.started_at_ms);
    // Sessions starting the same millisecond: order them by content.
    let mut i = 0;
    while i < keyed.len() {
        let j = i + keyed[i..]
            .iter()
            .take_while(|f| f.started_at_ms == keyed[i].started_at_ms)
            .count();
        if j - i > 1 {
            keyed[i..j].sort_by_cached_key(|f| serde_json::to_vec(f).unwrap_or_default());
        }
        i = j;
    }
    let mut out: Vec<Session<'_>> = Vec::with_capacity(keyed.len());
    let mut same = 1;
    for f in keyed {
        let base = calendar::timestamp(f.started_at_ms);
        let key = match out.last() {
            Some(p) if p.ms == f.started_at_ms => {
                same += 1;
                format!("{base}#{same}")
            }
            _ => {
                same = 1;
                base
            }
        };
        out.push(Session {
            key,
            ms: f.started_at_ms,
            day: calendar::day_of(f.started_at_ms),
            dayno: f.started_at_ms.div_euclid(86_400_000),
            f,
        });
    }
    out
}

/// Computes the trend document of one horse.
pub fn compute(features: &[SessionFeatures], cfg: &TrendConfig) -> TrendDocument {
    let sessions = prepare(features);
    let (workload, mut alerts) = workload::workload(&sessions, cfg);
    let (jumps, jump_alerts) = workload::jumps(&sessions, cfg);
    let (quality, quality_alerts) = quality::metrics(&sessions, cfg);
    alerts.extend(jump_alerts);
    alerts.extend(quality_alerts);
    alerts.extend(rein::rein_alerts(&sessions, cfg));
    alerts.sort_by(|a, b| {
        a.started_at
            .cmp(&b.started_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    TrendDocument {
        algorithm_version: TREND_VERSION.into(),
        parameters: cfg.clone(),
        sessions: sessions.len() as u32,
        first_session: sessions.first().map(|s| s.key.clone()),
        last_session: sessions.last().map(|s| s.key.clone()),
        volume: volume::series(&sessions),
        workload,
        jumps,
        quality,
        alerts,
        exclusions: exclusions::exclusions(&sessions, cfg),
    }
}

/// `walk` → `Walk`, for the start of an alert's sentence.
pub(crate) fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Canonical bytes of a trend document: compact JSON, fields in declaration
/// order. This is what the worker stores and `hoofbeat trend` prints.
pub fn to_json(doc: &TrendDocument) -> Vec<u8> {
    // Plain structs of numbers and strings cannot fail to serialise; fall back
    // to an empty object rather than panicking all the same.
    serde_json::to_vec(doc).unwrap_or_else(|_| b"{}".to_vec())
}
