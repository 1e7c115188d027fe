//! CPU time (user + system, from /proc/self/stat) per analysis of generated
//! 100 Hz sessions of 15, 60 and 240 minutes on one thread. Complements the
//! criterion wall-clock figures on a shared machine, and shows the cost is
//! linear in session length. Run: `RAYON_NUM_THREADS=1 cargo bench -p analysis --bench cpu_time`.
//!
//! Besides the mean from the tick counters (user + system), each run's CPU
//! time is read in nanoseconds from the scheduler (`/proc/self/task/*/
//! schedstat`, all threads) and the median and minimum per run are printed:
//! on a loaded shared machine the minimum is the steadiest figure.

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

/// CPU time of all the process's threads in nanoseconds (scheduler run
/// time), 0 when unavailable.
fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
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
        let runs = (1800.0 / minutes) as usize;
        let t0 = cpu_ticks();
        let mut per_run: Vec<f64> = (0..runs)
            .map(|_| {
                let c0 = cpu_ns();
                let _ = black_box(analysis::analyze(black_box(&s.recording)));
                (cpu_ns() - c0) as f64 / 1e6
            })
            .collect();
        let ms = (cpu_ticks() - t0) as f64 * 10.0 / runs as f64;
        per_run.sort_by(f64::total_cmp);
        let (median, min) = (per_run[per_run.len() / 2], per_run[0]);
        let per_hour = 60.0 / minutes;
        println!(
            "{name}: {ms:.1} ms per analysis ({:.1} ms per hour of data, {runs} runs); \
             per run median {median:.1} ms, min {min:.1} ms ({:.1} / {:.1} ms per hour)",
            ms * per_hour,
            median * per_hour,
            min * per_hour,
        );
    }
}
