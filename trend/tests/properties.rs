//! Property tests: any features give a document without panicking, and the
//! document does not depend on the order of the sessions.

mod common;

use proptest::prelude::*;
use trend::{SessionFeatures, TrendConfig, compute, to_json};

fn arb_session() -> impl Strategy<Value = SessionFeatures> {
    (
        0i64..120,
        0i64..86_400_000,
        -20.0f64..20.0,
        0.0f64..400.0,
        0u32..80,
        prop::bool::ANY,
        0.0f64..5000.0,
        -1e3f64..1e3,
    )
        .prop_map(|(day, ms, asym, cadence, jumps, sym, analysed, odd)| {
            let mut s = common::session(day);
            s.started_at_ms += ms;
            s.analysed_s = analysed;
            s.jumps = jumps;
            s.gaits[2].cadence_spm = cadence;
            s.gaits[1].regularity = odd;
            s.load = odd.abs();
            if sym {
                s = common::with_min_diff(s, asym);
            } else {
                s.symmetry = None;
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn never_panics_and_ignores_order(mut sessions in prop::collection::vec(arb_session(), 0..60)) {
        let cfg = TrendConfig::default();
        let a = to_json(&compute(&sessions, &cfg));
        sessions.reverse();
        let b = to_json(&compute(&sessions, &cfg));
        prop_assert_eq!(&a, &b);
        let doc: trend::TrendDocument = serde_json::from_slice(&a).expect("valid JSON");
        prop_assert_eq!(doc.sessions as usize, sessions.len());
    }
}
