//! The analysis never panics, whatever the input, and does not depend on
//! where the timestamps start.

use analysis::{AnalysisError, analyze, to_json};
use proptest::prelude::*;
use shared::sensor::Recording;

fn recording(t: Vec<f64>, f: impl Fn(usize, usize) -> f64) -> Recording {
    let n = t.len();
    let col = |c: usize| (0..n).map(|i| f(c, i)).collect::<Vec<f64>>();
    Recording {
        sample_rate_hz: 100.0,
        acc: [col(0), col(1), col(2)],
        gyro: [col(3), col(4), col(5)],
        t,
    }
}

fn short_session() -> Recording {
    analysis::synth::generate(&analysis::synth::SynthConfig {
        seed: 9,
        minutes: 3.0,
        rate_hz: 50.0,
    })
    .recording
}

#[test]
fn empty_and_single_sample() {
    let a = analyze(&Recording::default()).expect("empty is analysable");
    assert!(a.bouts.is_empty());
    let one = recording(vec![5.0], |c, _| if c == 2 { 9.81 } else { 0.0 });
    let a = analyze(&one).expect("one sample");
    assert!(a.bouts.is_empty());
    assert_eq!(a.quality.samples, 1);
}

#[test]
fn constant_signal_is_a_halt() {
    let t: Vec<f64> = (0..3000).map(|i| i as f64 / 50.0).collect();
    let a = analyze(&recording(t, |c, _| if c == 2 { 9.81 } else { 0.0 })).expect("valid");
    assert!(
        a.bouts.iter().all(|b| b.gait == analysis::Gait::Halt),
        "{:?}",
        a.bouts
    );
    assert!(a.jumps.is_empty());
}

#[test]
fn invalid_input_is_an_error_not_a_panic() {
    let t = vec![0.0, 0.01, 0.02];
    let mut r = recording(t.clone(), |_, _| 0.0);
    r.acc[1][2] = f64::NAN;
    assert_eq!(analyze(&r), Err(AnalysisError::NonFinite { index: 2 }));
    let r = recording(vec![0.0, 0.01, 0.01], |_, _| 0.0);
    assert_eq!(
        analyze(&r),
        Err(AnalysisError::NonIncreasingTime { index: 2 })
    );
    let mut r = recording(t, |_, _| 0.0);
    r.gyro[0].pop();
    assert_eq!(analyze(&r), Err(AnalysisError::LengthMismatch));
}

#[test]
fn huge_gaps_split_the_session() {
    let mut t: Vec<f64> = (0..1000).map(|i| i as f64 / 100.0).collect();
    t.extend((0..1000).map(|i| 3000.0 + i as f64 / 100.0));
    t.extend((0..10).map(|i| 9000.0 + i as f64));
    let a = analyze(&recording(t, |c, i| {
        if c == 2 {
            9.81 + 0.01 * (i as f64).sin()
        } else {
            0.0
        }
    }))
    .expect("valid");
    assert_eq!(a.quality.gaps.len(), 2);
    assert!(
        a.bouts
            .iter()
            .all(|b| b.end_s <= 10.0 || b.start_s >= 3000.0)
    );
}

#[test]
fn four_hour_session() {
    // 4 h at 25 Hz of a girth at rest with noise.
    let n = 4 * 3600 * 25;
    let t: Vec<f64> = (0..n).map(|i| i as f64 / 25.0).collect();
    let a = analyze(&recording(t, |c, i| {
        let noise = ((i * 7919 + c * 104_729) % 1000) as f64 / 1000.0 - 0.5;
        if c == 2 {
            9.81 + 0.05 * noise
        } else {
            0.05 * noise
        }
    }))
    .expect("valid");
    assert!((a.quality.duration_s - 14_399.96).abs() < 0.01);
}

#[test]
fn output_is_deterministic_and_round_trips() {
    let rec = short_session();
    let a = analyze(&rec).expect("valid");
    let b = analyze(&rec).expect("valid");
    assert_eq!(to_json(&a), to_json(&b));
    let back: analysis::SessionAnalysis = serde_json::from_slice(&to_json(&a)).expect("json");
    assert_eq!(to_json(&back), to_json(&a));
    assert_eq!(a.algorithm_version, analysis::ALGORITHM_VERSION);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn extreme_values_and_irregular_time_never_panic(
        n in 2usize..800,
        exp in 0i32..300,
        steps in proptest::collection::vec(1e-4f64..3.0, 1..800),
    ) {
        let mut t = vec![0.0];
        for i in 1..n {
            let last = t[i - 1];
            t.push(last + steps[i % steps.len()]);
        }
        let big = 10f64.powi(exp);
        let rec = recording(t, |c, i| if (i + c) % 3 == 0 { big } else { -big * 0.5 });
        let _ = analyze(&rec);
    }

    #[test]
    fn random_noise_never_panics(
        n in 0usize..1500,
        rate in 25.0f64..400.0,
        scale in 0.0f64..200.0,
        seed in any::<u64>(),
        gap_at in 0usize..1500,
        gap in 0.0f64..100.0,
    ) {
        let mut x = seed | 1;
        let mut next = move || {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let t: Vec<f64> = (0..n).map(|i| i as f64 / rate + if i >= gap_at { gap } else { 0.0 }).collect();
        let vals: Vec<[f64; 6]> = (0..n).map(|_| [next(), next(), next(), next(), next(), next()]).collect();
        let rec = recording(t, |c, i| vals[i][c] * scale + if c == 2 { 9.81 } else { 0.0 });
        let a = analyze(&rec);
        prop_assert!(a.is_ok());
    }

    #[test]
    fn shifting_timestamps_changes_nothing(shift_64ths in -640_000i64..6_400_000) {
        let rec = short_session();
        let base = to_json(&analyze(&rec).expect("valid"));
        let shift = shift_64ths as f64 / 64.0;
        let mut shifted = rec.clone();
        shifted.t.iter_mut().for_each(|t| *t += shift);
        let moved = to_json(&analyze(&shifted).expect("valid"));
        prop_assert_eq!(String::from_utf8_lossy(&base), String::from_utf8_lossy(&moved));
    }
}
