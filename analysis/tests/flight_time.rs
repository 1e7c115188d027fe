//! Flight time = the time without ground contact, at the device rates the
//! analysis accepts: a take-off push ramping out, the airborne phase at the
//! in-flight baseline (the centripetal term of the trunk's pitch rotation),
//! a landing impact. Two ways the baseline can meet the stance force:
//! - *onto*: the rotation's term is there through the stance and points
//!   like the ground's push (a girth below the centre of mass), so the force
//!   ramps down onto the baseline, and the flight starts when it gets there;
//! - *under*: the stance force itself ramps to 0 and the rotation's term
//!   appears at take-off (the project's generator), so the samples dip under
//!   the baseline and the flight starts at the bottom of the ramp.
//!
//! Each is sampled at 25–400 Hz with the take-off at several offsets from the
//! sample grid, resampled by the analysis and run through the detector.

use analysis::jumps::{detect_with, raw_window};
use analysis::resample::{FS, resample};
use shared::sensor::Recording;

const G: f64 = 9.80665;

/// |specific force| (m/s²) at time `t`: 1 g, a push of `push_g` over
/// `push_s` (its second half a sine ramp to 0, or onto the baseline), a
/// flight of `flight_s` at `base_g`, a 0.25-s landing impact to 3.5 g.
fn force(
    t: f64,
    take_off: f64,
    push_g: f64,
    push_s: f64,
    flight_s: f64,
    base_g: f64,
    onto: bool,
) -> f64 {
    let pi = std::f64::consts::PI;
    let b = base_g * G;
    let p0 = take_off - push_s;
    let land = take_off + flight_s;
    if t < p0 {
        G
    } else if t < take_off {
        let u = pi * (t - p0) / push_s;
        let stance = if t < p0 + push_s / 2.0 {
            G + (push_g - 1.0) * G * u.sin()
        } else {
            push_g * G * u.sin()
        };
        if onto {
            stance + b * (t - p0) / push_s
        } else {
            stance
        }
    } else if t < land {
        b
    } else if t < land + 0.25 {
        let u = pi * (t - land) / 0.25;
        let impact = if u < pi / 2.0 {
            3.5 * G * u.sin()
        } else {
            G + 2.5 * G * u.sin()
        };
        if onto {
            impact + b * (1.0 - (t - land) / 0.25)
        } else {
            impact
        }
    } else {
        G
    }
}

/// Measured flight (s) of the one jump in a 4-s recording at `rate`.
fn measured(rate: f64, f: impl Fn(f64) -> f64) -> f64 {
    let n = (4.0 * rate) as usize;
    let t: Vec<f64> = (0..n).map(|i| i as f64 / rate).collect();
    let z: Vec<f64> = t.iter().map(|&x| f(x)).collect();
    let rec = Recording {
        sample_rate_hz: rate,
        acc: [vec![0.0; n], vec![0.0; n], z],
        gyro: [vec![0.0; n], vec![0.0; n], vec![0.0; n]],
        t,
    };
    let rs = resample(&rec);
    let seg = &rs.segments[0];
    let amag = seg.acc.row(2).mapv(f64::abs);
    let found = detect_with(amag.view(), |lo, hi| raw_window(&rec, seg.start_s, lo, hi));
    assert_eq!(found.len(), 1, "rate {rate}: {found:?}");
    (found[0].landing - found[0].takeoff) / FS
}

#[test]
fn flight_time_at_every_rate_for_both_baselines() {
    for onto in [true, false] {
        for rate in [25.0, 30.0, 50.0, 60.0, 100.0, 200.0, 400.0] {
            let (mut worst, mut sum, mut n) = (0.0f64, 0.0, 0.0);
            for (k, (push_g, push_s)) in [(2.2, 0.3), (1.2, 0.4), (1.15, 0.45)]
                .into_iter()
                .enumerate()
            {
                for offset in [0.0, 0.25, 0.5, 0.75] {
                    let flight = 0.3 + 0.07 * k as f64;
                    let take_off = 1.5 + offset / rate;
                    let got = measured(rate, |t| {
                        force(t, take_off, push_g, push_s, flight, 0.25, onto)
                    });
                    let err = (got - flight).abs();
                    worst = worst.max(err);
                    sum += err;
                    n += 1.0;
                }
            }
            let mean = sum / n;
            // Onto the baseline: the line through two levels of the ramp
            // reaches the baseline where the contact ends (the sine's
            // curvature costs up to ~11 ms). Under it: exact when a sample
            // shows the dip; when none falls between the baseline and 0
            // (base / slope ≈ 30 ms of a soft push), the flight starts where
            // the ramp meets the baseline, up to that long early. At 25–30 Hz
            // a sample is 33–40 ms.
            let (worst_limit, mean_limit) = match (onto, rate >= 50.0) {
                (true, true) => (0.012, 0.008),
                (false, true) => (0.017, 0.009),
                (_, false) => (0.031, 0.018),
            };
            eprintln!(
                "onto {onto}, {rate} Hz: worst {:.1} ms, mean {:.1} ms",
                worst * 1000.0,
                mean * 1000.0
            );
            assert!(
                worst <= worst_limit && mean <= mean_limit,
                "onto {onto}, {rate} Hz: worst {:.1} ms, mean {:.1} ms",
                worst * 1000.0,
                mean * 1000.0
            );
        }
    }
}

/// The generator's own jumps (`synth::physics`): a normal jump, a soft push
/// and one without a low-force plateau (hind limbs still pushing, forelimbs
/// reaching, the limb swing shaking the trunk in between), rendered as
/// |specific force| at every rate with the take-off at several offsets from
/// the sample grid. The truth is the generator's: the ballistic phase, where
/// the ground-reaction force is exactly 0. Target: within 15 ms; asserted
/// per kind and rate band at what the detector reaches (see below).
#[test]
fn generator_jumps_flight_time_at_every_rate() {
    use analysis::synth::physics::{JumpShape, SoftJump};
    let base = JumpShape {
        takeoff_s: 0.3,
        flight_s: 0.45,
        landing_s: 0.25,
        push: 2.2 * G,
        impact: 3.5 * G,
        push_pitch_rate: 2.0,
        landing_pitch: 0.3,
    };
    let soft_push = SoftJump {
        base: JumpShape {
            takeoff_s: 0.4,
            push: 1.15 * G,
            ..base
        },
        tail_s: 0.0,
        tail_g: 0.0,
        ballistic_s: 0.45,
        reach_s: 0.0,
        reach_g: 0.0,
        wobble_g: 0.03,
    };
    let no_plateau_tail = |tail_s: f64, ballistic_s: f64, wobble_g: f64, tail_g: f64| SoftJump {
        base: JumpShape {
            flight_s: tail_s + ballistic_s + 0.07,
            push: 1.6 * G,
            ..base
        },
        tail_s,
        tail_g,
        ballistic_s,
        reach_s: 0.07,
        reach_g: 0.45,
        wobble_g,
    };
    let no_plateau = |tail_s: f64, ballistic_s: f64, wobble_g: f64| {
        no_plateau_tail(tail_s, ballistic_s, wobble_g, 0.5)
    };
    let plain = SoftJump {
        base,
        tail_s: 0.0,
        tail_g: 0.0,
        ballistic_s: base.flight_s,
        reach_s: 0.0,
        reach_g: 0.0,
        wobble_g: 0.0,
    };
    let jumps = [
        ("normal", plain),
        ("soft push", soft_push),
        ("no plateau", no_plateau(0.09, 0.3, 0.2)),
        ("no plateau", no_plateau(0.07, 0.25, 0.1)),
        ("hind lobe", no_plateau_tail(0.1, 0.3, 0.2, 0.7)),
        ("hind lobe", no_plateau_tail(0.08, 0.25, 0.25, 0.65)),
    ];
    // (kind, at least 50 Hz): worst error, jumps, jumps within 15 ms.
    let mut stats = std::collections::BTreeMap::<(&str, bool), (f64, u32, u32)>::new();
    for (name, jump) in jumps {
        for rate in [25.0, 30.0, 50.0, 60.0, 100.0, 104.0, 200.0, 400.0] {
            for offset in [0.0, 0.25, 0.5, 0.75] {
                let start = 1.5 + offset / rate;
                let end = start + jump.total_s();
                let got = measured(rate, |t| {
                    if (start..end).contains(&t) {
                        let f = jump.state(t - start).force;
                        (f[0] * f[0] + f[1] * f[1] + f[2] * f[2]).sqrt()
                    } else {
                        G
                    }
                });
                let err = (got - jump.ballistic_s).abs();
                let e = stats.entry((name, rate >= 50.0)).or_default();
                e.0 = e.0.max(err);
                e.1 += 1;
                e.2 += u32::from(err <= 0.015);
            }
        }
    }
    for ((name, fast), (worst, n, within)) in &stats {
        eprintln!(
            "{name}, {}: worst {:.1} ms, within 15 ms {within}/{n}",
            if *fast { "50-400 Hz" } else { "25-30 Hz" },
            worst * 1000.0
        );
    }
    // Normal jumps: every one within 15 ms at every rate. Soft pushes: a
    // ramp with no sample between the baseline and 0 cannot be told from
    // one ending onto the baseline (up to ~20 ms early). No-plateau jumps
    // at 25-30 Hz: a hind-limb or forelimb contact spans one or two samples
    // (the open part of issue 8 item 6). "hind lobe": a no-plateau jump
    // whose hind-limb push lifts the force over 0.7 g, so that it, not the
    // stance, ends the low run.
    let ok = |k: (&str, bool), worst_ms: f64, share: f64| {
        let (w, n, within) = stats[&k];
        assert!(
            w * 1000.0 <= worst_ms && within as f64 >= share * n as f64,
            "{k:?}: worst {:.1} ms, within 15 ms {within}/{n}",
            w * 1000.0
        );
    };
    ok(("normal", false), 15.0, 1.0);
    ok(("normal", true), 15.0, 1.0);
    ok(("soft push", false), 15.0, 1.0);
    ok(("soft push", true), 20.0, 0.9);
    ok(("no plateau", true), 25.0, 0.9);
    ok(("no plateau", false), 140.0, 0.25);
    // A hind-limb lobe over `AIR_MAX_G` ends the low run (no stance after
    // it): at 50-400 Hz the steepest step of its falling side places the
    // lift-off (before: the line through its last two samples over the
    // contact level overshot, up to 34 ms late, 38/48 within 15 ms). At
    // 25-30 Hz the lobe spans two or three samples.
    ok(("hind lobe", true), 15.0, 1.0);
    ok(("hind lobe", false), 55.0, 0.5);
}
