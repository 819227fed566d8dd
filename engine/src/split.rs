//! Train/holdout splits: stratified by class for classification, shuffled for regression,
//! always deterministic for a given seed.

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
}
