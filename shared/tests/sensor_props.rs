//! Property tests: the decoders never panic, whatever the bytes, and the text
//! encoders are lossless for any finite values.

use proptest::prelude::*;
use shared::sensor::{
    BinaryParams, Format, Recording, decode, encode_binary, encode_csv, encode_json,
    estimate_sample_rate, gunzip_limited,
};

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        -1000.0..1000.0_f64,
        Just(0.0),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(f64::MAX),
    ]
}

/// A valid recording with arbitrary finite values: `n` samples on a grid of
/// 25–400 Hz from an arbitrary start.
fn recording() -> impl Strategy<Value = Recording> {
    (2_usize..40, 25.0..400.0_f64, 0.0..10_000.0_f64).prop_flat_map(|(n, rate, t0)| {
        proptest::collection::vec(finite(), n * 6).prop_map(move |vals| {
            let t: Vec<f64> = (0..n).map(|i| t0 + i as f64 / rate).collect();
            let col = |k: usize| vals[k * n..(k + 1) * n].to_vec();
            Recording {
                sample_rate_hz: estimate_sample_rate(&t).unwrap_or(rate),
                acc: [col(0), col(1), col(2)],
                gyro: [col(3), col(4), col(5)],
                t,
            }
        })
    })
}

fn valid_bodies() -> Vec<(Format, Vec<u8>)> {
    let t: Vec<f64> = (0..8).map(|i| f64::from(i) / 50.0).collect();
    let rec = Recording {
        sample_rate_hz: 50.0,
        acc: [vec![0.5; 8], vec![-0.5; 8], vec![9.81; 8]],
        gyro: [vec![1.0; 8], vec![2.0; 8], vec![-3.0; 8]],
        t,
    };
    vec![
        (Format::Csv, encode_csv(&rec)),
        (Format::Json, encode_json(&rec, Some(1))),
        (
            Format::Binary,
            encode_binary(&rec, &BinaryParams::default()).unwrap_or_default(),
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decode_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for format in Format::ALL {
            let _ = decode(format, &bytes);
        }
        let _ = gunzip_limited(&bytes, 4096);
    }

    #[test]
    fn decode_never_panics_on_mutated_valid_bodies(
        which in 0_usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let (format, mut body) = valid_bodies().swap_remove(which);
        for (at, byte) in edits {
            let i = at.index(body.len());
            body[i] = byte;
        }
        if truncate {
            body.truncate(cut.index(body.len()));
        }
        let _ = decode(format, &body);
    }

    #[test]
    fn binary_header_fields_never_panic(
        rate in any::<f32>(), acc in any::<f32>(), gyro in any::<f32>(),
        count in any::<u32>(), payload in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut b = b"HBS1\x01\x06\x00\x00".to_vec();
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&0_i64.to_le_bytes());
        b.extend_from_slice(&acc.to_le_bytes());
        b.extend_from_slice(&gyro.to_le_bytes());
        b.extend_from_slice(&count.to_le_bytes());
        b.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        b.extend_from_slice(&payload);
        if let Ok(d) = decode(Format::Binary, &b) {
            prop_assert_eq!(d.recording.len(), count as usize);
            prop_assert!(d.recording.acc.iter().flatten().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn csv_round_trip_is_lossless(rec in recording()) {
        let d = decode(Format::Csv, &encode_csv(&rec));
        prop_assert_eq!(d.map(|d| d.recording), Ok(rec));
    }

    #[test]
    fn json_round_trip_is_lossless(rec in recording(), started in proptest::option::of(-1_000_000_000_000_i64..4_000_000_000_000)) {
        let d = decode(Format::Json, &encode_json(&rec, started));
        prop_assert_eq!(d.map(|d| (d.recording, d.started_at_unix_ms)), Ok((rec, started)));
    }
}
