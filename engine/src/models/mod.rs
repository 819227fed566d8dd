//! The classical model families. Every learner takes the recipe's output (a row-major matrix
//! of finite numbers, or NaN where a recipe without imputation left a value missing), a
//! target, typed hyperparameters read by [`params::Params`] and a seed, reports progress
//! through a callback that can stop it, and returns a fitted model that is plain serde data.
//!
//! Output convention of every fitted model's `predict(row)`:
//! - classification: one probability per class (in class-index order), summing to 1;
//! - regression: one value, on the scale of the target it was fitted on;
//! - clustering: the cluster index (as f64); PCA: the component scores.

pub mod bins;
pub mod cnn;
pub mod forest;
pub mod gbdt;
pub mod kmeans;
pub mod knn;
pub mod linear;
pub mod mlp;
pub mod naive_bayes;
pub mod params;
pub mod pca;
pub mod tree;

use std::ops::ControlFlow;

pub use crate::train::Progress;

/// Row-major feature matrix: `x[i * width + j]` is feature `j` of row `i`.
#[derive(Debug, Clone, Copy)]
pub struct Matrix<'a> {
    pub x: &'a [f64],
    pub width: usize,
}

impl<'a> Matrix<'a> {
    pub fn new(x: &'a [f64], width: usize) -> Self {
        Self { x, width }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.x.len().checked_div(self.width).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn row(&self, i: usize) -> &'a [f64] {
        &self.x[i * self.width..(i + 1) * self.width]
    }

    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.x[i * self.width + j]
    }

    pub fn rows(&self) -> impl Iterator<Item = &'a [f64]> + 'a {
        self.x.chunks_exact(self.width.max(1))
    }
}

/// What the model learns to predict, one entry per matrix row.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Class indices below `n_classes`.
    Classes { y: &'a [usize], n_classes: usize },
    /// Real values (regression targets arrive standardised).
    Values(&'a [f64]),
    /// Unsupervised learning.
    None,
}

/// The progress callback every learner takes: `Break` asks it to stop (it then returns `None`).
pub type Report<'a> = &'a mut dyn FnMut(Progress) -> ControlFlow<()>;
