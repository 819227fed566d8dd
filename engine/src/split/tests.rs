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
