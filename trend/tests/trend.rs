//! The trend algorithms on hand-built session features: exact workload
//! figures, baselines, alert confirmation and clearing, determinism and
//! order independence, windows.

mod common;

use common::{session, with_min_diff, wobble};
use trend::{Granularity, SessionFeatures, TrendConfig, Window, compute, to_json};

fn cfg() -> TrendConfig {
    TrendConfig::default()
}

/// Four sessions a week for `weeks` weeks (Mon, Tue, Thu, Sat).
fn history(weeks: i64) -> Vec<SessionFeatures> {
    (0..weeks)
        .flat_map(|w| [0, 1, 3, 5].map(|d| w * 7 + d))
        .enumerate()
        .map(|(i, day)| with_min_diff(session(day), 0.5 + wobble(i as i64, 1.0)))
        .collect()
}

#[test]
fn workload_figures_are_exact_sums() {
    let sessions = history(6);
    let doc = compute(&sessions, &cfg());
    let total: f64 = doc.workload.daily.iter().map(|d| d.load).sum();
    assert!(
        (total - 66.0 * sessions.len() as f64).abs() < 1e-6,
        "{total}"
    );
    // Rest days are in the series with zero load.
    assert_eq!(doc.workload.daily.len(), 6 * 7 - 1);
    assert_eq!(doc.workload.daily[2].load, 0.0);
    // 7-day and 28-day rolling sums are exact.
    let d = &doc.workload.daily[27];
    assert_eq!(d.rolling_7d, 4.0 * 66.0);
    assert_eq!(d.rolling_28d, 16.0 * 66.0);
    // Steady riding: the ratio is near 1 once the chronic window is full.
    assert!(doc.workload.daily[..27].iter().all(|d| d.ratio.is_none()));
    let r = d.ratio.expect("ratio after 28 days");
    assert!((0.8..1.3).contains(&r), "{r}");
    // Weekly figures: monotony = mean / sd of the 7 days, strain = load × monotony.
    let w = &doc.workload.weekly[1];
    assert!(!w.partial);
    let mean: f64 = 4.0 * 66.0 / 7.0;
    let sd = ((4.0 * (66.0 - mean).powi(2) + 3.0 * mean * mean) / 6.0f64).sqrt();
    assert!((w.monotony.unwrap() - mean / sd).abs() < 1e-3);
    assert!((w.strain.unwrap() - 264.0 * mean / sd).abs() < 0.1);
    // Volume per week and per day.
    assert_eq!(doc.volume.weekly.len(), 6);
    assert_eq!(doc.volume.weekly[0].sessions, 4);
    assert_eq!(doc.volume.weekly[0].period, "2026-W37");
    assert_eq!(doc.volume.daily.len(), 24);
    let trot = doc.volume.daily[0]
        .gaits
        .iter()
        .find(|g| g.gait == trend::Gait::Trot)
        .unwrap();
    assert_eq!(
        (trot.time_s, trot.left_s, trot.rein_balance),
        (720.0, 216.0, Some(0.0))
    );
    assert_eq!(doc.volume.daily[0].riding_s, 2280.0);
    assert!(doc.alerts.is_empty(), "{:#?}", doc.alerts);
}

#[test]
fn workload_spike_opens_and_clears() {
    let mut sessions = history(6);
    // Week 7: ridden every day, three times the load.
    for d in 42..49 {
        let mut s = session(d);
        s.load *= 3.0;
        sessions.push(s);
    }
    // Then two quiet weeks.
    sessions.extend((49..63).step_by(3).map(session));
    let doc = compute(&sessions, &cfg());
    let spikes: Vec<_> = doc
        .alerts
        .iter()
        .filter(|a| a.kind == "workload_spike")
        .collect();
    assert_eq!(spikes.len(), 1, "{:#?}", doc.alerts);
    let a = spikes[0];
    assert!(a.started_at.as_str() >= "2026-10-19" && a.started_at.as_str() <= "2026-10-21");
    assert_eq!(a.status, "cleared");
    assert!(a.evidence.iter().all(|e| e.value > 1.3));
    assert!(
        doc.workload
            .daily
            .iter()
            .any(|d| d.flag.as_deref() == Some("spike"))
    );
}

#[test]
fn asymmetry_needs_a_baseline_and_confirmation() {
    let mut sessions = history(4);
    let n = sessions.len();
    // One deviating session with few strides: a candidate, no alert.
    let mut lone = with_min_diff(session(28), 9.0);
    lone.symmetry.as_mut().unwrap().strides = 40;
    sessions.push(lone);
    sessions.push(session(29));
    let doc = compute(&sessions, &cfg());
    assert!(
        doc.alerts.iter().all(|a| a.kind != "asymmetry"),
        "{:#?}",
        doc.alerts
    );
    // Two in a row: one alert, started at the first, confirmed by the second.
    sessions.push(with_min_diff(session(31), 8.0));
    sessions.push(with_min_diff(session(32), 8.5));
    let doc = compute(&sessions, &cfg());
    let asym: Vec<_> = doc
        .alerts
        .iter()
        .filter(|a| a.kind == "asymmetry")
        .collect();
    assert_eq!(asym.len(), 1, "{:#?}", doc.alerts);
    let a = asym[0];
    assert_eq!(a.metric, "trot.min_diff_mm");
    assert_eq!(a.status, "open");
    assert!(a.started_at.starts_with("2026-10-08"), "{}", a.started_at);
    assert!(a.confirmed_at.starts_with("2026-10-09"));
    assert!(a.message.contains("MinDiff"));
    let base = a.baseline.as_ref().unwrap();
    assert!(base.centre.abs() < 1.5 && base.sessions >= 4, "{base:?}");
    assert!(a.threshold >= 3.5);
    // Back to normal: the alert clears, and the deviating sessions never
    // entered the baseline.
    sessions.push(with_min_diff(session(34), 0.4));
    let doc = compute(&sessions, &cfg());
    let a = doc.alerts.iter().find(|a| a.kind == "asymmetry").unwrap();
    assert_eq!(a.status, "cleared");
    assert!(a.cleared_at.as_deref().unwrap().starts_with("2026-10-11"));
    let m = doc
        .quality
        .iter()
        .find(|m| m.metric == "trot.min_diff_mm")
        .unwrap();
    assert!(m.baseline.as_ref().unwrap().centre < 1.5);
    assert_eq!(m.points.len(), n + 5);
    // No alert before a baseline exists (≥ 4 sessions on ≥ 3 days).
    let early = vec![
        session(0),
        with_min_diff(session(1), 9.0),
        with_min_diff(session(2), 9.0),
    ];
    let doc = compute(&early, &cfg());
    assert!(doc.alerts.is_empty());
    assert!(doc.quality.iter().all(|m| m.baseline.is_none()));
}

#[test]
fn one_session_with_many_strides_confirms_itself() {
    let mut sessions = history(4);
    let mut strong = with_min_diff(session(28), 9.0);
    let y = strong.symmetry.as_mut().unwrap();
    y.strides = 200;
    y.min_diff_ci_mm = Some(1.0);
    sessions.push(strong);
    let doc = compute(&sessions, &cfg());
    let a = doc
        .alerts
        .iter()
        .find(|a| a.kind == "asymmetry")
        .expect("alert");
    assert_eq!(a.started_at, a.confirmed_at);
}

#[test]
fn same_sessions_in_any_order_give_the_same_bytes() {
    let mut sessions = history(5);
    sessions.push(with_min_diff(session(36), 7.0));
    sessions.push(with_min_diff(session(37), 7.5));
    let a = to_json(&compute(&sessions, &cfg()));
    sessions.reverse();
    sessions.swap(3, 11);
    let b = to_json(&compute(&sessions, &cfg()));
    assert_eq!(a, b);
    // Adding a later session does not change earlier alerts' starts.
    sessions.push(with_min_diff(session(40), 7.2));
    let c = compute(&sessions, &cfg());
    let first = compute(&sessions[..sessions.len() - 1], &cfg());
    let starts = |d: &trend::TrendDocument| {
        d.alerts
            .iter()
            .map(|a| (a.id.clone(), a.started_at.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(starts(&c), starts(&first));
}

#[test]
fn exclusions_name_the_reason() {
    let mut short = session(0);
    short.analysed_s = 200.0;
    let mut gappy = session(1);
    gappy.quality.gap_s = 900.0;
    let mut no_trot = session(2);
    no_trot.symmetry = None;
    let mut brief_canter = session(3);
    brief_canter.gaits[3].time_s = 20.0;
    let doc = compute(&[short, gappy, no_trot, brief_canter], &cfg());
    let reasons: Vec<&str> = doc.exclusions.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "too_short",
            "poor_data_quality",
            "too_little_straight_trot",
            "too_little_gait"
        ]
    );
    assert_eq!(doc.exclusions[3].figures[0], "canter.cadence_spm");
    // Volume still counts every session.
    assert_eq!(doc.volume.daily.len(), 4);
    let trot = doc
        .quality
        .iter()
        .find(|m| m.metric == "trot.cadence_spm")
        .unwrap();
    assert_eq!(trot.points.len(), 2);
}

#[test]
fn jump_overload_per_session_and_week() {
    let mut sessions: Vec<SessionFeatures> = (0..4).map(|d| session(d * 2)).collect();
    sessions[1].jumps = 50;
    sessions[2].jumps = 30;
    sessions[3].jumps = 20;
    let doc = compute(&sessions, &cfg());
    let kinds: Vec<(&str, &str)> = doc
        .alerts
        .iter()
        .map(|a| (a.metric.as_str(), a.status.as_str()))
        .collect();
    assert!(
        kinds.contains(&("jumps_per_session", "cleared")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("jumps_per_week", "open"))
            || kinds.contains(&("jumps_per_week", "cleared"))
    );
    assert_eq!(doc.jumps.sessions.len(), 3);
    assert!(doc.jumps.weekly[0].over_limit);
}

#[test]
fn rein_one_sided_across_sessions() {
    let sessions: Vec<SessionFeatures> = (0..8)
        .map(|d| {
            let mut s = session(d);
            let t = &mut s.gaits[2];
            t.left_s = 500.0;
            t.right_s = 100.0;
            s
        })
        .collect();
    let doc = compute(&sessions, &cfg());
    let a = doc
        .alerts
        .iter()
        .find(|a| a.kind == "rein_one_sided")
        .expect("one-sided alert");
    assert_eq!(a.metric, "trot.rein_balance");
    assert!(a.message.contains("left rein"));
    assert_eq!(a.status, "open");
}

#[test]
fn cadence_drop_is_alerted_when_confirmed() {
    let mut sessions = history(4);
    for d in [28, 29] {
        let mut s = session(d);
        s.gaits[2].cadence_spm = 74.0;
        sessions.push(s);
    }
    let doc = compute(&sessions, &cfg());
    let a = doc
        .alerts
        .iter()
        .find(|a| a.kind == "cadence_drop")
        .expect("cadence alert");
    assert_eq!(a.metric, "trot.cadence_spm");
    // A rise is not a drop.
    let mut up = history(4);
    for d in [28, 29] {
        let mut s = session(d);
        s.gaits[2].cadence_spm = 90.0;
        up.push(s);
    }
    assert!(
        compute(&up, &cfg())
            .alerts
            .iter()
            .all(|a| a.kind != "cadence_drop")
    );
}

#[test]
fn windows_keep_one_granularity_and_the_dates_asked() {
    let doc = compute(&history(6), &cfg());
    let from = chrono::NaiveDate::from_ymd_opt(2026, 9, 21);
    let to = chrono::NaiveDate::from_ymd_opt(2026, 9, 27);
    let w = doc.window(Window { from, to }, Some(Granularity::Day));
    assert!(w.volume.weekly.is_empty() && w.workload.weekly.is_empty());
    assert_eq!(w.volume.daily.len(), 4);
    assert_eq!(w.workload.daily.len(), 7);
    assert!(w.quality.iter().all(|m| m.points.len() <= 4));
    let w = doc.window(Window { from, to }, Some(Granularity::Week));
    assert!(w.volume.daily.is_empty());
    assert_eq!(w.volume.weekly.len(), 1);
    assert_eq!(w.volume.weekly[0].period, "2026-W39");
    let all = doc.window(Window::default(), None);
    assert_eq!(all, doc);
}

#[test]
fn no_sessions_is_an_empty_document() {
    let doc = compute(&[], &cfg());
    assert_eq!(doc.sessions, 0);
    assert!(doc.volume.daily.is_empty() && doc.alerts.is_empty());
}
