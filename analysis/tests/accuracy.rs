//! The accuracy targets of the issue, asserted on a small fixed set of
//! generated sessions (kept short so the suite stays fast in debug builds).
//! `hoofbeat evaluate` runs the full 20-session evaluation.

use analysis::eval::{Score, session_config};
use analysis::synth::generate;

fn fixed_set() -> Score {
    (0..4)
        .map(|i| {
            let s = generate(&session_config(2026, i, 8.0, 10.0));
            let a = analysis::analyze(&s.recording).expect("generated sessions are valid");
            Score::session(&s.truth, &a)
        })
        .fold(Score::default(), Score::merge)
}

#[test]
fn fixed_set_meets_the_targets() {
    let score = fixed_set();
    println!("{score}");
    for t in score.targets() {
        // Per-gait totals of a few minutes are too short for a 2 % bound
        // (one second is several percent); they are checked in seconds below.
        if t.name.starts_with("total ") {
            continue;
        }
        assert!(t.pass, "{}: {} (target {})", t.name, t.value, t.target);
    }
    for g in 0..5 {
        let (t, p) = (score.truth_s[g], score.pred_s[g]);
        assert!(
            (p - t).abs() <= (0.02 * t).max(6.0),
            "gait {g}: {p:.1} s vs {t:.1} s"
        );
    }
    assert!(score.jumps_truth > 0, "the fixed set should contain jumps");
    assert!(!score.stride_err_hz.is_empty());
}

/// Regression: in session 1 of seed 42 the only turning is a walk circle
/// and the mount is rolled 24°; the first, centripetal heading estimate is
/// ~25° off and a 110-s walk bout used to be read as canter. The second
/// heading pass (fore-aft oscillation of walk and trot) fixes it.
#[test]
fn seed_42_set_gaits_with_a_misleading_first_heading() {
    let score = (0..4)
        .map(|i| {
            let s = generate(&session_config(42, i, 8.0, 10.0));
            let a = analysis::analyze(&s.recording).expect("valid");
            Score::session(&s.truth, &a)
        })
        .fold(Score::default(), Score::merge);
    let t = &score.targets()[0];
    assert!(t.pass, "{}: {}", t.name, t.value);
}
