//! Fitted models as plain data, and the one inference primitive every surface uses: from a
//! prepared feature row to raw outputs (class scores or a standardised value).

use serde::{Deserialize, Serialize};

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
    Linear { layer: Dense },
    /// Multilayer perceptron: dense layers with ReLU between them.
    Mlp { layers: Vec<Dense> },
}

impl FittedModel {
    /// Raw outputs: class logits for classification, the standardised value for regression.
    pub fn forward(&self, x: &[f64]) -> Vec<f64> {
        match self {
            FittedModel::Linear { layer } => layer.forward(x),
            FittedModel::Mlp { layers } => {
                let mut h = x.to_vec();
                for (i, layer) in layers.iter().enumerate() {
                    h = layer.forward(&h);
                    if i + 1 < layers.len() {
                        h.iter_mut().for_each(|v| *v = v.max(0.0));
                    }
                }
                h
            }
        }
    }

    pub fn layers(&self) -> &[Dense] {
        match self {
            FittedModel::Linear { layer } => std::slice::from_ref(layer),
            FittedModel::Mlp { layers } => layers,
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
            layers: vec![l1, l2],
        };
        assert_eq!(m.forward(&[3.0]), vec![-2.0]);
        assert_eq!(m.forward(&[-3.0]), vec![-2.0]);
    }

    #[test]
    fn softmax_sums_to_one_and_argmax_picks_largest() {
        let p = softmax(&[1000.0, 1001.0, 999.0]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(argmax(&p), 1);
    }
}
