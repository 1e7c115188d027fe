//! Criterion benchmark: a horse's trend over 250, 500, 1,000 and 2,000
//! sessions (about 4 a week, figures varying as real sessions do), computed
//! and serialised on one thread. Target: ≤ 10 ms for 1,000, linear.
//!
//! `cargo bench -p trend --bench trend`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;

#[path = "../tests/common/mod.rs"]
mod common;

fn sessions(n: usize) -> Vec<trend::SessionFeatures> {
    (0..n as i64)
        .map(|i| {
            let day = i * 7 / 4;
            let mut s = common::with_min_diff(common::session(day), common::wobble(i, 2.0));
            s.started_at_ms += (i % 5) * 3_600_000;
            s.gaits[2].cadence_spm += common::wobble(i + 3, 2.0);
            s.gaits[2].regularity += common::wobble(i + 5, 0.03);
            s.load += common::wobble(i + 7, 20.0);
            s.jumps = (i % 9) as u32;
            s
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let cfg = trend::TrendConfig::default();
    let mut g = c.benchmark_group("trend");
    for n in [250usize, 500, 1000, 2000] {
        let input = sessions(n);
        g.bench_with_input(BenchmarkId::new("compute", n), &input, |b, input| {
            b.iter(|| trend::compute(black_box(input), &cfg))
        });
        g.bench_with_input(
            BenchmarkId::new("compute_and_json", n),
            &input,
            |b, input| b.iter(|| trend::to_json(&trend::compute(black_box(input), &cfg))),
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
