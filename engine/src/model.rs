//! Fitted models as plain data, and the one inference primitive every surface uses: from a
//! prepared feature row to the model's outputs (class probabilities, a standardised value,
//! a cluster, component scores).

use serde::{Deserialize, Serialize};

pub use crate::models::mlp::Activation;
use crate::models::{
    cnn::Cnn, forest::Forest, gbdt::Gbdt, kmeans::KMeans, knn::Knn, naive_bayes::NaiveBayes,
    pca::Pca, tree::Tree,
};

/// A dense layer `out = W·x + b`, `weights` row-major with `outputs` rows of `inputs` values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dense {
    pub inputs: usize,
    pub outputs: usize,
    pub weights: Vec<f64>,
    pub bias: Vec<f64>,
}

impl Dense {
    pub fn zeros(inputs: usize, outputs: usize) -> Self {
        Self {
            inputs,
            outputs,
            weights: vec![0.0; inputs * outputs],
            bias: vec![0.0; outputs],
        }
    }

    pub fn forward(&self, x: &[f64]) -> Vec<f64> {
        self.weights
            .chunks_exact(self.inputs.max(1))
            .zip(&self.bias)
            .map(|(row, b)| row.iter().zip(x).map(|(w, v)| w * v).sum::<f64>() + b)
            .collect()
    }

    pub fn is_consistent(&self) -> bool {
        self.weights.len() == self.inputs * self.outputs
            && self.bias.len() == self.outputs
            && self.weights.iter().chain(&self.bias).all(|v| v.is_finite())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FittedModel {
    /// Logistic (softmax) regression or linear regression: one dense layer.
    Linear {
        layer: Dense,
    },
    /// Multilayer perceptron: dense layers with the activation between them.
    Mlp {
        layers: Vec<Dense>,
        /// ReLU in artifacts written before the activation was a setting.
        #[serde(default)]
        activation: Activation,
    },
    Tree(Tree),
    Forest(Forest),
    Gbdt(Gbdt),
    Knn(Knn),
    NaiveBayes(NaiveBayes),
    #[serde(rename = "kmeans")]
    KMeans(KMeans),
    Pca(Pca),
    /// Convolutional network on images (the input row is the image's values).
    Cnn(Cnn),
}

impl FittedModel {
    /// The model's outputs for one prepared row: class probabilities (classification), the
    /// value on the scale the model was fitted on (regression), `[cluster]` (k-means) or the
    /// component scores (PCA).
    pub fn output(&self, x: &[f64]) -> Vec<f64> {
        match self {
            FittedModel::Linear { .. } | FittedModel::Mlp { .. } => {
                let out = self.forward(x);
                // A dense network's several outputs are class logits.
                if out.len() > 1 { softmax(&out) } else { out }
            }
            FittedModel::Tree(m) => m.predict(x),
            FittedModel::Forest(m) => m.predict(x),
            FittedModel::Gbdt(m) => m.predict(x),
            FittedModel::Knn(m) => m.predict(x),
            FittedModel::NaiveBayes(m) => m.predict(x),
            FittedModel::KMeans(m) => m.predict(x),
            FittedModel::Pca(m) => m.predict(x),
            FittedModel::Cnn(m) => {
                let out = m.forward(x);
                if out.len() > 1 { softmax(&out) } else { out }
            }
        }
    }

    /// [`FittedModel::output`] of each of `rows` rows laid end to end in `x`; boosted trees
    /// score the rows together (see `Gbdt::predict_batch`).
    pub fn output_rows(&self, x: &[f64], rows: usize) -> Vec<Vec<f64>> {
        let width = x.len().checked_div(rows).unwrap_or(0);
        match self {
            FittedModel::Gbdt(m) if width > 0 => m
                .predict_batch(&crate::models::Matrix::new(x, width))
                .chunks(m.outputs())
                .map(<[f64]>::to_vec)
                .collect(),
            _ => (0..rows)
                .map(|r| self.output(&x[r * width..(r + 1) * width]))
                .collect(),
        }
    }

    /// Checks a decoded model against the recipe's width and the expected number of outputs,
    /// so that [`FittedModel::output`] cannot fail on it.
    pub fn check(&self, width: usize, outputs: usize) -> Result<(), String> {
        match self {
            FittedModel::Linear { .. } | FittedModel::Mlp { .. } => {
                let layers = self.layers();
                let (Some(first), Some(last)) = (layers.first(), layers.last()) else {
                    return Err("the model has no layers".into());
                };
                if let Some(l) = layers.iter().find(|l| !l.is_consistent()) {
                    return Err(format!(
                        "a {}x{} layer has the wrong number of weights",
                        l.inputs, l.outputs
                    ));
                }
                if layers.windows(2).any(|w| w[0].outputs != w[1].inputs) {
                    return Err("consecutive layers do not connect".into());
                }
                if first.inputs != width {
                    return Err(format!(
                        "the recipe makes {width} inputs but the model takes {}",
                        first.inputs
                    ));
                }
                if last.outputs != outputs {
                    return Err(format!(
                        "the model gives {} outputs, expected {outputs}",
                        last.outputs
                    ));
                }
                Ok(())
            }
            FittedModel::Tree(m) => m.check(width, outputs),
            FittedModel::Forest(m) => m.check(width, outputs),
            FittedModel::Gbdt(m) => m.check(width, outputs),
            FittedModel::Knn(m) => m.check(width, outputs),
            FittedModel::NaiveBayes(m) => m.check(width, outputs),
            FittedModel::KMeans(m) => m.check(width, outputs),
            FittedModel::Pca(m) => m.check(width, outputs),
            FittedModel::Cnn(m) => m.check(width, outputs),
        }
    }

    /// Raw outputs of a network: class logits, or the standardised value. Other
    /// families give their [`FittedModel::output`].
    pub fn forward(&self, x: &[f64]) -> Vec<f64> {
        match self {
            FittedModel::Linear { layer } => layer.forward(x),
            FittedModel::Mlp { layers, activation } => {
                let mut h = x.to_vec();
                for (i, layer) in layers.iter().enumerate() {
                    h = layer.forward(&h);
                    if i + 1 < layers.len() {
                        h.iter_mut().for_each(|v| *v = activation.apply(*v));
                    }
                }
                h
            }
            FittedModel::Cnn(m) => m.forward(x),
            _ => self.output(x),
        }
    }

    /// The dense layers of a linear model or network; empty for other families.
    pub fn layers(&self) -> &[Dense] {
        match self {
            FittedModel::Linear { layer } => std::slice::from_ref(layer),
            FittedModel::Mlp { layers, .. } => layers,
            _ => &[],
        }
    }
}

/// Numerically stable softmax.
pub fn softmax(logits: &[f64]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = logits.iter().map(|z| (z - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// Index of the largest value (first on ties).
pub fn argmax(values: &[f64]) -> usize {
    values
        .iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (i, &v)| {
            if v > best.1 { (i, v) } else { best }
        })
        .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mlp_applies_relu_between_layers_only() {
        let l1 = Dense {
            inputs: 1,
            outputs: 2,
            weights: vec![1.0, -1.0],
            bias: vec![0.0, 0.0],
        };
        let l2 = Dense {
            inputs: 2,
            outputs: 1,
            weights: vec![1.0, 1.0],
            bias: vec![-5.0],
        };
        let m = FittedModel::Mlp {
            layers: vec![l1.clone(), l2.clone()],
            activation: Activation::Relu,
        };
        assert_eq!(m.forward(&[3.0]), vec![-2.0]);
        assert_eq!(m.forward(&[-3.0]), vec![-2.0]);
        let tanh = FittedModel::Mlp {
            layers: vec![l1, l2],
            activation: Activation::Tanh,
        };
        assert!((tanh.forward(&[3.0])[0] - (3f64.tanh() + (-3f64).tanh() - 5.0)).abs() < 1e-12);
    }

    #[test]
    fn softmax_sums_to_one_and_argmax_picks_largest() {
        let p = softmax(&[1000.0, 1001.0, 999.0]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(argmax(&p), 1);
    }
}
