//! Analyses one generated session N times (for `valgrind --tool=callgrind`
//! and `perf`): `cargo run -p analysis --release --example repeat -- MINUTES N`.
//! Instructions per analysis = (count at N = 4 − count at N = 1) / 3, so the
//! generation cancels.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let minutes: f64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(60.0);
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let s = analysis::synth::generate(&analysis::synth::SynthConfig {
        seed: 1,
        minutes,
        rate_hz: 100.0,
    });
    for _ in 0..n {
        let a = analysis::analyze(std::hint::black_box(&s.recording));
        std::hint::black_box(a.ok());
    }
}
