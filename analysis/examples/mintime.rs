//! Wall time per analysis of the generated 1-h, 100-Hz session, N runs in
//! one process (min, first quartile, median): for comparing two builds run
//! alternately on a noisy machine, where the minimum moves least.
//! `RAYON_NUM_THREADS=1 cargo run -p analysis --release --example mintime -- 40`

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(40)
        .max(1);
    let s = analysis::synth::generate(&analysis::synth::SynthConfig {
        seed: 1,
        minutes: 60.0,
        rate_hz: 100.0,
    });
    // One analysis first: the buffer pool and the phase tables warm up.
    let _ = analysis::analyze(&s.recording);
    let mut ms: Vec<f64> = (0..n)
        .map(|_| {
            let t = std::time::Instant::now();
            let a = analysis::analyze(std::hint::black_box(&s.recording));
            drop(std::hint::black_box(a));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    println!(
        "min {:.3} p25 {:.3} median {:.3} ms",
        ms[0],
        ms[n / 4],
        ms[n / 2]
    );
}
