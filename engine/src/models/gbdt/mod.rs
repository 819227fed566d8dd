//! Histogram-based gradient boosting, as scikit-learn's HistGradientBoostingClassifier and
//! HistGradientBoostingRegressor with their defaults: features quantised to at most 255 bins
//! (plus one for missing values), trees grown best-first on gradient histograms, half squared
//! error for regression, log loss for two classes (one tree per iteration on a raw score, then
//! a sigmoid) and softmax for more (one tree per class per iteration). Early stopping watches
//! the loss on a held-out part of the training rows.
//!
//! Missing values (NaN) are handled natively: every split tries sending them left and right
//! and keeps the better; a feature that had none in training sends them to the child that had
//! more rows. Fitted trees keep real thresholds, so prediction reads raw rows.

mod grow;
mod hist;
mod loss;
mod prep;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use super::params::{ParamError, Params};
use super::{Matrix, Progress, Report, Target};
use crate::models::bins::MISSING_BIN;
use grow::{Grower, TreeParams};
use hist::BinnedRows;
use loss::Loss;

/// When to hold out rows and stop once their loss stops improving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EarlyStopping {
    /// On when there are more than 10,000 training rows.
    Auto,
    On,
    Off,
}

/// The hyperparameters, with scikit-learn's names and defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct GbdtParams {
    pub learning_rate: f64,
    pub max_iter: usize,
    pub max_leaf_nodes: usize,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub l2_regularization: f64,
    pub max_bins: usize,
    pub early_stopping: EarlyStopping,
    pub validation_fraction: f64,
    pub n_iter_no_change: usize,
    pub tol: f64,
}

impl Default for GbdtParams {
    fn default() -> Self {
        Self {
            learning_rate: 0.1,
            max_iter: 100,
            max_leaf_nodes: 31,
            max_depth: None,
            min_samples_leaf: 20,
            l2_regularization: 0.0,
            max_bins: 255,
            early_stopping: EarlyStopping::Auto,
            validation_fraction: 0.1,
            n_iter_no_change: 10,
            tol: 1e-7,
        }
    }
}

impl GbdtParams {
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        let d = Self::default();
        Ok(Self {
            learning_rate: p.positive("learning_rate", d.learning_rate, 0.0, 10.0)?,
            max_iter: p.int("max_iter", d.max_iter, 1, 10_000)?,
            max_leaf_nodes: p.int("max_leaf_nodes", d.max_leaf_nodes, 2, 4096)?,
            max_depth: p.int_or_none("max_depth", d.max_depth, 1, 1000)?,
            min_samples_leaf: p.int("min_samples_leaf", d.min_samples_leaf, 1, 100_000_000)?,
            l2_regularization: p.float("l2_regularization", 0.0, 0.0, f64::INFINITY)?,
            max_bins: p.int("max_bins", d.max_bins, 2, 255)?,
            early_stopping: match p.choice("early_stopping", "auto", &["auto", "true", "false"])? {
                "true" => EarlyStopping::On,
                "false" => EarlyStopping::Off,
                _ => EarlyStopping::Auto,
            },
            validation_fraction: p.positive(
                "validation_fraction",
                d.validation_fraction,
                0.0,
                1.0,
            )?,
            n_iter_no_change: p.int("n_iter_no_change", d.n_iter_no_change, 1, 10_000)?,
            tol: p.float("tol", d.tol, 0.0, f64::INFINITY)?,
        })
    }
}

/// Rows that walk a tree together in [`Gbdt::predict_batch`].
const LANES: usize = 8;

/// A tree node. A leaf has `left == 0` (the root is nobody's child).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// The feature an internal node splits on.
    pub feature: u32,
    /// Values `<=` it go left (may be infinite: every present value goes left).
    pub threshold: f64,
    /// Where missing values go.
    pub missing_left: bool,
    pub left: u32,
    pub right: u32,
    /// A leaf's contribution to the raw score (learning rate included).
    pub value: f64,
    /// An internal node's gain (loss reduction), for feature importances.
    pub gain: f64,
    /// Training rows that reached the node (what TreeSHAP weighs branches by); 0 in models
    /// written before it was kept.
    #[serde(default)]
    pub cover: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

impl Node {
    /// Where an internal node sends a raw row: the left child for a value `<=` the
    /// threshold, or for a missing one when missing values go left.
    fn child(&self, row: &[f64]) -> usize {
        let v = row.get(self.feature as usize).copied().unwrap_or(f64::NAN);
        let left = if v.is_nan() {
            self.missing_left
        } else {
            v <= self.threshold
        };
        (if left { self.left } else { self.right }) as usize
    }
}

impl Tree {
    /// The leaf value of a raw row.
    pub fn predict(&self, row: &[f64]) -> f64 {
        let mut i = 0;
        while let Some(n) = self.nodes.get(i) {
            if n.left == 0 {
                return n.value;
            }
            i = n.child(row);
        }
        0.0
    }

    /// Steps from the root to the deepest leaf. Children come after their parent (as
    /// [`Gbdt::check`] makes sure of), so one pass in order finds every node's depth.
    fn depth(&self) -> usize {
        let mut depth = vec![0usize; self.nodes.len()];
        let mut deepest = 0;
        for (i, n) in self.nodes.iter().enumerate() {
            if n.left != 0 {
                let d = depth[i] + 1;
                for child in [n.left, n.right] {
                    // `max`: a crafted file may give a node two parents.
                    if let Some(slot) = depth.get_mut(child as usize) {
                        *slot = (*slot).max(d);
                    }
                }
                deepest = deepest.max(d);
            }
        }
        deepest
    }

    /// The leaf values of [`LANES`] rows into `leaves`. The rows take `depth` steps together
    /// without branches (a row at its leaf stays there), so the lanes' reads overlap and no
    /// turn is left to the branch predictor.
    fn walk_lanes(&self, depth: usize, rows: [&[f64]; LANES], leaves: &mut [f64; LANES]) {
        let mut at = [0usize; LANES];
        for _ in 0..depth {
            for (i, row) in at.iter_mut().zip(rows) {
                let Some(n) = self.nodes.get(*i) else {
                    continue;
                };
                let next = n.child(row);
                *i = if n.left == 0 { *i } else { next };
            }
        }
        for (leaf, i) in leaves.iter_mut().zip(at) {
            *leaf = self.nodes.get(i).map_or(0.0, |n| n.value);
        }
    }

    /// The leaf value of a binned row (`bins` are the nodes' split bins).
    fn predict_binned(&self, bins: &[u8], row: &[u8]) -> f64 {
        let mut i = 0;
        while let Some(n) = self.nodes.get(i) {
            if n.left == 0 {
                return n.value;
            }
            let b = row.get(n.feature as usize).copied().unwrap_or(MISSING_BIN);
            let left = if b == MISSING_BIN {
                n.missing_left
            } else {
                b <= bins.get(i).copied().unwrap_or(0)
            };
            i = if left { n.left } else { n.right } as usize;
        }
        0.0
    }
}

/// A fitted boosting model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gbdt {
    /// Classes; 0 for regression.
    pub n_classes: usize,
    /// Features per row.
    pub width: usize,
    /// Raw scores before any tree: one, or one per class for more than two classes.
    pub baseline: Vec<f64>,
    /// Iteration-major: tree `k` of iteration `it` is `trees[it * baseline.len() + k]`.
    pub trees: Vec<Tree>,
    /// Iterations done (fewer than `max_iter` when stopped early).
    pub iterations: usize,
    pub stopped_early: bool,
    /// Mean training loss after each iteration.
    pub train_loss: Vec<f64>,
    /// Mean loss of the held-out rows before the first and after each iteration (early
    /// stopping only).
    pub validation_loss: Vec<f64>,
}

impl Gbdt {
    fn loss(&self) -> Loss {
        Loss::of(self.n_classes)
    }

    /// Outputs per row: one probability per class, or the value.
    pub fn outputs(&self) -> usize {
        if self.n_classes >= 2 {
            self.n_classes
        } else {
            1
        }
    }

    fn raw(&self, row: &[f64]) -> Vec<f64> {
        let mut raw = self.baseline.clone();
        let per = raw.len().max(1);
        for (t, tree) in self.trees.iter().enumerate() {
            if let Some(r) = raw.get_mut(t % per) {
                *r += tree.predict(row);
            }
        }
        raw
    }

    /// Class probabilities (or `[1.0]` for a single class), or the regression value.
    pub fn predict(&self, row: &[f64]) -> Vec<f64> {
        if self.n_classes == 1 {
            return vec![1.0];
        }
        self.loss().outputs(&self.raw(row))
    }

    /// [`Gbdt::predict`] of every row, concatenated (`outputs()` values per row). Rows go in
    /// blocks, each block tree by tree, [`LANES`] rows walking a tree together: one tree's
    /// nodes and the block's rows stay in the cache, and the lanes' node reads overlap where
    /// one row's walk waits on each read in turn. Sums are taken in the same order as
    /// [`Gbdt::predict`], so the results are the same to the bit.
    pub fn predict_batch(&self, x: &Matrix) -> Vec<f64> {
        const BLOCK: usize = 64;
        let rows = x.len();
        if self.n_classes == 1 {
            return vec![1.0; rows];
        }
        let per = self.baseline.len().max(1);
        let depths: Vec<usize> = self.trees.iter().map(Tree::depth).collect();
        let mut raw: Vec<f64> = (0..rows).flat_map(|_| self.baseline.clone()).collect();
        let mut leaves = [0.0; LANES];
        for first in (0..rows).step_by(BLOCK) {
            let end = (first + BLOCK).min(rows);
            for (t, (tree, &depth)) in self.trees.iter().zip(&depths).enumerate() {
                let k = t % per;
                let mut r = first;
                while r + LANES <= end {
                    let lanes: [&[f64]; LANES] = std::array::from_fn(|j| x.row(r + j));
                    tree.walk_lanes(depth, lanes, &mut leaves);
                    for (j, leaf) in leaves.iter().enumerate() {
                        raw[(r + j) * per + k] += leaf;
                    }
                    r += LANES;
                }
                for r in r..end {
                    raw[r * per + k] += tree.predict(x.row(r));
                }
            }
        }
        let loss = self.loss();
        raw.chunks_exact(per)
            .flat_map(|r| loss.outputs(r))
            .collect()
    }

    /// Total split gain per feature, normalised to sum to 1 (all zeros without splits).
    pub fn feature_importances(&self, width: usize) -> Vec<f64> {
        let mut gains = vec![0.0; width];
        for n in self.trees.iter().flat_map(|t| &t.nodes) {
            if n.left != 0
                && let Some(g) = gains.get_mut(n.feature as usize)
            {
                *g += n.gain.max(0.0);
            }
        }
        let total: f64 = gains.iter().sum();
        if total > 0.0 {
            gains.iter_mut().for_each(|g| *g /= total);
        }
        gains
    }

    /// Validates a decoded model for rows of `width` features and `outputs` outputs, so that
    /// `predict` cannot misbehave after it.
    pub fn check(&self, width: usize, outputs: usize) -> Result<(), String> {
        if self.width != width {
            return Err(format!(
                "model reads {} features, rows have {width}",
                self.width
            ));
        }
        if self.outputs() != outputs {
            return Err(format!(
                "model gives {} outputs, {outputs} expected",
                self.outputs()
            ));
        }
        let per = self.loss().per_iteration();
        if self.baseline.len() != per || !self.baseline.iter().all(|b| b.is_finite()) {
            return Err(format!("model needs {per} finite baseline scores"));
        }
        if Some(self.trees.len()) != self.iterations.checked_mul(per) {
            return Err(format!(
                "model has {} trees for {} iterations of {per}",
                self.trees.len(),
                self.iterations
            ));
        }
        for (t, tree) in self.trees.iter().enumerate() {
            if tree.nodes.is_empty() {
                return Err(format!("tree {t} has no nodes"));
            }
            let len = tree.nodes.len();
            for (i, n) in tree.nodes.iter().enumerate() {
                let bad = if n.left == 0 {
                    n.right != 0 || !n.value.is_finite()
                } else {
                    let (l, r) = (n.left as usize, n.right as usize);
                    l <= i
                        || r <= i
                        || l >= len
                        || r >= len
                        || n.feature as usize >= width
                        || n.threshold.is_nan()
                        || !n.gain.is_finite()
                };
                if bad {
                    return Err(format!("tree {t} node {i} is malformed"));
                }
            }
        }
        Ok(())
    }
}

/// Fits a boosting model. Returns `None` only when `report` asks to stop. `Target::None`
/// (nothing to learn) gives a model that predicts 0.
pub fn fit(
    x: &Matrix,
    target: &Target,
    params: &GbdtParams,
    seed: u64,
    report: Report,
) -> Option<Gbdt> {
    let (n_classes, y): (usize, Vec<f64>) = match *target {
        Target::Classes { y, n_classes } => (n_classes, y.iter().map(|&c| c as f64).collect()),
        Target::Values(y) => (0, y.to_vec()),
        Target::None => (0, vec![0.0; x.len()]),
    };
    let n = x.len().min(y.len());
    let loss = Loss::of(n_classes);
    let per = loss.per_iteration();
    let mut model = Gbdt {
        n_classes,
        width: x.width,
        baseline: vec![0.0; per],
        trees: Vec::new(),
        iterations: 0,
        stopped_early: false,
        train_loss: Vec::new(),
        validation_loss: Vec::new(),
    };
    if n == 0 || n_classes == 1 || matches!(target, Target::None) {
        return Some(model);
    }
    let early = n >= 2
        && match params.early_stopping {
            EarlyStopping::Auto => n > 10_000,
            EarlyStopping::On => true,
            EarlyStopping::Off => false,
        };
    let (train, val) = if !early {
        ((0..n).collect(), Vec::new())
    } else if n_classes >= 2 {
        let classes: Vec<usize> = y[..n].iter().map(|&c| c as usize).collect();
        let s = crate::split::stratified(&classes, params.validation_fraction, seed);
        (s.train, s.holdout)
    } else {
        let s = crate::split::shuffled(n, params.validation_fraction, seed);
        (s.train, s.holdout)
    };
    let mapper = prep::fit_mapper(x, &train, params.max_bins, seed);
    let bins = prep::bin_counts(&mapper);
    let train_bins = prep::bin_rows(x, &train, &mapper, true);
    let val_bins = prep::bin_rows(x, &val, &mapper, false);
    let y_train: Vec<f64> = train.iter().map(|&i| y[i]).collect();
    let y_val: Vec<f64> = val.iter().map(|&i| y[i]).collect();
    let (nt, nv) = (train.len(), val.len());
    drop((train, val, y));

    model.baseline = loss.baseline(&y_train);
    let mut raw: Vec<f64> = model.baseline.iter().flat_map(|&b| vec![b; nt]).collect();
    let mut raw_val: Vec<f64> = model.baseline.iter().flat_map(|&b| vec![b; nv]).collect();
    let mut gh = vec![[0.0f32; 2]; per * nt];
    let data = BinnedRows {
        data: &train_bins.data,
        columns: &train_bins.columns,
        width: x.width,
        bins: &bins,
    };
    let tree_params = TreeParams {
        max_leaf_nodes: params.max_leaf_nodes,
        max_depth: params.max_depth,
        min_samples_leaf: params.min_samples_leaf,
        l2: params.l2_regularization,
        shrinkage: params.learning_rate,
    };
    let mut grower = Grower::new(data, &train_bins.has_missing, &mapper, tree_params);
    let total = params.max_iter as u32;
    let mut scores: Vec<f64> = Vec::new();
    if early {
        let l = loss.loss(&y_val, &raw_val);
        model.validation_loss.push(l);
        scores.push(-l);
    }
    for it in 0..params.max_iter {
        let train_loss = loss.gradients(&y_train, &raw, &mut gh);
        if it > 0 {
            model.train_loss.push(train_loss);
            if report(Progress::iteration(it as u32, total, train_loss)).is_break() {
                return None;
            }
        }
        for k in 0..per {
            let grown = grower.grow(&gh[k * nt..(k + 1) * nt]);
            let raw_k = &mut raw[k * nt..(k + 1) * nt];
            for &(start, end, value) in &grown.leaves {
                for &i in grower.rows(start, end) {
                    raw_k[i as usize] += value;
                }
            }
            let val_k = &mut raw_val[k * nv..(k + 1) * nv];
            for (r, row) in val_k
                .iter_mut()
                .zip(val_bins.data.chunks_exact(x.width.max(1)))
            {
                *r += grown.tree.predict_binned(&grown.bins, row);
            }
            model.trees.push(grown.tree);
        }
        model.iterations += 1;
        if early {
            let l = loss.loss(&y_val, &raw_val);
            model.validation_loss.push(l);
            scores.push(-l);
            if should_stop(&scores, params.n_iter_no_change, params.tol) {
                model.stopped_early = true;
                break;
            }
        }
    }
    let train_loss = loss.loss(&y_train, &raw);
    model.train_loss.push(train_loss);
    if report(Progress::iteration(
        model.iterations as u32,
        total,
        train_loss,
    ))
    .is_break()
    {
        return None;
    }
    Some(model)
}

/// scikit-learn's rule: stop when none of the last `n` scores beats the one before them by
/// more than `tol`.
fn should_stop(scores: &[f64], n: usize, tol: f64) -> bool {
    if scores.len() < n + 1 {
        return false;
    }
    let reference = scores[scores.len() - n - 1] + tol;
    !scores[scores.len() - n..].iter().any(|&s| s > reference)
}
