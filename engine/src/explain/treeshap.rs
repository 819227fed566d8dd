//! Exact Shapley values of tree models: the polynomial-time path-dependent TreeSHAP
//! algorithm (Lundberg, Erion and Lee, "Consistent individualized feature attribution for
//! tree ensembles", 2018, algorithm 2), written here because no maintained crate computes it
//! for our tree types in wasm. Each branch is weighted by the share of training rows that
//! went down it, so the values sum to the prediction minus the cover-weighted mean of the
//! leaves (the tree's expected value).

use crate::models::gbdt;
use crate::models::tree::{Node, Tree};

/// Deepest tree explained: the path state is quadratic in the depth, and a deeper tree in a
/// decoded file would be a damaged or hostile one.
const MAX_DEPTH: usize = 512;

/// One tree in the shape the algorithm walks: node arrays, leaves with `left == 0`.
pub struct ShapTree {
    left: Vec<u32>,
    right: Vec<u32>,
    feature: Vec<u32>,
    threshold: Vec<f64>,
    missing_left: Vec<bool>,
    cover: Vec<f64>,
    /// `outputs` values per node (zeros on internal nodes).
    values: Vec<f64>,
    outputs: usize,
    /// Depth of the deepest leaf (the root is at 0).
    depth: usize,
}

impl ShapTree {
    /// A CART tree (also each tree of a forest): class probabilities or the value per leaf.
    pub fn from_tree(tree: &Tree) -> Result<Self, String> {
        let n = tree.nodes.len();
        let outputs = tree.outputs.max(1);
        let mut t = Self::empty(n, outputs);
        for (i, node) in tree.nodes.iter().enumerate() {
            match node {
                Node::Split {
                    feature,
                    threshold,
                    missing_left,
                    left,
                    right,
                    samples,
                    ..
                } => {
                    t.left[i] = *left;
                    t.right[i] = *right;
                    t.feature[i] = *feature;
                    t.threshold[i] = *threshold;
                    t.missing_left[i] = *missing_left;
                    t.cover[i] = *samples;
                }
                Node::Leaf { value, samples } => {
                    let start = *value as usize * outputs;
                    let v = tree
                        .values
                        .get(start..start + outputs)
                        .ok_or("a tree leaf points past its values")?;
                    t.values[i * outputs..(i + 1) * outputs].copy_from_slice(v);
                    t.cover[i] = *samples;
                }
            }
        }
        t.checked()
    }

    /// A boosting tree: one raw score per leaf.
    pub fn from_gbdt(tree: &gbdt::Tree) -> Result<Self, String> {
        let mut t = Self::empty(tree.nodes.len(), 1);
        for (i, n) in tree.nodes.iter().enumerate() {
            t.left[i] = n.left;
            t.right[i] = n.right;
            t.feature[i] = n.feature;
            t.threshold[i] = n.threshold;
            t.missing_left[i] = n.missing_left;
            t.cover[i] = n.cover;
            if n.left == 0 {
                t.values[i] = n.value;
            }
        }
        t.checked()
    }

    fn empty(n: usize, outputs: usize) -> Self {
        Self {
            left: vec![0; n],
            right: vec![0; n],
            feature: vec![0; n],
            threshold: vec![0.0; n],
            missing_left: vec![false; n],
            cover: vec![0.0; n],
            values: vec![0.0; n * outputs],
            outputs,
            depth: 0,
        }
    }

    /// Refuses what the algorithm cannot walk: a node reached twice (a shared child would
    /// make the walk exponential), a child before its parent, a branch no training row went
    /// down on both sides of a split with rows (no cover to weigh by), or a very deep tree.
    fn checked(mut self) -> Result<Self, String> {
        let n = self.left.len();
        if n == 0 {
            return Err("a tree has no nodes".into());
        }
        let mut parents = vec![0u8; n];
        let mut depth = vec![0usize; n];
        for i in 0..n {
            if self.left[i] == 0 {
                continue;
            }
            if !(self.cover[i] > 0.0 && self.cover[i].is_finite()) {
                return Err("the model does not record how many training rows reached each node (retrain it to explain it exactly)".into());
            }
            for c in [self.left[i] as usize, self.right[i] as usize] {
                if c <= i || c >= n || parents[c] > 0 {
                    return Err(format!("tree node {i} is malformed"));
                }
                parents[c] = 1;
                depth[c] = depth[i] + 1;
                if depth[c] > MAX_DEPTH {
                    return Err(format!("a tree is deeper than {MAX_DEPTH} levels"));
                }
                if !(self.cover[c] >= 0.0 && self.cover[c].is_finite()) {
                    return Err(format!("tree node {c} has a damaged row count"));
                }
            }
        }
        self.depth = depth.into_iter().max().unwrap_or(0);
        Ok(self)
    }

    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// The tree's expected output (the training rows' mean leaf value, by cover).
    pub fn expected(&self) -> Vec<f64> {
        let mut e = vec![0.0; self.outputs];
        // Reach probability of each node, top down (children come after parents).
        let n = self.left.len();
        let mut reach = vec![0.0; n];
        reach[0] = 1.0;
        for i in 0..n {
            let (l, r) = (self.left[i] as usize, self.right[i] as usize);
            if self.left[i] == 0 {
                let v = &self.values[i * self.outputs..(i + 1) * self.outputs];
                e.iter_mut().zip(v).for_each(|(e, v)| *e += reach[i] * v);
            } else {
                let (cl, cr) = self.fractions(i);
                reach[l] = reach[i] * cl;
                reach[r] = reach[i] * cr;
            }
        }
        e
    }

    /// Shares of a split node's training rows that went left and right.
    fn fractions(&self, i: usize) -> (f64, f64) {
        let (l, r) = (self.left[i] as usize, self.right[i] as usize);
        let total = self.cover[i];
        (self.cover[l] / total, self.cover[r] / total)
    }

    fn goes_left(&self, i: usize, x: &[f64]) -> bool {
        let v = x.get(self.feature[i] as usize).copied().unwrap_or(f64::NAN);
        if v.is_nan() {
            self.missing_left[i]
        } else {
            v <= self.threshold[i]
        }
    }

    /// Adds this tree's Shapley values for row `x`, times `scale`, to `phi`
    /// (`phi[output * width + feature]`, `width = x.len()`). `paths` is working space, shared
    /// by the trees of a row.
    pub fn add_shap(&self, x: &[f64], scale: f64, phi: &mut [f64], paths: &mut Paths) {
        paths.fit(self.depth);
        let walk = Walk {
            tree: self,
            x,
            scale,
        };
        walk.recurse(phi, &mut paths.0, 0, 0, 0, (1.0, 1.0, None));
    }
}

/// Working space for a walk: every path of a tree in one buffer. The path at depth `d` has at
/// most `d + 1` steps and lives at `d (d + 1) / 2`, so a node copies its parent's path once
/// and nothing is allocated during the walk.
#[derive(Default)]
pub struct Paths(Vec<Step>);

impl Paths {
    fn fit(&mut self, depth: usize) {
        let needed = (depth + 1) * (depth + 2) / 2;
        if self.0.len() < needed {
            self.0.resize(needed, Step::default());
        }
    }
}

/// One row's walk down a tree.
struct Walk<'a> {
    tree: &'a ShapTree,
    x: &'a [f64],
    scale: f64,
}

impl Walk<'_> {
    /// Visits `node` at `depth`, whose parent's path is the first `parent_len` steps at
    /// depth `depth - 1` in `paths`.
    #[allow(clippy::too_many_arguments)]
    fn recurse(
        &self,
        phi: &mut [f64],
        paths: &mut [Step],
        node: usize,
        depth: usize,
        parent_len: usize,
        (zero, one, feature): (f64, f64, Option<u32>),
    ) {
        let t = self.tree;
        let start = depth * (depth + 1) / 2;
        let (before, rest) = paths.split_at_mut(start);
        if depth > 0 {
            let parent = (depth - 1) * depth / 2;
            rest[..parent_len].copy_from_slice(&before[parent..parent + parent_len]);
        }
        let mut len = parent_len;
        let path = &mut rest[..=depth];
        extend(path, &mut len, zero, one, feature);
        if t.left[node] == 0 {
            let width = self.x.len();
            let v = &t.values[node * t.outputs..(node + 1) * t.outputs];
            let path = &path[..len];
            for i in 1..len {
                let w = unwound_sum(path, i);
                let step = &path[i];
                let Some(f) = step.feature else { continue };
                let share = w * (step.one - step.zero) * self.scale;
                for (o, v) in v.iter().enumerate() {
                    if let Some(slot) = phi.get_mut(o * width + f as usize) {
                        *slot += share * v;
                    }
                }
            }
            return;
        }
        let split = t.feature[node];
        let (l, r) = (t.left[node] as usize, t.right[node] as usize);
        let (fl, fr) = t.fractions(node);
        let (hot, cold, hot_share, cold_share) = if t.goes_left(node, self.x) {
            (l, r, fl, fr)
        } else {
            (r, l, fr, fl)
        };
        // A feature split on again higher up: undo its step, so it is counted once.
        let (mut in_zero, mut in_one) = (1.0, 1.0);
        if let Some(k) = path[..len].iter().position(|s| s.feature == Some(split)) {
            in_zero = path[k].zero;
            in_one = path[k].one;
            unwind(path, &mut len, k);
        }
        let next = (hot_share * in_zero, in_one, Some(split));
        self.recurse(phi, paths, hot, depth + 1, len, next);
        let next = (cold_share * in_zero, 0.0, Some(split));
        self.recurse(phi, paths, cold, depth + 1, len, next);
    }
}

/// One feature on the path from the root: the share of rows that follow it when the feature
/// is unknown (`zero`), whether the row itself follows it (`one`), and the permutation weight.
#[derive(Clone, Copy, Default)]
struct Step {
    feature: Option<u32>,
    zero: f64,
    one: f64,
    weight: f64,
}

/// Appends a step to the first `len` steps of `path` and updates the permutation weights.
fn extend(path: &mut [Step], len: &mut usize, zero: f64, one: f64, feature: Option<u32>) {
    let depth = *len;
    path[depth] = Step {
        feature,
        zero,
        one,
        weight: if depth == 0 { 1.0 } else { 0.0 },
    };
    *len += 1;
    let d = depth as f64;
    for i in (0..depth).rev() {
        let w = path[i].weight;
        path[i + 1].weight += one * w * (i as f64 + 1.0) / (d + 1.0);
        path[i].weight = zero * w * (d - i as f64) / (d + 1.0);
    }
}

/// Takes step `at` out of the first `len` steps of `path`.
fn unwind(path: &mut [Step], len: &mut usize, at: usize) {
    let depth = *len - 1;
    let d = depth as f64;
    let Step { zero, one, .. } = path[at];
    let mut next = path[depth].weight;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let t = path[i].weight;
            path[i].weight = next * (d + 1.0) / ((i as f64 + 1.0) * one);
            next = t - path[i].weight * zero * (d - i as f64) / (d + 1.0);
        } else {
            path[i].weight = path[i].weight * (d + 1.0) / (zero * (d - i as f64));
        }
    }
    for i in at..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero = path[i + 1].zero;
        path[i].one = path[i + 1].one;
    }
    *len -= 1;
}

/// The total permutation weight of the path with step `at` taken out.
fn unwound_sum(path: &[Step], at: usize) -> f64 {
    let depth = path.len() - 1;
    let d = depth as f64;
    let Step { zero, one, .. } = path[at];
    let mut next = path[depth].weight;
    let mut total = 0.0;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let t = next * (d + 1.0) / ((i as f64 + 1.0) * one);
            total += t;
            next = path[i].weight - t * zero * (d - i as f64) / (d + 1.0);
        } else {
            total += path[i].weight / zero / ((d - i as f64) / (d + 1.0));
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(feature: u32, threshold: f64, left: u32, right: u32, samples: f64) -> Node {
        Node::Split {
            feature,
            threshold,
            missing_left: true,
            left,
            right,
            gain: 1.0,
            samples,
        }
    }

    fn leaf(value: u32, samples: f64) -> Node {
        Node::Leaf { value, samples }
    }

    /// Shapley values by their definition: every subset of features, with the tree's
    /// expectation over unknown features taken by cover.
    fn brute_force(tree: &ShapTree, x: &[f64]) -> Vec<f64> {
        let m = x.len();
        let value = |known: u32| -> f64 {
            fn walk(t: &ShapTree, x: &[f64], known: u32, i: usize) -> f64 {
                if t.left[i] == 0 {
                    return t.values[i];
                }
                let (l, r) = (t.left[i] as usize, t.right[i] as usize);
                if known & (1 << t.feature[i]) != 0 {
                    walk(t, x, known, if t.goes_left(i, x) { l } else { r })
                } else {
                    let (fl, fr) = t.fractions(i);
                    fl * walk(t, x, known, l) + fr * walk(t, x, known, r)
                }
            }
            walk(tree, x, known, 0)
        };
        let fact = |n: usize| (1..=n).map(|k| k as f64).product::<f64>();
        (0..m)
            .map(|j| {
                let mut phi = 0.0;
                for s in 0u32..(1 << m) {
                    if s & (1 << j) != 0 {
                        continue;
                    }
                    let k = s.count_ones() as usize;
                    let w = fact(k) * fact(m - k - 1) / fact(m);
                    phi += w * (value(s | (1 << j)) - value(s));
                }
                phi
            })
            .collect()
    }

    #[test]
    fn tree_shap_matches_the_definition_and_sums_to_the_prediction() {
        // Splits on feature 0 twice and on 1 and 2, with uneven covers.
        let tree = Tree {
            outputs: 1,
            nodes: vec![
                split(0, 0.5, 1, 2, 100.0),
                split(1, 1.0, 3, 4, 60.0),
                split(0, 2.0, 5, 6, 40.0),
                leaf(0, 45.0),
                split(2, 0.0, 7, 8, 15.0),
                leaf(1, 10.0),
                leaf(2, 30.0),
                leaf(3, 5.0),
                leaf(4, 10.0),
            ],
            values: vec![1.0, -2.0, 3.5, 7.0, 0.25],
        };
        let t = ShapTree::from_tree(&tree).unwrap();
        let expected = t.expected()[0];
        for x in [
            [0.0, 2.0, -1.0],
            [0.0, 0.0, 1.0],
            [1.0, 2.0, 1.0],
            [3.0, 0.0, 0.0],
            [f64::NAN, 5.0, 1.0],
        ] {
            let mut phi = vec![0.0; 3];
            t.add_shap(&x, 1.0, &mut phi, &mut Paths::default());
            let truth = brute_force(&t, &x);
            for (a, b) in phi.iter().zip(&truth) {
                assert!((a - b).abs() < 1e-9, "{phi:?} vs {truth:?} at {x:?}");
            }
            let sum: f64 = phi.iter().sum();
            assert!((expected + sum - tree.predict(&x)[0]).abs() < 1e-9);
        }
    }

    #[test]
    fn shared_children_and_missing_covers_are_refused() {
        let shared = Tree {
            outputs: 1,
            nodes: vec![split(0, 0.0, 1, 1, 10.0), leaf(0, 10.0)],
            values: vec![1.0],
        };
        assert!(ShapTree::from_tree(&shared).is_err());
        let old = gbdt::Tree {
            nodes: vec![
                gbdt::Node {
                    feature: 0,
                    threshold: 0.0,
                    missing_left: true,
                    left: 1,
                    right: 2,
                    value: 0.0,
                    gain: 1.0,
                    cover: 0.0,
                },
                gbdt::Node {
                    feature: 0,
                    threshold: 0.0,
                    missing_left: false,
                    left: 0,
                    right: 0,
                    value: 1.0,
                    gain: 0.0,
                    cover: 0.0,
                },
                gbdt::Node {
                    feature: 0,
                    threshold: 0.0,
                    missing_left: false,
                    left: 0,
                    right: 0,
                    value: -1.0,
                    gain: 0.0,
                    cover: 0.0,
                },
            ],
        };
        let err = ShapTree::from_gbdt(&old).err().unwrap();
        assert!(err.contains("retrain"), "{err}");
    }
}
