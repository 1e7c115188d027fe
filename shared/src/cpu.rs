//! The CPU features a binary was compiled for, checked at start-up.
//!
//! The container image is built for x86-64-v3 (`-C target-cpu=x86-64-v3`:
//! AVX2, FMA, BMI1/2, …; every x86 server CPU since 2013–2015), which makes
//! the analysis about 9 % cheaper (BENCHMARKS.md, "Build for the CPU"). The
//! compiler may then use those instructions anywhere, and on an older CPU
//! the process would die of SIGILL at some random later point. [`check`],
//! the first thing each binary's `main` does, names the missing features
//! instead. Builds without such flags (the default `cargo build`) compile
//! none of them in, and the check passes everywhere.

/// Each x86-64 feature of the v2 and v3 levels: its name, whether this
/// build lets the compiler use it, and whether this CPU has it.
#[cfg(target_arch = "x86_64")]
fn x86_features() -> Vec<(&'static str, bool, bool)> {
    macro_rules! features {
        ($($f:tt),* $(,)?) => {
            vec![$(($f, cfg!(target_feature = $f), std::arch::is_x86_feature_detected!($f))),*]
        };
    }
    features!(
        "sse3",
        "ssse3",
        "sse4.1",
        "sse4.2",
        "popcnt",
        "cmpxchg16b",
        "avx",
        "avx2",
        "bmi1",
        "bmi2",
        "f16c",
        "fma",
        "lzcnt",
        "movbe",
        "xsave",
    )
}

/// The features compiled in that the CPU lacks, in list order.
fn missing(features: &[(&'static str, bool, bool)]) -> Vec<&'static str> {
    features
        .iter()
        .filter(|(_, compiled, present)| *compiled && !*present)
        .map(|(name, _, _)| *name)
        .collect()
}

/// `Err` naming the instruction-set features this binary was compiled to use
/// and this CPU does not have (and how to build for it), `Ok` otherwise.
pub fn check() -> Result<(), String> {
    #[cfg(target_arch = "x86_64")]
    let lacking = missing(&x86_features());
    #[cfg(not(target_arch = "x86_64"))]
    let lacking: Vec<&str> = missing(&[]);
    if lacking.is_empty() {
        return Ok(());
    }
    Err(format!(
        "this binary was built for CPUs with {} and this CPU lacks them; \
         rebuild for it (the image: `docker build --build-arg RUST_TARGET_CPU=x86-64 .`)",
        lacking.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a feature both compiled in and absent is reported.
    #[test]
    fn reports_features_compiled_in_and_absent() {
        let features = [
            ("avx2", true, false),
            ("fma", true, true),
            ("bmi2", false, false),
            ("lzcnt", true, false),
        ];
        assert_eq!(missing(&features), ["avx2", "lzcnt"]);
        assert!(missing(&[("avx", false, true)]).is_empty());
    }

    /// The build running the tests runs on its own CPU.
    #[test]
    fn this_build_runs_here() {
        assert_eq!(check(), Ok(()));
    }
}
