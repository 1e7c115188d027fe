//! The varied generator (`synth::variety`, issue 8): short varied rides have
//! a consistent truth, and every rate 25–400 Hz decodes and analyses. No
//! accuracy targets here (`hoofbeat evaluate --variety wide` reports those).

use analysis::report::{Gait, Rein};
use analysis::synth::variety::{CanterModel, EventKind, SoftKind, Variation, generate_varied};
use analysis::synth::{SynthConfig, SynthSession, generate};

fn busy(model: CanterModel, arena: bool) -> Variation {
    Variation {
        size: 1.4,
        collection: 0.5,
        canter_model: model,
        arena,
        spooks_per_h: 400.0,
        bucks_per_h: 400.0,
        rising_trot: 1.0,
        lateral_work: 0.5,
        radio_gaps: 3,
        drop_rate: 0.02,
        max_tilt_deg: 25.0,
        soft_jumps: 1.0,
    }
}

fn ride(seed: u64, minutes: f64, rate: f64, v: &Variation) -> SynthSession {
    generate_varied(
        &SynthConfig {
            seed,
            minutes,
            rate_hz: rate,
        },
        v,
    )
}

fn check_truth(s: &SynthSession) {
    let t = &s.truth;
    let eps = 1e-9;
    // Bouts tile the session.
    assert!(t.bouts[0].start_s.abs() < eps);
    for w in t.bouts.windows(2) {
        assert!(
            (w[0].end_s - w[1].start_s).abs() < eps,
            "bouts are contiguous"
        );
    }
    assert!((t.bouts.last().unwrap().end_s - t.duration_s).abs() < eps);
    // Rein segments tile the session, so they cover every bout; a bout's
    // rein is the one its segments spend most time on.
    assert!(t.rein_segments[0].start_s.abs() < eps);
    for w in t.rein_segments.windows(2) {
        assert!((w[0].end_s - w[1].start_s).abs() < eps);
        assert_ne!(w[0].rein, w[1].rein, "neighbouring segments are merged");
    }
    assert!((t.rein_segments.last().unwrap().end_s - t.duration_s).abs() < eps);
    for b in &t.bouts {
        let mut share = [0.0f64; 3];
        for r in &t.rein_segments {
            let o = (r.end_s.min(b.end_s) - r.start_s.max(b.start_s)).max(0.0);
            share[r.rein as usize] += o;
        }
        let covered: f64 = share.iter().sum();
        assert!((covered - (b.end_s - b.start_s)).abs() < 1e-6);
        assert!(share[b.rein as usize] >= share.iter().cloned().fold(0.0, f64::max) - 1e-9);
        if b.gait == Gait::Halt {
            assert_eq!(b.rein, Rein::Straight);
            assert_eq!(b.strides, 0);
        } else {
            assert!(b.stride_hz > 0.3 && b.stride_hz < 3.0, "{b:?}");
        }
        assert_eq!(b.lead.is_some(), b.gait.has_lead());
        assert_eq!(b.min_diff_mm.is_some(), b.gait == Gait::Trot);
    }
    // Events lie inside one non-halt bout each (the surrounding gait).
    for e in &t.events {
        assert!(e.end_s > e.start_s);
        let inside = t
            .bouts
            .iter()
            .find(|b| e.start_s >= b.start_s - eps && e.end_s <= b.end_s + eps)
            .unwrap_or_else(|| panic!("event outside every bout: {e:?}"));
        assert_ne!(inside.gait, Gait::Halt);
        match e.kind {
            EventKind::Buck => assert_ne!(inside.gait, Gait::Walk),
            EventKind::RisingTrot => assert_eq!(inside.gait, Gait::Trot),
            EventKind::LateralWork => {
                assert!(t.rein_segments.iter().any(|r| r.rein == Rein::Straight
                    && r.start_s <= e.start_s + eps
                    && r.end_s >= e.end_s - eps));
            }
            EventKind::Spook => {}
        }
    }
    // Jumps: inside canter bouts; soft pushes stay under 1.3 g, normal ones
    // above it; flight is the ballistic phase.
    for j in &t.jumps {
        assert!(
            t.bouts
                .iter()
                .any(|b| b.gait == Gait::Canter && j.time_s > b.start_s && j.time_s < b.end_s)
        );
        let push = j.push_g.expect("varied jumps record their push");
        match j.soft {
            Some(SoftKind::SoftPush) => assert!(push < 1.3, "{j:?}"),
            None => assert!(push >= 2.0),
            Some(SoftKind::NoPlateau) => assert!(push > 1.0),
        }
        assert!(j.flight_s >= 0.2 && j.flight_s <= 0.6, "{j:?}");
        assert!((j.rise_cm - 9.80665 * j.flight_s.powi(2) / 8.0 * 100.0).abs() < 1e-9);
    }
    assert!(t.mount_tilt_deg <= 25.0 + 1e-6);
    assert!(t.variation.is_some());
}

#[test]
fn varied_rides_have_consistent_truth() {
    let mut kinds = std::collections::HashSet::new();
    let mut soft = 0;
    for (i, (model, arena)) in [
        (CanterModel::Quadrature, true),
        (CanterModel::Pendular, true),
        (CanterModel::Quadrature, false),
        (CanterModel::Pendular, false),
    ]
    .into_iter()
    .enumerate()
    {
        for seed in 0..3u64 {
            let s = ride(100 + 10 * i as u64 + seed, 12.0, 50.0, &busy(model, arena));
            check_truth(&s);
            kinds.extend(s.truth.events.iter().map(|e| e.kind));
            soft += s.truth.jumps.iter().filter(|j| j.soft.is_some()).count();
            if arena {
                let turning = s
                    .truth
                    .rein_segments
                    .iter()
                    .filter(|r| r.rein != Rein::Straight);
                assert!(turning.count() >= 4, "arena tracks have corners");
            }
        }
    }
    for k in [
        EventKind::Spook,
        EventKind::Buck,
        EventKind::LateralWork,
        EventKind::RisingTrot,
    ] {
        assert!(kinds.contains(&k), "{k:?} never generated");
    }
    assert!(soft > 0, "soft jumps are generated");
}

#[test]
fn wide_set_truth_is_consistent() {
    for i in 0..8 {
        let (mut cfg, v) = Variation::wide_config(7, i, 4.0, 6.0);
        cfg.rate_hz = 50.0;
        check_truth(&generate_varied(&cfg, &v));
    }
}

#[test]
fn varied_generation_is_deterministic_and_leaves_the_default_alone() {
    let v = busy(CanterModel::Pendular, true);
    let a = ride(3, 3.0, 100.0, &v);
    let b = ride(3, 3.0, 100.0, &v);
    assert_eq!(a.truth, b.truth);
    assert_eq!(a.recording.acc, b.recording.acc);
    // The default generator's truth has none of the variety fields.
    let d = generate(&SynthConfig {
        seed: 3,
        minutes: 3.0,
        rate_hz: 100.0,
    });
    assert!(d.truth.variation.is_none() && d.truth.rein_segments.is_empty());
    let json = serde_json::to_string(&d.truth).unwrap();
    assert!(!json.contains("variation") && !json.contains("rein_segments"));
}

#[test]
fn every_rate_decodes_and_analyses() {
    for (k, rate) in [25.0, 30.0, 52.0, 100.0, 120.0, 250.0, 400.0]
        .into_iter()
        .enumerate()
    {
        let s = ride(
            40 + k as u64,
            3.0,
            rate,
            &busy(CanterModel::Quadrature, k % 2 == 0),
        );
        let csv = shared::sensor::encode_csv(&s.recording);
        let decoded = shared::sensor::decode(shared::sensor::Format::Csv, &csv)
            .unwrap_or_else(|e| panic!("{rate} Hz: decode failed: {e}"))
            .recording;
        let a = analysis::analyze(&decoded)
            .unwrap_or_else(|e| panic!("{rate} Hz: analysis failed: {e}"));
        assert!(!a.bouts.is_empty(), "{rate} Hz");
        assert!((s.truth.rate_hz - rate).abs() < 1e-9);
    }
}
