//! `hoofbeat generate`: synthetic sessions (CSV) with their ground truth
//! (`.truth.json`) from the standard or the wide generator, in parallel.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use rayon::prelude::*;

use crate::cli::Variety;

pub fn generate(
    out: &Path,
    count: u32,
    minutes: f64,
    seed: u64,
    rate: Option<f64>,
    variety: Variety,
) -> ExitCode {
    if !(minutes > 0.0 && minutes <= 240.0) {
        eprintln!("hoofbeat: --minutes must be in (0, 240]");
        return ExitCode::from(2);
    }
    if let Some(r) = rate.filter(|r| {
        !(shared::sensor::MIN_SAMPLE_RATE_HZ..=shared::sensor::MAX_SAMPLE_RATE_HZ).contains(r)
    }) {
        eprintln!("hoofbeat: --rate {r} is outside 25–400 Hz");
        return ExitCode::from(2);
    }
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("hoofbeat: cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    let rates = [50.0, 60.0, 100.0, 200.0];
    let errors: Vec<String> = (0..count)
        .into_par_iter()
        .filter_map(|i| {
            let s = seed.wrapping_add(i as u64);
            let cfg = crate::synth::SynthConfig {
                seed: s,
                minutes,
                rate_hz: rate.unwrap_or(rates[i as usize % rates.len()]),
            };
            let session = match variety {
                Variety::Standard => crate::synth::generate(&cfg),
                Variety::Wide => {
                    // Session i of the wide set with this seed (its
                    // variation and, unless --rate is given, its rate).
                    let (wide_cfg, var) =
                        crate::synth::variety::Variation::wide_config(seed, i, minutes, minutes);
                    let cfg = crate::synth::SynthConfig {
                        seed: s,
                        minutes,
                        rate_hz: rate.unwrap_or(wide_cfg.rate_hz),
                    };
                    crate::synth::variety::generate_varied(&cfg, &var)
                }
            };
            let name = format!("session-{s:04}");
            let csv = out.join(format!("{name}.csv"));
            let truth = out.join(format!("{name}.truth.json"));
            let truth_bytes = serde_json::to_vec_pretty(&session.truth).unwrap_or_default();
            let r = std::fs::write(&csv, shared::sensor::encode_csv(&session.recording))
                .and_then(|_| std::fs::write(&truth, truth_bytes));
            match r {
                Ok(()) => {
                    let _ = writeln!(std::io::stdout().lock(), "{}", csv.display());
                    None
                }
                Err(e) => Some(format!("{}: {e}", csv.display())),
            }
        })
        .collect();
    for e in &errors {
        eprintln!("error: {e}");
    }
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
