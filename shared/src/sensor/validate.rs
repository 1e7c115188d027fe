//! Checks shared by all formats: sample count, duration and nominal rate.
//! Per-value checks (finite numbers, increasing time) live in each parser
//! because only the parser knows the line or path to report.

use super::error::{DecodeError, Issue, Issues};
use super::{MAX_DURATION_S, MAX_SAMPLE_RATE_HZ, MAX_SAMPLES, MIN_SAMPLE_RATE_HZ, Recording};

/// Relative slack on the rate bounds, so that a 400 Hz recording whose
/// timestamps round to 400.0000001 Hz is not rejected.
const RATE_TOLERANCE: f64 = 1e-3;

/// Nominal sample rate of a time column: 1 / median(Δt).
///
/// The median ignores gaps and jitter, which is why CSV and JSON uploads use
/// it. For an even number of steps the upper median is used. Returns `None`
/// with fewer than two samples or when the median step is not a positive
/// finite number (e.g. time not increasing).
pub fn estimate_sample_rate(t: &[f64]) -> Option<f64> {
    let mut dt: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
    if dt.is_empty() {
        return None;
    }
    let mid = dt.len() / 2;
    let (_, median, _) = dt.select_nth_unstable_by(mid, f64::total_cmp);
    let rate = 1.0 / *median;
    (median.is_finite() && *median > 0.0 && rate.is_finite()).then_some(rate)
}

/// Issue when `rate` is outside the accepted nominal range (with slack).
pub(crate) fn check_rate(rate: f64, field: &str, what: &str) -> Option<Issue> {
    let lo = MIN_SAMPLE_RATE_HZ * (1.0 - RATE_TOLERANCE);
    let hi = MAX_SAMPLE_RATE_HZ * (1.0 + RATE_TOLERANCE);
    if rate.is_finite() && (lo..=hi).contains(&rate) {
        None
    } else {
        Some(Issue::field(
            field,
            format!(
                "{what} sample rate {rate} Hz is outside {MIN_SAMPLE_RATE_HZ}–{MAX_SAMPLE_RATE_HZ} Hz"
            ),
        ))
    }
}

/// Issue when the recording lasts longer than [`MAX_DURATION_S`].
pub(crate) fn check_duration(duration_s: f64, field: &str) -> Option<Issue> {
    (duration_s > MAX_DURATION_S).then(|| {
        Issue::field(
            field,
            format!("recording lasts {duration_s:.1} s, longer than the {MAX_DURATION_S} s limit"),
        )
    })
}

/// Error for a sample count over [`MAX_SAMPLES`]; checked before allocating.
/// `count` is `None` when the parser stopped counting at the limit.
pub(crate) fn too_many_samples(count: Option<u64>, field: Option<&str>) -> DecodeError {
    let what = match count {
        Some(n) => format!("{n} samples exceed"),
        None => "the samples exceed".to_owned(),
    };
    DecodeError::too_large(
        field,
        format!("{what} the limit of {MAX_SAMPLES} (400 Hz for 4 h)"),
    )
}

/// Final checks for text formats whose rate is estimated from the time
/// column. `issues` holds what the parser already found; `t_field` names the
/// time column in the messages.
pub(crate) fn finish_text(
    mut rec: Recording,
    mut issues: Issues,
    t_field: &str,
) -> Result<Recording, DecodeError> {
    if !issues.is_empty() {
        return Err(DecodeError::invalid(issues.0));
    }
    if rec.len() < 2 {
        issues.push(Issue::new(format!(
            "at least 2 samples are needed, got {}",
            rec.len()
        )));
        return Err(DecodeError::invalid(issues.0));
    }
    if let Some(issue) = check_duration(rec.duration_s(), t_field) {
        issues.push(issue);
    }
    match estimate_sample_rate(&rec.t) {
        Some(rate) => {
            if let Some(issue) = check_rate(rate, t_field, "estimated (1 / median time step)") {
                issues.push(issue);
            }
            rec.sample_rate_hz = rate;
        }
        None => {
            issues.push(Issue::field(t_field, "cannot estimate the sample rate"));
        }
    }
    if issues.is_empty() {
        Ok(rec)
    } else {
        Err(DecodeError::invalid(issues.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_rate() {
        let t = [0.0, 0.01, 0.02, 0.5, 0.51];
        let r = estimate_sample_rate(&t).unwrap_or_default();
        assert!((r - 100.0).abs() < 1e-6, "{r}");
        assert_eq!(estimate_sample_rate(&[1.0]), None);
        assert_eq!(estimate_sample_rate(&[1.0, 1.0]), None);
        assert!(check_rate(400.0000001, "t", "x").is_none());
        assert!(check_rate(24.0, "t", "x").is_some());
        assert!(check_rate(f64::NAN, "t", "x").is_some());
    }
}
