//! Small descriptive statistics shared by the profile and the recipe.

/// Finite values sorted ascending.
pub fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// Quantile `q` (0–1) of sorted values by linear interpolation; NaN when empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
        }
    }
}

/// Mean and population standard deviation; (NaN, NaN) when empty.
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// Sample skewness (third standardised moment); 0 when the values are constant.
pub fn skewness(values: &[f64], mean: f64, std: f64) -> f64 {
    if values.len() < 3 || std <= 1e-12 {
        return 0.0;
    }
    values
        .iter()
        .map(|x| ((x - mean) / std).powi(3))
        .sum::<f64>()
        / values.len() as f64
}

/// The most frequent value (ties: the smallest, so results are deterministic).
pub fn mode_of<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let best = counts.values().copied().max()?;
    counts
        .into_iter()
        .find(|(_, c)| *c == best)
        .map(|(v, _)| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = sorted([4.0, 1.0, 3.0, 2.0, f64::NAN].into_iter());
        assert_eq!(v, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(quantile(&v, 0.5), 2.5);
        assert_eq!(quantile(&v, 0.25), 1.75);
        assert_eq!(quantile(&v, 1.0), 4.0);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn moments_and_mode() {
        let (m, s) = mean_std(&[1.0, 2.0, 3.0]);
        assert_eq!(m, 2.0);
        assert!((s - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(skewness(&[1.0, 2.0, 3.0], m, s), 0.0);
        assert!(skewness(&[1.0, 1.0, 1.0, 10.0], 3.25, 3.897) > 1.0);
        assert_eq!(mode_of(["b", "a", "b", "a"].into_iter()), Some("a".into()));
    }
}
