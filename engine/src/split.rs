//! Train/holdout splits: stratified by class for classification, shuffled for regression,
//! always deterministic for a given seed.
//!
//! Also cross-validation folds (plain, stratified, grouped), group holdouts and splits by
//! time. Every index in a returned [`Split`] is a position in the input slice, and both
//! parts of every split are sorted ascending.

use std::collections::BTreeMap;

/// SplitMix64: a tiny deterministic generator, so a seed gives the same split on every
/// platform (native and wasm) without pulling a random-number crate into the widget.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, n).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Row indices of the two parts of a split.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub train: Vec<usize>,
    pub holdout: Vec<usize>,
}

/// Holds out `fraction` of each class (at least one row of every class with two or more rows),
/// so class balance is the same in both parts.
pub fn stratified(classes: &[usize], fraction: f64, seed: u64) -> Split {
    let mut rng = SplitMix64::new(seed);
    let n_classes = classes.iter().max().map_or(0, |m| m + 1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (row, &c) in classes.iter().enumerate() {
        by_class[c].push(row);
    }
    let mut split = Split {
        train: Vec::new(),
        holdout: Vec::new(),
    };
    for mut rows in by_class {
        rng.shuffle(&mut rows);
        let take = if rows.len() >= 2 {
            ((rows.len() as f64 * fraction).round() as usize).clamp(1, rows.len() - 1)
        } else {
            0
        };
        split.holdout.extend_from_slice(&rows[..take]);
        split.train.extend_from_slice(&rows[take..]);
    }
    split.train.sort_unstable();
    split.holdout.sort_unstable();
    split
}

/// Holds out `fraction` of the rows at random (at least one, leaving at least one).
pub fn shuffled(rows: usize, fraction: f64, seed: u64) -> Split {
    let mut order: Vec<usize> = (0..rows).collect();
    SplitMix64::new(seed).shuffle(&mut order);
    let take = ((rows as f64 * fraction).round() as usize).clamp(1, rows.saturating_sub(1).max(1));
    let mut holdout = order[..take.min(rows)].to_vec();
    let mut train = order[take.min(rows)..].to_vec();
    holdout.sort_unstable();
    train.sort_unstable();
    Split { train, holdout }
}

/// Why a split could not be made. The messages are written for a person reading them in the
/// UI; class indices and row numbers are left for callers to map to names where they can.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SplitError {
    /// Cross-validation asked for fewer than two folds.
    #[error("k-fold needs at least 2 folds (got {k})")]
    TooFewFolds { k: usize },
    /// Fewer rows than folds, so some fold would hold out nothing.
    #[error("{k} folds need at least {k} rows; there are {rows}")]
    TooFewRows { k: usize, rows: usize },
    /// A class has fewer rows than folds, so it cannot appear in every fold.
    #[error(
        "stratified {k}-fold needs at least {k} rows of every class; class {class} has {count}"
    )]
    ClassTooSmall {
        k: usize,
        class: usize,
        count: usize,
    },
    /// Fewer distinct groups than folds.
    #[error(
        "group {k}-fold needs at least {k} groups; the group column has {}",
        distinct_values(*groups)
    )]
    TooFewGroups { k: usize, groups: usize },
    /// A group holdout needs a group on each side.
    #[error(
        "a group holdout needs at least 2 groups; the group column has {}",
        distinct_values(*groups)
    )]
    TooFewGroupsForHoldout { groups: usize },
    /// Some time keys are missing (NaN) or not finite. `rows` holds the first few offending
    /// row indices (0-based); the message counts rows from 1, as a table view does.
    #[error("the time column has no values in {}", describe_rows(rows, *count))]
    MissingTimes { rows: Vec<usize>, count: usize },
    /// A split by time needs a past and a future.
    #[error("a split by time needs at least 2 different times; the time column has {distinct}")]
    TooFewTimes { distinct: usize },
    /// Time-series validation asked for no folds.
    #[error("time-series validation needs at least 1 fold (got 0)")]
    NoTimeFolds,
    /// Forward chaining needs a training block plus one block per fold.
    #[error(
        "{k} time-series folds need at least {needed} different times; the time column has {distinct}"
    )]
    TooFewTimesForFolds {
        k: usize,
        needed: usize,
        distinct: usize,
    },
}

/// How many offending rows [`SplitError::MissingTimes`] keeps.
const ROWS_SHOWN: usize = 5;

/// "no values", "1 value", "3 different values".
fn distinct_values(n: usize) -> String {
    match n {
        0 => "no values".to_string(),
        1 => "1 value".to_string(),
        n => format!("{n} different values"),
    }
}

/// "row 3", "rows 3 and 8", "rows 3, 8 and 12", "rows 3, 8, 12, 14, 20 and 7 more" (1-based).
fn describe_rows(rows: &[usize], count: usize) -> String {
    let shown: Vec<String> = rows.iter().map(|r| (r + 1).to_string()).collect();
    let more = count.saturating_sub(shown.len());
    let noun = if count == 1 { "row" } else { "rows" };
    match (shown.split_last(), more) {
        (None, _) => format!("{count} rows"),
        (Some((last, [])), 0) => format!("{noun} {last}"),
        (Some((last, init)), 0) => format!("{noun} {} and {last}", init.join(", ")),
        (Some(_), more) => format!("{noun} {} and {more} more", shown.join(", ")),
    }
}

fn check_folds(k: usize, rows: usize) -> Result<(), SplitError> {
    if k < 2 {
        return Err(SplitError::TooFewFolds { k });
    }
    if rows < k {
        return Err(SplitError::TooFewRows { k, rows });
    }
    Ok(())
}

/// Turns a fold number per row into one split per fold; rows are visited in order, so both
/// parts come out sorted.
fn folds_from_assignment(fold_of: &[usize], k: usize) -> Vec<Split> {
    (0..k)
        .map(|fold| {
            let (holdout, train): (Vec<usize>, Vec<usize>) =
                (0..fold_of.len()).partition(|&row| fold_of[row] == fold);
            Split { train, holdout }
        })
        .collect()
}

/// Folds for k-fold cross-validation: every row is in exactly one fold's holdout; fold sizes
/// differ by at most one. Rows are shuffled with `seed` before being dealt to the folds.
///
/// Errors when `k < 2` or there are fewer rows than folds.
pub fn kfold(rows: usize, k: usize, seed: u64) -> Result<Vec<Split>, SplitError> {
    check_folds(k, rows)?;
    let mut order: Vec<usize> = (0..rows).collect();
    SplitMix64::new(seed).shuffle(&mut order);
    let mut fold_of = vec![0; rows];
    for (position, &row) in order.iter().enumerate() {
        fold_of[row] = position % k;
    }
    Ok(folds_from_assignment(&fold_of, k))
}

/// Like [`kfold`], but each class is spread evenly over the folds (class counts per fold
/// differ by at most one), and fold sizes still differ by at most one. `classes[i]` is row
/// i's class index; indices with no rows are ignored.
///
/// Errors when `k < 2`, there are fewer rows than folds, or a class has fewer rows than folds.
pub fn stratified_kfold(classes: &[usize], k: usize, seed: u64) -> Result<Vec<Split>, SplitError> {
    check_folds(k, classes.len())?;
    let n_classes = classes.iter().max().map_or(0, |m| m + 1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (row, &c) in classes.iter().enumerate() {
        by_class[c].push(row);
    }
    if let Some((class, rows)) = by_class
        .iter()
        .enumerate()
        .find(|(_, rows)| !rows.is_empty() && rows.len() < k)
    {
        return Err(SplitError::ClassTooSmall {
            k,
            class,
            count: rows.len(),
        });
    }
    // Deal the classes one after another round-robin, carrying the position across classes:
    // any run of consecutive deals spreads evenly, so each class and the whole are balanced.
    let mut rng = SplitMix64::new(seed);
    let mut fold_of = vec![0; classes.len()];
    let mut position = 0;
    for mut rows in by_class {
        rng.shuffle(&mut rows);
        for row in rows {
            fold_of[row] = position % k;
            position += 1;
        }
    }
    Ok(folds_from_assignment(&fold_of, k))
}

/// Rows of each distinct group id, in a seeded random order of the groups.
fn shuffled_groups(groups: &[usize], seed: u64) -> Vec<Vec<usize>> {
    let mut by_group: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (row, &g) in groups.iter().enumerate() {
        by_group.entry(g).or_default().push(row);
    }
    let mut members: Vec<Vec<usize>> = by_group.into_values().collect();
    SplitMix64::new(seed).shuffle(&mut members);
    members
}

/// Group k-fold: `groups[i]` is row i's group id; all rows of a group fall in the same fold;
/// groups are assigned largest-first to the currently smallest fold (ties broken by a seeded
/// shuffle of the groups first, then by the lower fold number), so folds are balanced. Every
/// fold gets at least one group.
///
/// Errors when `k < 2` or there are fewer distinct groups than folds.
pub fn group_kfold(groups: &[usize], k: usize, seed: u64) -> Result<Vec<Split>, SplitError> {
    if k < 2 {
        return Err(SplitError::TooFewFolds { k });
    }
    let mut members = shuffled_groups(groups, seed);
    if members.len() < k {
        return Err(SplitError::TooFewGroups {
            k,
            groups: members.len(),
        });
    }
    // Stable sort: equal-sized groups keep their shuffled order.
    members.sort_by_key(|rows| std::cmp::Reverse(rows.len()));
    let mut sizes = vec![0usize; k];
    let mut fold_of = vec![0; groups.len()];
    for rows in &members {
        let fold = (0..k).min_by_key(|&f| sizes[f]).unwrap_or(0);
        sizes[fold] += rows.len();
        for &row in rows {
            fold_of[row] = fold;
        }
    }
    Ok(folds_from_assignment(&fold_of, k))
}

/// Group holdout: about `fraction` of rows held out, whole groups at a time (seeded), at
/// least one group in each part; `groups[i]` is row i's group id.
///
/// Groups are visited in a seeded order and each is held out when that brings the holdout
/// closer to `fraction` of the rows, so no group is ever on both sides.
/// Errors when there are fewer than 2 distinct groups.
pub fn group_holdout(groups: &[usize], fraction: f64, seed: u64) -> Result<Split, SplitError> {
    let members = shuffled_groups(groups, seed);
    let n_groups = members.len();
    if n_groups < 2 {
        return Err(SplitError::TooFewGroupsForHoldout { groups: n_groups });
    }
    let rows = groups.len();
    let target = ((rows as f64 * fraction).round() as usize).clamp(1, rows - 1);
    let mut held = vec![false; n_groups];
    let mut held_rows = 0usize;
    let mut held_groups = 0usize;
    for (i, group) in members.iter().enumerate() {
        if held_groups + 1 == n_groups {
            break; // keep at least one group for training
        }
        if (held_rows + group.len()).abs_diff(target) < held_rows.abs_diff(target) {
            held[i] = true;
            held_rows += group.len();
            held_groups += 1;
        }
    }
    if held_groups == 0 {
        // Every group is far larger than the target: hold out the one closest to it.
        let closest = (0..n_groups)
            .min_by_key(|&i| members[i].len().abs_diff(target))
            .unwrap_or(0);
        held[closest] = true;
    }
    let mut split = Split {
        train: Vec::new(),
        holdout: Vec::new(),
    };
    for (group, is_held) in members.iter().zip(held) {
        let part = if is_held {
            &mut split.holdout
        } else {
            &mut split.train
        };
        part.extend_from_slice(group);
    }
    split.train.sort_unstable();
    split.holdout.sort_unstable();
    Ok(split)
}

/// Row indices sorted by time (ties by row), cut into runs of equal keys: returns the order
/// and the start of each run in it. Errors when any key is NaN or infinite.
fn time_runs(keys: &[f64]) -> Result<(Vec<usize>, Vec<usize>), SplitError> {
    let missing: Vec<usize> = (0..keys.len())
        .filter(|&row| !keys[row].is_finite())
        .collect();
    if !missing.is_empty() {
        return Err(SplitError::MissingTimes {
            count: missing.len(),
            rows: missing.into_iter().take(ROWS_SHOWN).collect(),
        });
    }
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]).then(a.cmp(&b)));
    // `==` rather than total_cmp so that 0.0 and -0.0 count as the same time.
    let starts = (0..order.len())
        .filter(|&p| p == 0 || keys[order[p - 1]] != keys[order[p]])
        .collect();
    Ok((order, starts))
}

/// By time: `keys[i]` is row i's time (seconds, any monotone number); the latest `fraction`
/// of rows are held out, so the model trains on the past and is tested on the future. Rows
/// sharing a key stay on the same side (the cut moves to the nearest key boundary, the later
/// one when two are equally near); at least one row on each side, and every training key is
/// strictly earlier than every holdout key.
///
/// Errors when a key is missing (NaN or infinite) or there are fewer than 2 distinct keys.
pub fn by_time(keys: &[f64], fraction: f64) -> Result<Split, SplitError> {
    let (order, starts) = time_runs(keys)?;
    if starts.len() < 2 {
        return Err(SplitError::TooFewTimes {
            distinct: starts.len(),
        });
    }
    let rows = keys.len();
    let held = ((rows as f64 * fraction).round() as usize).clamp(1, rows - 1);
    let ideal = rows - held;
    // Run starts after the first are the possible cuts, each leaving rows on both sides.
    let cut = starts[1..]
        .iter()
        .copied()
        .min_by_key(|&p| (p.abs_diff(ideal), std::cmp::Reverse(p)))
        .unwrap_or(ideal);
    let mut train = order[..cut].to_vec();
    let mut holdout = order[cut..].to_vec();
    train.sort_unstable();
    holdout.sort_unstable();
    Ok(Split { train, holdout })
}

/// Forward-chaining (expanding-window) time-series folds: k folds; fold j trains on all rows
/// before its block and holds out the next block of the time order. The time order is cut
/// into k + 1 blocks at key boundaries (rows sharing a key stay in one block): the first block
/// is only ever trained on, and the others are as close to `rows / (k + 1)` rows each as the
/// ties allow (the first block takes the remainder). Folds come earliest first; every
/// training key is strictly earlier than every holdout key of the same fold.
///
/// Errors when `k` is 0, a key is missing (NaN or infinite), or there are fewer than k + 1
/// distinct keys.
pub fn time_series_folds(keys: &[f64], k: usize) -> Result<Vec<Split>, SplitError> {
    if k == 0 {
        return Err(SplitError::NoTimeFolds);
    }
    let (order, starts) = time_runs(keys)?;
    let distinct = starts.len();
    if distinct < k + 1 {
        return Err(SplitError::TooFewTimesForFolds {
            k,
            needed: k + 1,
            distinct,
        });
    }
    let rows = keys.len();
    let block = rows / (k + 1);
    // cuts[j] = number of runs before block j (blocks 1..=k are the holdouts).
    let mut cuts = vec![0usize; k + 2];
    cuts[k + 1] = distinct;
    for j in 1..=k {
        let target = rows - (k + 1 - j) * block;
        // Leave at least one run for this block and for each one after it.
        let lowest = cuts[j - 1] + 1;
        let highest = distinct - (k + 1 - j);
        cuts[j] = (lowest..=highest)
            .min_by_key(|&r| starts[r].abs_diff(target))
            .unwrap_or(lowest);
    }
    let row_at = |run: usize| starts.get(run).copied().unwrap_or(rows);
    Ok((1..=k)
        .map(|j| {
            let begin = row_at(cuts[j]);
            let end = row_at(cuts[j + 1]);
            let mut train = order[..begin].to_vec();
            let mut holdout = order[begin..end].to_vec();
            train.sort_unstable();
            holdout.sort_unstable();
            Split { train, holdout }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_split_keeps_every_class_in_both_parts() {
        let classes: Vec<usize> = (0..90).map(|i| i % 3).collect();
        let s = stratified(&classes, 0.2, 7);
        assert_eq!(s.holdout.len(), 18);
        assert_eq!(s.train.len(), 72);
        for c in 0..3 {
            assert_eq!(s.holdout.iter().filter(|&&r| classes[r] == c).count(), 6);
        }
    }

    #[test]
    fn same_seed_gives_same_split_and_other_seed_differs() {
        let classes: Vec<usize> = (0..50).map(|i| i % 2).collect();
        assert_eq!(stratified(&classes, 0.3, 1), stratified(&classes, 0.3, 1));
        assert_ne!(stratified(&classes, 0.3, 1), stratified(&classes, 0.3, 2));
    }

    #[test]
    fn shuffled_split_partitions_all_rows() {
        let s = shuffled(10, 0.25, 3);
        let mut all = [s.train.clone(), s.holdout.clone()].concat();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(s.holdout.len(), 3);
    }

    /// Checks the fold invariants shared by every k-fold variant and returns holdout sizes.
    fn assert_partition(folds: &[Split], rows: usize) -> Vec<usize> {
        let mut seen = vec![0usize; rows];
        for s in folds {
            assert!(s.train.is_sorted() && s.holdout.is_sorted());
            assert!(!s.holdout.is_empty());
            let mut all = [s.train.clone(), s.holdout.clone()].concat();
            all.sort_unstable();
            assert_eq!(
                all,
                (0..rows).collect::<Vec<_>>(),
                "train ∪ holdout = all, disjoint"
            );
            for &r in &s.holdout {
                seen[r] += 1;
            }
        }
        assert!(
            seen.iter().all(|&n| n == 1),
            "every row held out exactly once"
        );
        folds.iter().map(|s| s.holdout.len()).collect()
    }

    fn spread(sizes: &[usize]) -> usize {
        sizes.iter().max().unwrap() - sizes.iter().min().unwrap()
    }

    #[test]
    fn kfold_partitions_and_balances() {
        for (rows, k) in [(10, 3), (5, 5), (101, 10), (7, 2)] {
            let folds = kfold(rows, k, 42).unwrap();
            assert_eq!(folds.len(), k);
            let sizes = assert_partition(&folds, rows);
            assert!(spread(&sizes) <= 1, "{sizes:?}");
        }
    }

    #[test]
    fn kfold_is_seeded() {
        assert_eq!(kfold(30, 5, 1).unwrap(), kfold(30, 5, 1).unwrap());
        assert_ne!(kfold(30, 5, 1).unwrap(), kfold(30, 5, 2).unwrap());
    }

    #[test]
    fn kfold_errors() {
        assert_eq!(kfold(10, 1, 0), Err(SplitError::TooFewFolds { k: 1 }));
        assert_eq!(
            kfold(10, 1, 0).unwrap_err().to_string(),
            "k-fold needs at least 2 folds (got 1)"
        );
        assert_eq!(
            kfold(3, 5, 0).unwrap_err().to_string(),
            "5 folds need at least 5 rows; there are 3"
        );
    }

    #[test]
    fn stratified_kfold_balances_classes_and_folds() {
        // Uneven classes: 23, 11 and 7 rows, interleaved irregularly.
        let mut classes: Vec<usize> = [vec![0; 23], vec![1; 11], vec![2; 7]].concat();
        SplitMix64::new(9).shuffle(&mut classes);
        let k = 4;
        let folds = stratified_kfold(&classes, k, 3).unwrap();
        let sizes = assert_partition(&folds, classes.len());
        assert!(spread(&sizes) <= 1, "{sizes:?}");
        for c in 0..3 {
            let per_fold: Vec<usize> = folds
                .iter()
                .map(|s| s.holdout.iter().filter(|&&r| classes[r] == c).count())
                .collect();
            assert!(spread(&per_fold) <= 1, "class {c}: {per_fold:?}");
        }
        assert_eq!(folds, stratified_kfold(&classes, k, 3).unwrap());
        assert_ne!(folds, stratified_kfold(&classes, k, 4).unwrap());
    }

    #[test]
    fn stratified_kfold_ignores_absent_class_indices() {
        let classes = [0, 2, 0, 2, 0, 2];
        let folds = stratified_kfold(&classes, 3, 0).unwrap();
        assert_partition(&folds, 6);
        for s in &folds {
            assert_eq!(s.holdout.iter().filter(|&&r| classes[r] == 2).count(), 1);
        }
    }

    #[test]
    fn stratified_kfold_errors() {
        assert_eq!(
            stratified_kfold(&[0, 1, 0, 1], 1, 0)
                .unwrap_err()
                .to_string(),
            "k-fold needs at least 2 folds (got 1)"
        );
        assert_eq!(
            stratified_kfold(&[0, 1, 0], 5, 0).unwrap_err().to_string(),
            "5 folds need at least 5 rows; there are 3"
        );
        let classes = [vec![0; 10], vec![1; 5], vec![2; 3]].concat();
        assert_eq!(
            stratified_kfold(&classes, 5, 0),
            Err(SplitError::ClassTooSmall {
                k: 5,
                class: 2,
                count: 3
            })
        );
        assert_eq!(
            stratified_kfold(&classes, 5, 0).unwrap_err().to_string(),
            "stratified 5-fold needs at least 5 rows of every class; class 2 has 3"
        );
    }

    #[test]
    fn group_kfold_keeps_groups_whole_and_balances() {
        // Group ids are sparse; sizes 1..=12 rows.
        let groups: Vec<usize> = (1..=12usize)
            .flat_map(|g| std::iter::repeat_n(g * 100, g))
            .collect();
        let k = 3;
        let folds = group_kfold(&groups, k, 5).unwrap();
        let sizes = assert_partition(&folds, groups.len());
        // 78 rows: largest-first greedy lands at 26 each.
        assert_eq!(sizes, vec![26; 3]);
        for s in &folds {
            for &h in &s.holdout {
                assert!(s.train.iter().all(|&t| groups[t] != groups[h]));
            }
        }
    }

    #[test]
    fn group_kfold_is_seeded() {
        // Equal-sized groups: only the seeded shuffle decides where each one goes.
        let groups: Vec<usize> = (0..40).map(|i| i / 4).collect();
        let a = group_kfold(&groups, 5, 1).unwrap();
        let sizes = assert_partition(&a, 40);
        assert_eq!(sizes, vec![8; 5]);
        assert_eq!(a, group_kfold(&groups, 5, 1).unwrap());
        assert_ne!(a, group_kfold(&groups, 5, 2).unwrap());
    }

    #[test]
    fn group_kfold_errors() {
        assert_eq!(
            group_kfold(&[0, 1, 2], 1, 0).unwrap_err().to_string(),
            "k-fold needs at least 2 folds (got 1)"
        );
        let groups = [7, 7, 8, 8, 9, 9, 9];
        assert_eq!(
            group_kfold(&groups, 5, 0),
            Err(SplitError::TooFewGroups { k: 5, groups: 3 })
        );
        assert_eq!(
            group_kfold(&groups, 5, 0).unwrap_err().to_string(),
            "group 5-fold needs at least 5 groups; the group column has 3 different values"
        );
    }

    fn assert_groups_apart(s: &Split, groups: &[usize]) {
        assert!(s.train.is_sorted() && s.holdout.is_sorted());
        let mut all = [s.train.clone(), s.holdout.clone()].concat();
        all.sort_unstable();
        assert_eq!(all, (0..groups.len()).collect::<Vec<_>>());
        assert!(!s.train.is_empty() && !s.holdout.is_empty());
        for &h in &s.holdout {
            assert!(s.train.iter().all(|&t| groups[t] != groups[h]));
        }
    }

    #[test]
    fn group_holdout_holds_out_whole_groups_near_the_fraction() {
        let groups: Vec<usize> = (0..100).map(|i| i / 5).collect();
        let s = group_holdout(&groups, 0.2, 11).unwrap();
        assert_groups_apart(&s, &groups);
        assert_eq!(s.holdout.len(), 20);
        assert_eq!(s, group_holdout(&groups, 0.2, 11).unwrap());
        assert_ne!(s, group_holdout(&groups, 0.2, 12).unwrap());
    }

    #[test]
    fn group_holdout_keeps_a_group_on_each_side() {
        // One huge group and one tiny one: some group must still be held out / kept.
        let groups = [vec![0; 50], vec![1; 1]].concat();
        for fraction in [0.0, 0.01, 0.5, 0.99, 1.0] {
            for seed in 0..5 {
                assert_groups_apart(&group_holdout(&groups, fraction, seed).unwrap(), &groups);
            }
        }
        // Sizes that a greedy pass would otherwise take all of.
        let groups = [vec![0; 1], vec![1; 3]].concat();
        for seed in 0..10 {
            assert_groups_apart(&group_holdout(&groups, 0.9, seed).unwrap(), &groups);
        }
    }

    #[test]
    fn group_holdout_errors() {
        assert_eq!(
            group_holdout(&[4, 4, 4], 0.2, 0),
            Err(SplitError::TooFewGroupsForHoldout { groups: 1 })
        );
        assert_eq!(
            group_holdout(&[4, 4, 4], 0.2, 0).unwrap_err().to_string(),
            "a group holdout needs at least 2 groups; the group column has 1 value"
        );
        assert!(group_holdout(&[], 0.2, 0).is_err());
    }

    fn assert_past_before_future(s: &Split, keys: &[f64]) {
        assert!(s.train.is_sorted() && s.holdout.is_sorted());
        assert!(!s.train.is_empty() && !s.holdout.is_empty());
        let latest_train = s.train.iter().map(|&r| keys[r]).fold(f64::MIN, f64::max);
        let earliest_holdout = s.holdout.iter().map(|&r| keys[r]).fold(f64::MAX, f64::min);
        assert!(latest_train < earliest_holdout);
    }

    #[test]
    fn by_time_holds_out_the_latest_rows() {
        // Times in scrambled row order.
        let keys: Vec<f64> = (0..20).map(|i| ((i * 7) % 20) as f64 * 60.0).collect();
        let s = by_time(&keys, 0.25).unwrap();
        assert_past_before_future(&s, &keys);
        assert_eq!(s.holdout.len(), 5);
        let mut all = [s.train.clone(), s.holdout.clone()].concat();
        all.sort_unstable();
        assert_eq!(all, (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn by_time_keeps_equal_times_together() {
        // 10 rows, 2 to hold out: the cut after 8 rows would split the three 7.0s, so it moves
        // to the nearest boundary (after 9 rows) rather than the farther one (after 6).
        let keys = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 7.0, 7.0, 8.0];
        let s = by_time(&keys, 0.2).unwrap();
        assert_past_before_future(&s, &keys);
        assert_eq!(s.holdout, vec![9]);
        // Extreme fractions still leave a row on each side.
        let keys = [3.0, 3.0, 3.0, 9.0];
        for fraction in [0.0, 0.5, 1.0] {
            let s = by_time(&keys, fraction).unwrap();
            assert_eq!(s.holdout, vec![3]);
            assert_past_before_future(&s, &keys);
        }
    }

    #[test]
    fn by_time_errors() {
        assert_eq!(
            by_time(&[5.0, 5.0, 5.0], 0.2).unwrap_err().to_string(),
            "a split by time needs at least 2 different times; the time column has 1"
        );
        assert_eq!(
            by_time(&[], 0.2),
            Err(SplitError::TooFewTimes { distinct: 0 })
        );
        assert_eq!(
            by_time(&[1.0, f64::NAN, 3.0], 0.2),
            Err(SplitError::MissingTimes {
                rows: vec![1],
                count: 1
            })
        );
        assert_eq!(
            by_time(&[1.0, f64::NAN, 3.0], 0.2).unwrap_err().to_string(),
            "the time column has no values in row 2"
        );
        assert_eq!(
            by_time(&[f64::NAN, 1.0, f64::INFINITY, 3.0], 0.2)
                .unwrap_err()
                .to_string(),
            "the time column has no values in rows 1 and 3"
        );
        let keys: Vec<f64> = (0..20)
            .map(|i| if i % 2 == 0 { f64::NAN } else { 1.0 })
            .collect();
        assert_eq!(
            by_time(&keys, 0.2).unwrap_err().to_string(),
            "the time column has no values in rows 1, 3, 5, 7, 9 and 5 more"
        );
        assert_eq!(describe_rows(&[0, 1, 2], 3), "rows 1, 2 and 3");
    }

    #[test]
    fn time_series_folds_chain_forward() {
        let keys: Vec<f64> = (0..23).map(|i| ((i * 5) % 23) as f64).collect();
        let k = 4;
        let folds = time_series_folds(&keys, k).unwrap();
        assert_eq!(folds.len(), k);
        let mut held = vec![0; keys.len()];
        for (j, s) in folds.iter().enumerate() {
            assert_past_before_future(s, &keys);
            // Expanding window: each fold trains on the previous fold's train plus holdout.
            if j > 0 {
                let prev = &folds[j - 1];
                let mut grown = [prev.train.clone(), prev.holdout.clone()].concat();
                grown.sort_unstable();
                assert_eq!(s.train, grown);
            }
            for &r in &s.holdout {
                held[r] += 1;
            }
        }
        // 23 rows, 5 blocks: holdouts of 4 rows, first training block 7.
        assert_eq!(
            folds.iter().map(|s| s.holdout.len()).collect::<Vec<_>>(),
            vec![4; 4]
        );
        assert_eq!(folds[0].train.len(), 7);
        // Every row but the first block is held out exactly once.
        assert_eq!(held.iter().filter(|&&n| n == 1).count(), 16);
        assert!(held.iter().all(|&n| n <= 1));
    }

    #[test]
    fn time_series_folds_keep_ties_together() {
        // 4 distinct times, heavy ties; 3 folds need every time to be its own block.
        let keys = [1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 4.0];
        let folds = time_series_folds(&keys, 3).unwrap();
        assert_eq!(folds[0].holdout, vec![5]);
        assert_eq!(folds[1].holdout, vec![6, 7, 8]);
        assert_eq!(folds[2].holdout, vec![9]);
        for s in &folds {
            assert_past_before_future(s, &keys);
        }
    }

    #[test]
    fn time_series_folds_errors() {
        assert_eq!(
            time_series_folds(&[1.0, 2.0], 0),
            Err(SplitError::NoTimeFolds)
        );
        assert_eq!(
            time_series_folds(&[1.0, 2.0, 2.0, 3.0], 3),
            Err(SplitError::TooFewTimesForFolds {
                k: 3,
                needed: 4,
                distinct: 3
            })
        );
        assert_eq!(
            time_series_folds(&[1.0, 2.0, 2.0, 3.0], 3)
                .unwrap_err()
                .to_string(),
            "3 time-series folds need at least 4 different times; the time column has 3"
        );
        assert_eq!(
            time_series_folds(&[1.0, f64::NAN], 1)
                .unwrap_err()
                .to_string(),
            "the time column has no values in row 2"
        );
    }
}
