//! The multilayer perceptron's settings and its trained weights as plain data. Training runs in
//! `nn` (burn, CPU or GPU); everything here builds without burn, so the widget and `kiln predict`
//! run a trained network with the engine's own dense layers.

use serde::{Deserialize, Serialize};

use super::params::{ParamError, Params};
use crate::model::{Dense, FittedModel};

/// The non-linearity between hidden layers (scikit-learn's names).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    #[default]
    Relu,
    Tanh,
    Logistic,
    Identity,
}

impl Activation {
    pub fn apply(self, v: f64) -> f64 {
        match self {
            Activation::Relu => v.max(0.0),
            Activation::Tanh => v.tanh(),
            Activation::Logistic => 1.0 / (1.0 + (-v).exp()),
            Activation::Identity => v,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optimizer {
    Adam,
    /// Stochastic gradient descent with (heavy-ball) momentum.
    Sgd,
}

/// How the learning rate changes over the epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    Constant,
    /// Divided by 10 at 50 % and again at 75 % of the epochs.
    Step,
    /// Cosine decay to zero at the last epoch.
    Cosine,
}

/// Classes weighted equally, or inversely to how often they occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassWeight {
    None,
    Balanced,
}

/// Settings of a network's training, read and range-checked.
#[derive(Debug, Clone, PartialEq)]
pub struct MlpParams {
    /// Units in each hidden layer, input side first.
    pub hidden: Vec<usize>,
    pub activation: Activation,
    pub dropout: f64,
    pub batch_norm: bool,
    pub optimizer: Optimizer,
    pub learning_rate: f64,
    pub momentum: f64,
    pub schedule: Schedule,
    /// Rows per step; `None` is scikit-learn's `auto`: min(200, training rows).
    pub batch_size: Option<usize>,
    pub epochs: u32,
    /// L2 penalty on the weights.
    pub weight_decay: f64,
    /// Share of the training rows kept aside to validate each epoch (0: none).
    pub validation_fraction: f64,
    pub early_stopping: bool,
    /// Epochs without a better validation loss before stopping.
    pub patience: u32,
    pub class_weight: ClassWeight,
}

impl Default for MlpParams {
    fn default() -> Self {
        Self {
            hidden: vec![64],
            activation: Activation::Relu,
            dropout: 0.0,
            batch_norm: false,
            optimizer: Optimizer::Adam,
            learning_rate: 0.001,
            momentum: 0.9,
            schedule: Schedule::Constant,
            batch_size: None,
            epochs: 200,
            weight_decay: 0.0001,
            validation_fraction: 0.1,
            early_stopping: true,
            patience: 10,
            class_weight: ClassWeight::None,
        }
    }
}

/// Largest number of hidden layers, and of units in one.
const MAX_LAYERS: usize = 16;
const MAX_UNITS: usize = 4096;

impl MlpParams {
    /// Reads the settings; `epochs` defaults to the caller's epoch control.
    pub fn from_params(p: &Params, default_epochs: u32) -> Result<Self, ParamError> {
        let defaults = MlpParams {
            epochs: default_epochs.max(1),
            ..MlpParams::default()
        };
        Self::read_with(p, defaults)
    }

    /// Reads the settings, with `d` for what is not given.
    pub fn read_with(p: &Params, d: MlpParams) -> Result<Self, ParamError> {
        let hidden = match p.text("hidden") {
            None => d.hidden,
            Some(raw) => parse_hidden(raw).map_err(|m| p.error("hidden", m))?,
        };
        let activation = match p.choice(
            "activation",
            activation_name(d.activation),
            &["relu", "tanh", "logistic", "identity"],
        )? {
            "tanh" => Activation::Tanh,
            "logistic" => Activation::Logistic,
            "identity" => Activation::Identity,
            _ => Activation::Relu,
        };
        let optimizer = match p.choice("optimizer", "adam", &["adam", "sgd"])? {
            "sgd" => Optimizer::Sgd,
            _ => Optimizer::Adam,
        };
        let schedule = match p.choice("schedule", "constant", &["constant", "step", "cosine"])? {
            "step" => Schedule::Step,
            "cosine" => Schedule::Cosine,
            _ => Schedule::Constant,
        };
        let batch_size = match p.text("batch_size") {
            Some(raw) if raw.eq_ignore_ascii_case("auto") => None,
            Some(_) => Some(p.int("batch_size", 200, 1, 1_000_000)?),
            None => d.batch_size,
        };
        let class_weight = match p.choice("class_weight", "none", &["none", "balanced"])? {
            "balanced" => ClassWeight::Balanced,
            _ => ClassWeight::None,
        };
        Ok(Self {
            hidden,
            activation,
            dropout: p.float("dropout", d.dropout, 0.0, 0.9)?,
            batch_norm: p.flag("batch_norm", d.batch_norm)?,
            optimizer,
            learning_rate: p.positive("learning_rate", d.learning_rate, 0.0, 10.0)?,
            momentum: p.float("momentum", d.momentum, 0.0, 0.999)?,
            schedule,
            batch_size,
            epochs: p.int("epochs", d.epochs as usize, 1, 100_000)? as u32,
            weight_decay: p.float("weight_decay", d.weight_decay, 0.0, 1.0)?,
            validation_fraction: p.float("validation_fraction", d.validation_fraction, 0.0, 0.5)?,
            early_stopping: p.flag("early_stopping", d.early_stopping)?,
            patience: p.int("patience", d.patience as usize, 1, 10_000)? as u32,
            class_weight,
        })
    }

    /// The learning rate of an epoch (0-based) under the schedule.
    pub fn rate_at(&self, epoch: u32) -> f64 {
        let progress = f64::from(epoch) / f64::from(self.epochs.max(1));
        match self.schedule {
            Schedule::Constant => self.learning_rate,
            Schedule::Step if progress >= 0.75 => self.learning_rate * 0.01,
            Schedule::Step if progress >= 0.5 => self.learning_rate * 0.1,
            Schedule::Step => self.learning_rate,
            Schedule::Cosine => {
                self.learning_rate * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
            }
        }
    }

    /// Rows per step for a training set of `rows` rows.
    pub fn batch_for(&self, rows: usize) -> usize {
        self.batch_size.unwrap_or(200).clamp(1, rows.max(1))
    }
}

fn activation_name(a: Activation) -> &'static str {
    match a {
        Activation::Relu => "relu",
        Activation::Tanh => "tanh",
        Activation::Logistic => "logistic",
        Activation::Identity => "identity",
    }
}

/// `64`, `128x64` or `128 64`: units per hidden layer.
pub(crate) fn parse_hidden(raw: &str) -> Result<Vec<usize>, String> {
    let wrong = || {
        format!(
            "must be units per hidden layer such as 64 or 128x64 (1 to {MAX_LAYERS} layers of 1 to {MAX_UNITS} units; got \"{raw}\")"
        )
    };
    let layers: Vec<usize> = raw
        .split(|c: char| c == 'x' || c == 'X' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .ok()
                .filter(|&u| (1..=MAX_UNITS).contains(&u))
        })
        .collect::<Option<_>>()
        .ok_or_else(wrong)?;
    if layers.is_empty() || layers.len() > MAX_LAYERS {
        return Err(wrong());
    }
    Ok(layers)
}

/// Running statistics and scale of a batch-norm layer (inference form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Norm {
    pub gamma: Vec<f64>,
    pub beta: Vec<f64>,
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
    pub epsilon: f64,
}

/// One hidden layer as trained: dense, then batch norm if used (then the activation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hidden {
    pub dense: Dense,
    pub norm: Option<Norm>,
}

/// A network's weights after some epoch: what training resumes from (on another device) and
/// what becomes the fitted model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpWeights {
    pub hidden: Vec<Hidden>,
    pub output: Dense,
    pub activation: Activation,
}

impl MlpWeights {
    /// The fitted model: batch norm folded into the dense layer before it, so inference is
    /// dense layers and the activation only.
    pub fn to_fitted(&self) -> FittedModel {
        FittedModel::Mlp {
            layers: self.layers(),
            activation: self.activation,
        }
    }

    /// The dense layers with batch norm folded in, output layer last.
    pub fn layers(&self) -> Vec<Dense> {
        let mut layers: Vec<Dense> = self.hidden.iter().map(Hidden::folded).collect();
        layers.push(self.output.clone());
        layers
    }
}

impl Hidden {
    /// `gamma·(W·x + b − mean)/√(var + ε) + beta` as one dense layer.
    fn folded(&self) -> Dense {
        let mut dense = self.dense.clone();
        if let Some(n) = &self.norm {
            let inputs = dense.inputs;
            for o in 0..dense.outputs {
                let scale = n.gamma[o] / (n.var[o] + n.epsilon).sqrt();
                for w in &mut dense.weights[o * inputs..(o + 1) * inputs] {
                    *w *= scale;
                }
                dense.bias[o] = (dense.bias[o] - n.mean[o]) * scale + n.beta[o];
            }
        }
        dense
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn read(pairs: &[(&str, &str)]) -> Result<MlpParams, ParamError> {
        let given: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let p = Params::new("mlp", &given);
        let read = MlpParams::from_params(&p, 50)?;
        p.finish()?;
        Ok(read)
    }

    #[test]
    fn hidden_layers_read_in_both_spellings() {
        assert_eq!(read(&[("hidden", "128x64")]).unwrap().hidden, vec![128, 64]);
        assert_eq!(
            read(&[("hidden", " 32 16 8 ")]).unwrap().hidden,
            vec![32, 16, 8]
        );
        let e = read(&[("hidden", "64,32")]).unwrap_err();
        assert_eq!(e.param, "hidden");
        assert!(e.message.contains("128x64"), "{e}");
        assert!(read(&[("hidden", "0")]).is_err());
    }

    #[test]
    fn settings_are_range_checked_and_epochs_default_to_the_control() {
        let p = read(&[]).unwrap();
        assert_eq!(p.epochs, 50);
        assert_eq!(p.batch_for(1000), 200);
        assert_eq!(p.batch_for(20), 20);
        assert!(
            read(&[("dropout", "0.95")])
                .unwrap_err()
                .message
                .contains("0.9")
        );
        assert!(read(&[("optimizer", "rmsprop")]).is_err());
        assert_eq!(read(&[("batch_size", "auto")]).unwrap().batch_size, None);
        assert_eq!(read(&[("batch_size", "32")]).unwrap().batch_size, Some(32));
    }

    #[test]
    fn schedules_lower_the_rate() {
        let mut p = read(&[("learning_rate", "0.1"), ("epochs", "100")]).unwrap();
        assert_eq!(p.rate_at(99), 0.1);
        p.schedule = Schedule::Step;
        assert_eq!(p.rate_at(10), 0.1);
        assert!((p.rate_at(60) - 0.01).abs() < 1e-12);
        assert!((p.rate_at(80) - 0.001).abs() < 1e-12);
        p.schedule = Schedule::Cosine;
        assert_eq!(p.rate_at(0), 0.1);
        assert!((p.rate_at(50) - 0.05).abs() < 1e-12);
        assert!(p.rate_at(99) < 0.001);
    }

    #[test]
    fn batch_norm_folds_into_the_dense_layer() {
        let hidden = Hidden {
            dense: Dense {
                inputs: 2,
                outputs: 1,
                weights: vec![1.0, -2.0],
                bias: vec![0.5],
            },
            norm: Some(Norm {
                gamma: vec![3.0],
                beta: vec![0.25],
                mean: vec![1.0],
                var: vec![4.0],
                epsilon: 0.0,
            }),
        };
        let x = [0.7, 0.1];
        let raw = hidden.dense.forward(&x)[0];
        let expected = 3.0 * (raw - 1.0) / 2.0 + 0.25;
        let folded = hidden.folded().forward(&x)[0];
        assert!((folded - expected).abs() < 1e-12, "{folded} vs {expected}");
    }
}
