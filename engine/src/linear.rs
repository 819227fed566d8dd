//! Linear models fitted by full-batch gradient descent with L2 regularisation: softmax
//! (multinomial logistic) regression for classification and ridge regression on a
//! standardised target. Features arrive standardised by the recipe, so one learning rate
//! works across datasets.

use std::ops::ControlFlow;

use crate::model::{Dense, softmax};
use crate::train::Progress;

#[derive(Debug, Clone, PartialEq)]
pub struct LinearParams {
    pub iterations: u32,
    pub l2: f64,
}

impl Default for LinearParams {
    fn default() -> Self {
        Self {
            iterations: 300,
            l2: 1e-4,
        }
    }
}

/// The rows to fit: a row-major feature matrix and the targets.
pub struct Design<'a> {
    pub x: &'a [f64],
    pub width: usize,
}

impl Design<'_> {
    /// Largest eigenvalue of the (bias-augmented) Gram matrix `XᵀX / n`, by power iteration:
    /// the curvature that bounds a stable gradient step.
    fn curvature(&self) -> f64 {
        let n = self.len().max(1) as f64;
        let mut v = vec![1.0; self.width + 1];
        let mut lambda = 1.0;
        for _ in 0..30 {
            let mut next = vec![0.0; self.width + 1];
            for row in self.rows() {
                let dot = row.iter().zip(&v).map(|(x, v)| x * v).sum::<f64>() + v[self.width];
                next.iter_mut()
                    .zip(row.iter().chain([&1.0]))
                    .for_each(|(o, x)| *o += dot * x / n);
            }
            let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm <= f64::EPSILON {
                return 1.0;
            }
            lambda = norm / v.iter().map(|x| x * x).sum::<f64>().sqrt();
            v = next;
        }
        lambda.max(1e-6)
    }

    fn rows(&self) -> impl Iterator<Item = &[f64]> {
        self.x.chunks_exact(self.width.max(1))
    }

    fn len(&self) -> usize {
        self.x.len() / self.width.max(1)
    }
}

/// Fits softmax regression. Returns `None` if `progress` asked to stop.
pub fn fit_logistic(
    design: &Design,
    classes: &[usize],
    n_classes: usize,
    params: &LinearParams,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Option<(Dense, Vec<f64>)> {
    let n = design.len().max(1) as f64;
    // Softmax cross-entropy has curvature at most half that of the Gram matrix.
    let rate = 2.0 / design.curvature();
    let mut layer = Dense::zeros(design.width, n_classes);
    let mut curve = Vec::new();
    for it in 0..params.iterations {
        let mut grad = Dense::zeros(design.width, n_classes);
        let mut loss = 0.0;
        for (row, &y) in design.rows().zip(classes) {
            let p = softmax(&layer.forward(row));
            loss -= p[y].max(1e-15).ln();
            for (k, pk) in p.iter().enumerate() {
                let d = pk - if k == y { 1.0 } else { 0.0 };
                grad.bias[k] += d;
                let g = &mut grad.weights[k * design.width..(k + 1) * design.width];
                g.iter_mut().zip(row).for_each(|(g, x)| *g += d * x);
            }
        }
        loss = loss / n + 0.5 * params.l2 * layer.weights.iter().map(|w| w * w).sum::<f64>();
        step(&mut layer, &grad, n, rate, params.l2);
        curve.push(loss);
        let report = Progress::iteration(it + 1, params.iterations, loss);
        if progress(report).is_break() {
            return None;
        }
    }
    Some((layer, curve))
}

/// Fits ridge regression on an already standardised target.
pub fn fit_ridge(
    design: &Design,
    target: &[f64],
    params: &LinearParams,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Option<(Dense, Vec<f64>)> {
    let n = design.len().max(1) as f64;
    let rate = 1.0 / design.curvature();
    let mut layer = Dense::zeros(design.width, 1);
    let mut curve = Vec::new();
    for it in 0..params.iterations {
        let mut grad = Dense::zeros(design.width, 1);
        let mut loss = 0.0;
        for (row, &y) in design.rows().zip(target) {
            let d = layer.forward(row)[0] - y;
            loss += 0.5 * d * d;
            grad.bias[0] += d;
            grad.weights
                .iter_mut()
                .zip(row)
                .for_each(|(g, x)| *g += d * x);
        }
        loss = loss / n + 0.5 * params.l2 * layer.weights.iter().map(|w| w * w).sum::<f64>();
        step(&mut layer, &grad, n, rate, params.l2);
        curve.push(loss);
        if progress(Progress::iteration(it + 1, params.iterations, loss)).is_break() {
            return None;
        }
    }
    Some((layer, curve))
}

fn step(layer: &mut Dense, grad: &Dense, n: f64, rate: f64, l2: f64) {
    for (w, g) in layer.weights.iter_mut().zip(&grad.weights) {
        *w -= rate * (g / n + l2 * *w);
    }
    for (b, g) in layer.bias.iter_mut().zip(&grad.bias) {
        *b -= rate * g / n;
    }
}
