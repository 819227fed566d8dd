//! The perceptron as a burn module, and the copy of its weights to and from plain data
//! ([`MlpWeights`]): what the fitted model is made of, and what training resumes from on
//! another device.

use burn::module::{Param, RunningState};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation;

use super::NetParams;
use crate::model::Dense;
use crate::models::cnn::NetWeights;
use crate::models::mlp::{Activation, Hidden, MlpParams, MlpWeights, Norm};
use crate::train::TrainError;

#[derive(Module, Debug)]
pub(super) struct Block {
    linear: Linear,
    norm: Option<BatchNorm>,
    dropout: Dropout,
}

#[derive(Module, Debug)]
pub(super) struct Net {
    blocks: Vec<Block>,
    output: Linear,
}

const NORM_EPSILON: f64 = 1e-5;

impl Net {
    /// A freshly initialised network (burn's default initialisation, from the device's seed).
    pub fn new(inputs: usize, outputs: usize, params: &MlpParams, device: &Device) -> Self {
        let mut width = inputs;
        let blocks = params
            .hidden
            .iter()
            .map(|&units| {
                let block = Block {
                    linear: LinearConfig::new(width, units).init(device),
                    norm: params.batch_norm.then(|| {
                        BatchNormConfig::new(units)
                            .with_epsilon(NORM_EPSILON)
                            .init(device)
                    }),
                    dropout: DropoutConfig::new(params.dropout).init(),
                };
                width = units;
                block
            })
            .collect();
        Self {
            blocks,
            output: LinearConfig::new(width, outputs).init(device),
        }
    }

    /// A network holding `weights` on `device`.
    pub fn load(weights: &MlpWeights, params: &MlpParams, device: &Device) -> Self {
        let blocks = weights
            .hidden
            .iter()
            .map(|h| Block {
                linear: linear(&h.dense, device),
                norm: h.norm.as_ref().map(|n| norm(n, device)),
                dropout: DropoutConfig::new(params.dropout).init(),
            })
            .collect();
        Self {
            blocks,
            output: linear(&weights.output, device),
        }
    }

    pub fn forward(&self, mut x: Tensor<2>, act: Activation) -> Tensor<2> {
        for block in &self.blocks {
            x = block.linear.forward(x);
            if let Some(norm) = &block.norm {
                x = norm.forward(x);
            }
            x = block.dropout.forward(activate(x, act));
        }
        self.output.forward(x)
    }

    /// Reads the weights back from the device.
    pub async fn weights(&self, act: Activation) -> Result<MlpWeights, TrainError> {
        let mut hidden = Vec::with_capacity(self.blocks.len());
        for block in &self.blocks {
            let norm = match &block.norm {
                None => None,
                Some(n) => Some(read_norm(n).await?),
            };
            hidden.push(Hidden {
                dense: dense(&block.linear).await?,
                norm,
            });
        }
        Ok(MlpWeights {
            hidden,
            output: dense(&self.output).await?,
            activation: act,
        })
    }
}

pub(super) fn activate<const D: usize>(x: Tensor<D>, act: Activation) -> Tensor<D> {
    match act {
        Activation::Relu => activation::relu(x),
        Activation::Tanh => activation::tanh(x),
        Activation::Logistic => activation::sigmoid(x),
        Activation::Identity => x,
    }
}

pub(super) async fn read_norm(n: &BatchNorm) -> Result<Norm, TrainError> {
    Ok(Norm {
        gamma: read(n.gamma.val()).await?,
        beta: read(n.beta.val()).await?,
        mean: read(n.running_mean.value()).await?,
        var: read(n.running_var.value()).await?,
        epsilon: n.epsilon,
    })
}

pub(super) fn read_error(e: impl std::fmt::Display) -> TrainError {
    TrainError::Device(format!("reading a result back failed: {e}"))
}

pub(super) async fn read<const D: usize>(t: Tensor<D>) -> Result<Vec<f64>, TrainError> {
    Ok(t.into_data_async()
        .await
        .map_err(read_error)?
        .try_into_vec_as::<f32>()
        .map_err(read_error)?
        .into_iter()
        .map(f64::from)
        .collect())
}

/// A burn layer (weight `[inputs, outputs]`) as a plain [`Dense`] (`[outputs, inputs]`).
async fn dense(layer: &Linear) -> Result<Dense, TrainError> {
    let weight = layer.weight.val();
    let [inputs, outputs] = weight.dims();
    let w = read(weight).await?;
    let bias = match &layer.bias {
        Some(b) => read(b.val()).await?,
        None => vec![0.0; outputs],
    };
    let mut d = Dense::zeros(inputs, outputs);
    for i in 0..inputs {
        for o in 0..outputs {
            d.weights[o * inputs + i] = w[i * outputs + o];
        }
    }
    d.bias = bias;
    Ok(d)
}

pub(super) fn vector(values: &[f64], device: &Device) -> Tensor<1> {
    let v: Vec<f32> = values.iter().map(|&x| x as f32).collect();
    let n = v.len();
    Tensor::from_data(TensorData::new(v, [n]), device)
}

fn linear(d: &Dense, device: &Device) -> Linear {
    let mut w = vec![0f32; d.inputs * d.outputs];
    for o in 0..d.outputs {
        for i in 0..d.inputs {
            w[i * d.outputs + o] = d.weights[o * d.inputs + i] as f32;
        }
    }
    Linear {
        weight: Param::from_tensor(Tensor::from_data(
            TensorData::new(w, [d.inputs, d.outputs]),
            device,
        )),
        bias: Some(Param::from_tensor(vector(&d.bias, device))),
    }
}

pub(super) fn norm(n: &Norm, device: &Device) -> BatchNorm {
    let mut layer = BatchNormConfig::new(n.gamma.len())
        .with_epsilon(n.epsilon)
        .init(device);
    layer.gamma = Param::from_tensor(vector(&n.gamma, device));
    layer.beta = Param::from_tensor(vector(&n.beta, device));
    layer.running_mean = RunningState::new(vector(&n.mean, device));
    layer.running_var = RunningState::new(vector(&n.var, device));
    layer
}

/// Either network, as the trainer drives it.
#[derive(Module, Debug)]
pub(super) enum Model {
    Mlp(Net),
    Cnn(super::conv::ConvNet),
}

impl Model {
    pub fn new(inputs: usize, outputs: usize, params: &NetParams, device: &Device) -> Self {
        match params {
            NetParams::Mlp(p) => Model::Mlp(Net::new(inputs, outputs, p, device)),
            NetParams::Cnn(p) => Model::Cnn(super::conv::ConvNet::new(p, outputs, device)),
        }
    }

    pub fn load(weights: &NetWeights, params: &MlpParams, device: &Device) -> Self {
        match weights {
            NetWeights::Mlp(w) => Model::Mlp(Net::load(w, params, device)),
            NetWeights::Cnn(w) => Model::Cnn(super::conv::ConvNet::load(w, params, device)),
        }
    }

    pub fn forward(&self, x: Tensor<2>, act: Activation) -> Tensor<2> {
        match self {
            Model::Mlp(n) => n.forward(x, act),
            Model::Cnn(n) => n.forward(x, act),
        }
    }

    pub async fn weights(&self, act: Activation) -> Result<NetWeights, TrainError> {
        Ok(match self {
            Model::Mlp(n) => NetWeights::Mlp(n.weights(act).await?),
            Model::Cnn(n) => NetWeights::Cnn(n.weights(act).await?),
        })
    }
}
