//! CPU time (user + system, from /proc/self/stat) per analysis of generated
//! 100 Hz sessions of 15, 60 and 240 minutes on one thread. Complements the
//! criterion wall-clock figures on a shared machine, and shows the cost is
//! linear in session length. Run: `RAYON_NUM_THREADS=1 cargo bench -p analysis --bench cpu_time`.

use std::hint::black_box;

/// Process CPU time in clock ticks (1/100 s on Linux), 0 when unavailable.
fn cpu_ticks() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let get = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    get(11) + get(12)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    // Like criterion: a plain argument keeps only the benches whose name
    // contains it (`cargo bench --bench cpu_time -- 60min`).
    let filter = args.iter().find(|a| !a.starts_with('-'));
    for minutes in [15.0, 60.0, 240.0] {
        let name = format!("cpu_time/{minutes:.0}min_100hz");
        if filter.is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let s = analysis::synth::generate(&analysis::synth::SynthConfig {
            seed: 1,
            minutes,
            rate_hz: 100.0,
        });
        let _ = analysis::analyze(&s.recording);
        let runs = (1800.0 / minutes) as u64;
        let t0 = cpu_ticks();
        for _ in 0..runs {
            let _ = black_box(analysis::analyze(black_box(&s.recording)));
        }
        let ms = (cpu_ticks() - t0) as f64 * 10.0 / runs as f64;
        println!(
            "{name}: {ms:.1} ms per analysis ({:.1} ms per hour of data, {runs} runs)",
            ms * 60.0 / minutes
        );
    }
}
