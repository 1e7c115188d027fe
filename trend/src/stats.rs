//! Small, deterministic statistics: robust centre and spread, least-squares
//! slope with its confidence interval, rounding for canonical output.

/// Round to `decimals` places; non-finite values become 0 so documents stay
/// valid JSON and identical across runs.
pub fn round(x: f64, decimals: i32) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    let p = 10f64.powi(decimals);
    let r = (x * p).round() / p;
    if r == 0.0 { 0.0 } else { r }
}

/// Median of the values (`None` when empty). Sorts a copy with a total order,
/// so NaN never panics.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

/// Robust centre and spread: the median and 1.4826 × the median absolute
/// deviation (an estimate of the standard deviation for normal data that a
/// single outlying session cannot drag).
pub fn robust(values: &[f64]) -> Option<(f64, f64)> {
    let centre = median(values)?;
    let dev: Vec<f64> = values.iter().map(|v| (v - centre).abs()).collect();
    Some((centre, 1.4826 * median(&dev)?))
}

/// Two-sided 97.5 % quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => T[df - 1],
        31..=60 => 2.042 - (df - 30) as f64 * (2.042 - 2.000) / 30.0,
        61..=120 => 2.000 - (df - 60) as f64 * (2.000 - 1.980) / 60.0,
        _ => 1.960,
    }
}

/// Ordinary least-squares slope of y on x with its 95 % confidence interval
/// (slope, low, high); `None` with fewer than 3 points or no spread in x.
pub fn slope_ci(x: &[f64], y: &[f64]) -> Option<(f64, f64, f64)> {
    let n = x.len().min(y.len());
    if n < 3 {
        return None;
    }
    let mx = x[..n].iter().sum::<f64>() / n as f64;
    let my = y[..n].iter().sum::<f64>() / n as f64;
    let sxx: f64 = x[..n].iter().map(|v| (v - mx).powi(2)).sum();
    if sxx <= 1e-12 {
        return None;
    }
    let sxy: f64 = x[..n]
        .iter()
        .zip(&y[..n])
        .map(|(a, b)| (a - mx) * (b - my))
        .sum();
    let b = sxy / sxx;
    let a = my - b * mx;
    let sse: f64 = x[..n]
        .iter()
        .zip(&y[..n])
        .map(|(u, v)| (v - a - b * u).powi(2))
        .sum();
    let se = (sse / (n - 2) as f64 / sxx).sqrt();
    let h = t975(n - 2) * se;
    Some((b, b - h, b + h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robust_ignores_one_outlier() {
        let (c, s) = robust(&[1.0, 1.2, 0.8, 1.1, 0.9, 40.0]).unwrap();
        assert!((c - 1.05).abs() < 1e-9);
        assert!(s < 0.4, "{s}");
        assert_eq!(robust(&[]), None);
    }

    #[test]
    fn slope_of_a_line_is_exact_and_tight() {
        let x = [0.0, 1.0, 2.0, 3.0, 4.0];
        let y: Vec<f64> = x.iter().map(|v| 2.0 - 0.5 * v).collect();
        let (b, lo, hi) = slope_ci(&x, &y).unwrap();
        assert!((b + 0.5).abs() < 1e-12 && (hi - lo).abs() < 1e-9);
        assert!(slope_ci(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_none());
    }

    #[test]
    fn slope_ci_covers_noise() {
        let x = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [0.1, -0.2, 0.3, -0.1, 0.2, -0.3];
        let (_, lo, hi) = slope_ci(&x, &y).unwrap();
        assert!(lo < 0.0 && hi > 0.0);
    }
}
