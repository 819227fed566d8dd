//! The profile a person reads before training: per-column statistics and distributions,
//! correlations, each feature's relation to the target, warnings, and the default recipe.

use std::collections::{BTreeMap, HashMap};

use kiln_protocol::profile::{
    ColumnProfile, Correlations, DatasetProfile, FeatureRelation, Histogram, MAX_CORRELATED,
    NumericStats, TargetRelations, Warning, WarningKind,
};

use crate::data::{Column, ColumnData, ColumnType, Frame};
use crate::recipe::default_recipe_with;
use crate::stats::{mean_std, quantile, skewness, sorted};

const HISTOGRAM_BINS: usize = 20;
const TOP_VALUES: usize = 10;
/// Share of missing values from which a column is flagged.
const MISSING_WARN: f64 = 0.2;
/// Distinct values from which a categorical column is high-cardinality.
const HIGH_CARDINALITY: usize = 50;
/// Relation strength from which a feature is suspected of leaking the target.
const LEAK_STRENGTH: f64 = 0.95;

/// What the profile needs of a column more than once, computed once: sorting a 100k-row
/// column is most of the cost of profiling it.
pub struct Facts {
    /// Distinct non-missing values.
    pub distinct: usize,
    /// Finite values, ascending (numeric columns only).
    pub sorted: Vec<f64>,
    pub id_like: bool,
}

impl Facts {
    pub fn of(c: &Column) -> Self {
        let (distinct, sorted) = match &c.data {
            ColumnData::Numeric(v) => {
                let s = sorted(v.iter().flatten().copied());
                let distinct = if s.is_empty() {
                    0
                } else {
                    1 + s.windows(2).filter(|w| w[0] != w[1]).count()
                };
                (distinct, s)
            }
            ColumnData::Categorical(_) => (c.distinct(), Vec::new()),
        };
        let id_like = id_like_given(c, distinct, &sorted);
        Self {
            distinct,
            sorted,
            id_like,
        }
    }
}

/// Profiles a frame; `target` adds feature–target relations and target warnings.
pub fn profile(frame: &Frame, target: Option<&str>, preview_rows: usize) -> DatasetProfile {
    let facts: Vec<Facts> = frame.columns.iter().map(Facts::of).collect();
    let target = target.and_then(|t| frame.column(t));
    let mut warnings = Vec::new();
    let columns: Vec<ColumnProfile> = frame
        .columns
        .iter()
        .zip(&facts)
        .map(|(c, f)| {
            let p = column_profile(c, f);
            warnings.extend(column_warnings(c, &p, f));
            p
        })
        .collect();
    let relations = target.map(|t| relations(frame, t, &facts));
    if let Some(t) = target {
        let i = frame
            .columns
            .iter()
            .position(|c| c.name == t.name)
            .unwrap_or(0);
        warnings.extend(imbalance(t, facts[i].distinct));
    }
    if let Some(r) = &relations {
        for f in r.features.iter().filter(|f| f.strength >= LEAK_STRENGTH) {
            warnings.push(Warning {
                column: f.column.clone(),
                kind: WarningKind::Leak,
                message: format!(
                    "\"{}\" predicts the target almost perfectly (strength {:.2}); make sure it is known before the target is",
                    f.column, f.strength
                ),
            });
        }
    }
    let preview = (0..frame.rows.min(preview_rows))
        .map(|r| frame.columns.iter().map(|c| c.cell_text(r)).collect())
        .collect();
    DatasetProfile {
        rows: frame.rows,
        columns,
        preview,
        correlations: correlations(frame, &facts),
        target: relations,
        warnings,
        default_recipe: default_recipe_with(frame, target.map(|t| t.name.as_str()), &facts),
        format: frame.format.clone(),
    }
}

fn column_profile(c: &Column, facts: &Facts) -> ColumnProfile {
    let missing = c.missing();
    let count = c.data.len() - missing;
    let mut p = ColumnProfile {
        name: c.name.clone(),
        kind: c.kind,
        inferred: Some(c.inferred),
        count,
        missing,
        distinct: facts.distinct,
        stats: None,
        histogram: None,
        top: Vec::new(),
    };
    match &c.data {
        ColumnData::Numeric(_) if c.kind != ColumnType::Boolean => {
            let s = &facts.sorted;
            // Values near f64::MAX overflow the moments; such a column shows no statistics
            // rather than infinities (which JSON cannot carry).
            if let (Some(&min), Some(&max), true) = (
                s.first(),
                s.last(),
                mean_std(s).1.is_finite() && (s[s.len() - 1] - s[0]).is_finite(),
            ) {
                let (mean, std) = mean_std(s);
                p.stats = Some(NumericStats {
                    min,
                    max,
                    mean,
                    std,
                    q1: quantile(s, 0.25),
                    median: quantile(s, 0.5),
                    q3: quantile(s, 0.75),
                    skew: skewness(s, mean, std),
                });
                p.histogram = Some(histogram(s, min, max));
            }
        }
        ColumnData::Numeric(v) => {
            let ones = v.iter().flatten().filter(|&&x| x != 0.0).count() as u64;
            let zeros = v.iter().flatten().count() as u64 - ones;
            p.top = vec![("true".into(), ones), ("false".into(), zeros)];
            p.top.sort_by_key(|t| std::cmp::Reverse(t.1));
        }
        ColumnData::Categorical(v) => {
            let mut counts: HashMap<&str, u64> = HashMap::new();
            for x in v.iter().flatten() {
                *counts.entry(x).or_default() += 1;
            }
            let mut top: Vec<(String, u64)> = counts
                .into_iter()
                .map(|(k, n)| (k.to_string(), n))
                .collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            top.truncate(TOP_VALUES);
            p.top = top;
        }
    }
    p
}

fn histogram(s: &[f64], min: f64, max: f64) -> Histogram {
    if max <= min {
        return Histogram {
            edges: vec![min, max],
            counts: vec![s.len() as u64],
        };
    }
    let width = (max - min) / HISTOGRAM_BINS as f64;
    let mut counts = vec![0u64; HISTOGRAM_BINS];
    for x in s {
        let i = (((x - min) / width) as usize).min(HISTOGRAM_BINS - 1);
        counts[i] += 1;
    }
    let edges = (0..=HISTOGRAM_BINS)
        .map(|i| min + width * i as f64)
        .collect();
    Histogram { edges, counts }
}

/// Whether a column looks like an identifier: nearly every value different, and (for
/// integers) a consecutive run or an `id` name.
fn id_like_given(c: &Column, distinct: usize, sorted: &[f64]) -> bool {
    let count = c.data.len() - c.missing();
    if count < 20 {
        return false;
    }
    match c.kind {
        ColumnType::Categorical => distinct as f64 > 0.9 * count as f64,
        ColumnType::Integer => {
            let span =
                sorted.last().copied().unwrap_or(0.0) - sorted.first().copied().unwrap_or(0.0);
            let lower = c.name.to_ascii_lowercase();
            distinct == count
                && (span + 1.0 == count as f64 || lower == "id" || lower.ends_with("_id"))
        }
        _ => false,
    }
}

fn column_warnings(c: &Column, p: &ColumnProfile, facts: &Facts) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut warn = |kind, message: String| {
        out.push(Warning {
            column: c.name.clone(),
            kind,
            message,
        });
    };
    let rows = c.data.len().max(1) as f64;
    let name = &c.name;
    // One value plus blanks is not constant: whether a value is there may be the signal.
    if p.count > 0 && p.distinct <= 1 && p.missing == 0 {
        warn(
            WarningKind::Constant,
            format!("\"{name}\" has a single value; it cannot help a model"),
        );
    }
    let is_id = facts.id_like;
    if is_id {
        warn(
            WarningKind::IdLike,
            format!(
                "\"{name}\" looks like an identifier ({} different values); drop it",
                p.distinct
            ),
        );
    } else if c.kind == ColumnType::Categorical && p.distinct > HIGH_CARDINALITY {
        warn(
            WarningKind::HighCardinality,
            format!(
                "\"{name}\" has {} different values; one-hot keeps the most frequent, the rest become \"other\"",
                p.distinct
            ),
        );
    }
    let share = p.missing as f64 / rows;
    if share >= MISSING_WARN {
        warn(
            WarningKind::Missing,
            format!("\"{name}\" is {:.0}% missing", share * 100.0),
        );
    }
    if c.unparsed > 0 {
        warn(
            WarningKind::Unparsed,
            format!(
                "{} values of \"{name}\" are not {} and count as missing",
                c.unparsed,
                c.kind.label()
            ),
        );
    }
    if let (Some(s), ColumnData::Numeric(v)) = (&p.stats, &c.data)
        && matches!(c.kind, ColumnType::Integer | ColumnType::Float)
        && !is_id
    {
        if s.skew.abs() > 2.0 && p.distinct > 10 {
            warn(
                WarningKind::Skew,
                format!(
                    "\"{name}\" is strongly skewed (skewness {:.1}); log1p or binning may help",
                    s.skew
                ),
            );
        }
        let iqr = s.q3 - s.q1;
        let (lo, hi) = (s.q1 - 3.0 * iqr, s.q3 + 3.0 * iqr);
        let outliers = v.iter().flatten().filter(|&&x| x < lo || x > hi).count();
        if iqr > 0.0 && outliers > 0 {
            warn(
                WarningKind::Outliers,
                format!(
                    "\"{name}\" has {outliers} values beyond 3 × IQR from the quartiles; clipping may help"
                ),
            );
        }
    }
    if let ColumnData::Categorical(v) = &c.data
        && let Some(what) = personal_data(v)
    {
        warn(
            WarningKind::PersonalData,
            format!("\"{name}\" looks like {what}; drop or hash it before sharing the project"),
        );
    }
    out
}

/// "e-mail addresses" or "phone numbers" when most values look like them.
fn personal_data(values: &[Option<String>]) -> Option<&'static str> {
    let present: Vec<&str> = values
        .iter()
        .flatten()
        .map(String::as_str)
        .take(1000)
        .collect();
    if present.is_empty() {
        return None;
    }
    let share =
        |f: fn(&str) -> bool| present.iter().filter(|v| f(v)).count() as f64 / present.len() as f64;
    if share(is_email) >= 0.5 {
        Some("e-mail addresses")
    } else if share(is_phone) >= 0.5 {
        Some("phone numbers")
    } else {
        None
    }
}

fn is_email(v: &str) -> bool {
    let Some((user, domain)) = v.split_once('@') else {
        return false;
    };
    !user.is_empty()
        && !user.contains(char::is_whitespace)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains(char::is_whitespace)
}

fn is_phone(v: &str) -> bool {
    let digits = v.chars().filter(char::is_ascii_digit).count();
    (9..=15).contains(&digits)
        && v.chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        && (v.starts_with('+') || v.contains(['(', ' ']) || v.matches('-').count() >= 2)
        && crate::data::parse_date(v, None).is_none()
}

/// Whether a target column is treated as classes (rather than a quantity).
fn is_class_target(c: &Column, distinct: usize) -> bool {
    match c.kind {
        ColumnType::Categorical | ColumnType::Boolean | ColumnType::Text => true,
        ColumnType::Integer => distinct <= 20,
        ColumnType::Float | ColumnType::Datetime => false,
    }
}

fn imbalance(target: &Column, distinct: usize) -> Option<Warning> {
    if !is_class_target(target, distinct) {
        return None;
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in 0..target.data.len() {
        if !target.data.is_missing(r) {
            *counts.entry(target.cell_text(r)).or_default() += 1;
        }
    }
    let total: usize = counts.values().sum();
    let (rare, &n) = counts.iter().min_by_key(|(_, n)| **n)?;
    let most = counts.values().copied().max()?;
    (counts.len() >= 2 && (n as f64) < 0.1 * most as f64).then(|| Warning {
        column: target.name.clone(),
        kind: WarningKind::Imbalance,
        message: format!(
            "the classes are imbalanced: \"{rare}\" is only {:.1}% of rows; look at F1 rather than accuracy",
            100.0 * n as f64 / total.max(1) as f64
        ),
    })
}

/// Bin index per row (`None` where missing): quantile bins for many-valued numbers, one bin
/// per value otherwise (at most 50, the rest pooled).
fn bins(c: &Column, facts: &Facts) -> Vec<Option<usize>> {
    match &c.data {
        ColumnData::Numeric(v) if facts.distinct > 10 => {
            let s = &facts.sorted;
            let edges: Vec<f64> = (1..10).map(|i| quantile(s, i as f64 / 10.0)).collect();
            v.iter()
                .map(|x| x.map(|x| edges.iter().filter(|&&e| x > e).count()))
                .collect()
        }
        _ => {
            let text: Vec<Option<String>> = (0..c.data.len())
                .map(|r| (!c.data.is_missing(r)).then(|| c.cell_text(r)))
                .collect();
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for t in text.iter().flatten() {
                *counts.entry(t).or_default() += 1;
            }
            let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
            ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            let index: HashMap<&str, usize> = ranked
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (*k, i.min(50)))
                .collect();
            text.iter()
                .map(|t| t.as_deref().map(|t| index.get(t).copied().unwrap_or(50)))
                .collect()
        }
    }
}

fn relations(frame: &Frame, target: &Column, facts: &[Facts]) -> TargetRelations {
    let t = frame
        .columns
        .iter()
        .position(|c| c.name == target.name)
        .unwrap_or(0);
    let classes = is_class_target(target, facts[t].distinct);
    let y_bins = bins(target, &facts[t]);
    let y_values: Vec<Option<f64>> = match &target.data {
        ColumnData::Numeric(v) => v.clone(),
        ColumnData::Categorical(_) => vec![None; target.data.len()],
    };
    let mut features: Vec<FeatureRelation> = frame
        .columns
        .iter()
        .zip(facts)
        .filter(|(c, f)| c.name != target.name && c.kind != ColumnType::Text && !f.id_like)
        .filter(|(_, f)| f.distinct > 1)
        // Many levels over few rows make every level pure by chance: no relation to read.
        .filter(|(c, f)| c.is_numeric() || f.distinct * 2 <= c.data.len() - c.missing())
        .map(|(c, f)| {
            let x = bins(c, f);
            let strength = if classes {
                uncertainty(&x, &y_bins)
            } else {
                eta_squared(&x, &y_values)
            };
            FeatureRelation {
                column: c.name.clone(),
                strength,
            }
        })
        .collect();
    features.sort_by(|a, b| b.strength.total_cmp(&a.strength));
    TargetRelations {
        target: target.name.clone(),
        measure: if classes {
            "uncertainty coefficient: the share of the target's entropy the feature explains".into()
        } else {
            "correlation ratio (η²): the share of the target's variance the feature explains".into()
        },
        features,
    }
}

/// Theil's U: (H(Y) − H(Y|X)) / H(Y), missing X as its own bin.
fn uncertainty(x: &[Option<usize>], y: &[Option<usize>]) -> f64 {
    let mut joint: HashMap<(usize, usize), f64> = HashMap::new();
    let mut xs: HashMap<usize, f64> = HashMap::new();
    let mut ys: HashMap<usize, f64> = HashMap::new();
    let mut n = 0.0;
    for (xi, yi) in x.iter().zip(y) {
        let Some(yi) = yi else { continue };
        let xi = xi.unwrap_or(usize::MAX);
        *joint.entry((xi, *yi)).or_default() += 1.0;
        *xs.entry(xi).or_default() += 1.0;
        *ys.entry(*yi).or_default() += 1.0;
        n += 1.0;
    }
    let h_y: f64 = ys.values().map(|c| -(c / n) * (c / n).ln()).sum();
    if h_y <= 0.0 {
        return 0.0;
    }
    let h_y_given_x: f64 = joint
        .iter()
        .map(|((xi, _), c)| -(c / n) * (c / xs[xi]).ln())
        .sum();
    ((h_y - h_y_given_x) / h_y).clamp(0.0, 1.0)
}

/// η² = 1 − within-bin variance / total variance of a numeric target.
fn eta_squared(x: &[Option<usize>], y: &[Option<f64>]) -> f64 {
    let mut groups: HashMap<usize, (f64, f64)> = HashMap::new();
    let (mut n, mut sum) = (0.0, 0.0);
    for (xi, yi) in x.iter().zip(y) {
        let Some(yi) = yi else { continue };
        let g = groups.entry(xi.unwrap_or(usize::MAX)).or_default();
        g.0 += 1.0;
        g.1 += yi;
        n += 1.0;
        sum += yi;
    }
    if n < 2.0 {
        return 0.0;
    }
    let mean = sum / n;
    let total: f64 = y.iter().flatten().map(|v| (v - mean).powi(2)).sum();
    let between: f64 = groups
        .values()
        .map(|(c, s)| c * (s / c - mean).powi(2))
        .sum();
    if total <= 0.0 {
        0.0
    } else {
        (between / total).clamp(0.0, 1.0)
    }
}

fn correlations(frame: &Frame, facts: &[Facts]) -> Option<Correlations> {
    let numeric: Vec<(&str, &Vec<Option<f64>>)> = frame
        .columns
        .iter()
        .zip(facts)
        .filter(|(c, f)| {
            matches!(
                c.kind,
                ColumnType::Integer | ColumnType::Float | ColumnType::Boolean
            ) && !f.id_like
        })
        .filter_map(|(c, _)| match &c.data {
            ColumnData::Numeric(v) => Some((c.name.as_str(), v)),
            ColumnData::Categorical(_) => None,
        })
        .take(MAX_CORRELATED)
        .collect();
    if numeric.len() < 2 {
        return None;
    }
    // Symmetric: compute the upper triangle and mirror it.
    let n = numeric.len();
    let mut values = vec![vec![None; n]; n];
    for i in 0..n {
        for j in i..n {
            let r = pearson(numeric[i].1, numeric[j].1);
            values[i][j] = r;
            values[j][i] = r;
        }
    }
    Some(Correlations {
        columns: numeric.iter().map(|(n, _)| n.to_string()).collect(),
        values,
    })
}

fn pearson(a: &[Option<f64>], b: &[Option<f64>]) -> Option<f64> {
    let (mut n, mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        if let (Some(x), Some(y)) = (x, y) {
            n += 1.0;
            sa += x;
            sb += y;
            saa += x * x;
            sbb += y * y;
            sab += x * y;
        }
    }
    if n < 3.0 {
        return None;
    }
    let cov = sab / n - (sa / n) * (sb / n);
    let va = saa / n - (sa / n).powi(2);
    let vb = sbb / n - (sb / n).powi(2);
    (va > 1e-12 && vb > 1e-12).then(|| (cov / (va * vb).sqrt()).clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests;
