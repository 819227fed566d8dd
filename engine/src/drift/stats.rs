//! The tests and distances of the drift check, on a reference kept as bins. The chi-square
//! tail comes from statrs; the Kolmogorov distribution's series is a few lines, written here.

use statrs::function::gamma::checked_gamma_ur;

/// Shares below this count as this (PSI and Jensen–Shannon would divide by zero).
const FLOOR: f64 = 1e-4;

/// The Kolmogorov–Smirnov statistic of a batch against a binned reference: the largest gap
/// between the two cumulative shares just below the reference's minimum and at its bin edges
/// (exact for the batch; the reference is known only there, which can only make the
/// statistic smaller).
pub fn ks_statistic(edges: &[f64], counts: &[u64], min: f64, batch_sorted: &[f64]) -> f64 {
    let total: u64 = counts.iter().sum();
    if total == 0 || batch_sorted.is_empty() {
        return 0.0;
    }
    let n = batch_sorted.len() as f64;
    let mut below = batch_sorted.partition_point(|x| *x < min);
    let mut d = below as f64 / n;
    let mut cum = 0u64;
    for (edge, count) in edges.iter().zip(counts) {
        cum += count;
        while below < batch_sorted.len() && batch_sorted[below] <= *edge {
            below += 1;
        }
        d = d.max((cum as f64 / total as f64 - below as f64 / n).abs());
    }
    d
}

/// The asymptotic p-value of a two-sample KS statistic (with Stephens' small-sample
/// correction, as Numerical Recipes gives it).
pub fn ks_p_value(d: f64, n1: usize, n2: usize) -> f64 {
    if n1 == 0 || n2 == 0 {
        return 1.0;
    }
    let ne = (n1 as f64 * n2 as f64) / (n1 as f64 + n2 as f64);
    let root = ne.sqrt();
    let lambda = (root + 0.12 + 0.11 / root) * d;
    kolmogorov_q(lambda)
}

/// `Q(λ) = 2 Σ (−1)^(j−1) e^(−2 j² λ²)`, the Kolmogorov distribution's upper tail.
fn kolmogorov_q(lambda: f64) -> f64 {
    if lambda < 1e-3 {
        return 1.0;
    }
    let mut sum = 0.0;
    let mut sign = 1.0;
    let mut previous = 0.0f64;
    for j in 1..=100 {
        let j = f64::from(j);
        let term = sign * 2.0 * (-2.0 * j * j * lambda * lambda).exp();
        sum += term;
        if term.abs() <= 1e-10 * sum.abs() || term.abs() <= 1e-8 * previous {
            return sum.clamp(0.0, 1.0);
        }
        sign = -sign;
        previous = term.abs();
    }
    // The series does not converge for tiny λ: the tail is 1 there.
    1.0
}

/// Pearson's chi-square statistic and p-value of observed counts against expected shares.
pub fn chi_square(observed: &[u64], expected_shares: &[f64]) -> (f64, f64) {
    let n: u64 = observed.iter().sum();
    if n == 0 || observed.len() < 2 {
        return (0.0, 1.0);
    }
    let n = n as f64;
    let stat: f64 = observed
        .iter()
        .zip(expected_shares)
        .map(|(&o, &p)| {
            let e = n * p.max(FLOOR / 10.0);
            (o as f64 - e).powi(2) / e
        })
        .sum();
    if stat.is_nan() || stat <= 0.0 {
        return (0.0, 1.0);
    }
    let dof = (observed.len() - 1) as f64;
    // The chi-square upper tail is the regularised upper incomplete gamma function.
    let p = checked_gamma_ur(dof / 2.0, stat / 2.0).unwrap_or(0.0);
    (stat, if p.is_finite() { p } else { 0.0 })
}

/// Jensen–Shannon distance (square root of the divergence, natural logarithm) of two share
/// vectors.
pub fn jensen_shannon(p: &[f64], q: &[f64]) -> f64 {
    let (p, q) = (normalised(p), normalised(q));
    let kl = |a: &[f64], m: &[f64]| -> f64 {
        a.iter()
            .zip(m)
            .filter(|(a, _)| **a > 0.0)
            .map(|(a, m)| a * (a / m).ln())
            .sum()
    };
    let m: Vec<f64> = p.iter().zip(&q).map(|(a, b)| (a + b) / 2.0).collect();
    ((kl(&p, &m) + kl(&q, &m)) / 2.0).max(0.0).sqrt()
}

fn normalised(v: &[f64]) -> Vec<f64> {
    let total: f64 = v.iter().sum();
    if total > 0.0 {
        v.iter().map(|x| x / total).collect()
    } else {
        v.to_vec()
    }
}

/// Population stability index of batch shares against reference shares.
pub fn psi(reference: &[f64], batch: &[f64]) -> f64 {
    reference
        .iter()
        .zip(batch)
        .map(|(&r, &b)| {
            let (r, b) = (r.max(FLOOR), b.max(FLOOR));
            (b - r) * (b / r).ln()
        })
        .sum()
}

/// Wasserstein-1 distance between a binned reference and a sorted batch, through their
/// quantile functions on 1,000 evenly spaced levels. The reference's quantile function is
/// linear inside each bin.
pub fn wasserstein(edges: &[f64], counts: &[u64], min: f64, batch_sorted: &[f64]) -> f64 {
    let total: u64 = counts.iter().sum();
    if total == 0 || batch_sorted.is_empty() {
        return 0.0;
    }
    // Knots of the reference's cumulative distribution: (value, share at or below).
    let mut knots = Vec::with_capacity(edges.len() + 1);
    knots.push((min, 0.0));
    let mut cum = 0u64;
    for (e, c) in edges.iter().zip(counts) {
        cum += c;
        knots.push((*e, cum as f64 / total as f64));
    }
    let levels = 1000;
    let mut k = 1;
    let mut sum = 0.0;
    for i in 0..levels {
        let u = (i as f64 + 0.5) / levels as f64;
        while k + 1 < knots.len() && knots[k].1 < u {
            k += 1;
        }
        let (x0, u0) = knots[k - 1];
        let (x1, u1) = knots[k];
        let q_ref = if u1 > u0 {
            x0 + (x1 - x0) * ((u - u0) / (u1 - u0)).clamp(0.0, 1.0)
        } else {
            x1
        };
        let at = ((u * batch_sorted.len() as f64) as usize).min(batch_sorted.len() - 1);
        sum += (q_ref - batch_sorted[at]).abs();
    }
    sum / levels as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kolmogorov_tail_matches_known_values() {
        // Q(λ) from tables: Q(1.36) ≈ 0.049, Q(1.63) ≈ 0.010, Q(0.5) ≈ 0.964.
        assert!((kolmogorov_q(1.36) - 0.0494).abs() < 1e-3);
        assert!((kolmogorov_q(1.63) - 0.0098).abs() < 1e-3);
        assert!((kolmogorov_q(0.5) - 0.9639).abs() < 1e-3);
    }

    #[test]
    fn chi_square_p_value_matches_the_table() {
        let shares = [0.25; 4];
        // (o - 100)^2 / 100 summed is 7.84 + 7.84 = 15.68, past the 1% critical value 11.34.
        let (stat, p) = chi_square(&[128, 100, 72, 100], &shares);
        assert!((stat - 15.68).abs() < 1e-9);
        assert!(p < 0.01, "{p}");
        let (_, p) = chi_square(&[100, 100, 100, 100], &shares);
        assert!((p - 1.0).abs() < 1e-12);
    }

    #[test]
    fn distances_are_zero_for_equal_distributions_and_grow_with_a_shift() {
        let p = [0.2, 0.3, 0.5];
        assert!(jensen_shannon(&p, &p) < 1e-12);
        assert!(psi(&p, &p).abs() < 1e-12);
        assert!(jensen_shannon(&p, &[0.5, 0.3, 0.2]) > 0.1);
        let edges: Vec<f64> = (1..=10).map(f64::from).collect();
        let counts = vec![10; 10];
        let same: Vec<f64> = (0..1000).map(|i| f64::from(i) / 100.0).collect();
        assert!(wasserstein(&edges, &counts, 0.0, &same) < 0.02);
        let shifted: Vec<f64> = same.iter().map(|x| x + 2.0).collect();
        assert!((wasserstein(&edges, &counts, 0.0, &shifted) - 2.0).abs() < 0.02);
        assert!(ks_statistic(&edges, &counts, 0.0, &same) < 0.01);
        assert!((ks_statistic(&edges, &counts, 0.0, &shifted) - 0.2).abs() < 0.01);
    }
}
