//! Criterion benchmark: one 1-hour, 100 Hz generated session analysed on the
//! current thread (`analysis::analyze` uses rayon only across gap-separated
//! segments; run with RAYON_NUM_THREADS=1 for the strict one-core figure).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let session = analysis::synth::generate(&analysis::synth::SynthConfig {
        seed: 1,
        minutes: 60.0,
        rate_hz: 100.0,
    });
    let mut g = c.benchmark_group("analyze");
    g.sample_size(20);
    g.bench_function("1h_100hz", |b| {
        b.iter(|| analysis::analyze(black_box(&session.recording)))
    });
    let short = analysis::synth::generate(&analysis::synth::SynthConfig {
        seed: 1,
        minutes: 15.0,
        rate_hz: 100.0,
    });
    g.bench_function("15min_100hz", |b| {
        b.iter(|| analysis::analyze(black_box(&short.recording)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
