//! The convolutional network as a burn module: blocks of 3×3 convolution (zero padding of one,
//! so the size is kept), optional batch norm, the activation and 2×2 max pooling, then the
//! perceptron's dense layers on the flattened maps. Weights copy to and from [`CnnWeights`].

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;

use super::net::{Net, activate, norm, read, read_norm, vector};
use crate::models::cnn::{CnnParams, CnnWeights, Conv, KERNEL};
use crate::models::mlp::{Activation, MlpParams};
use crate::train::TrainError;

#[derive(Module, Debug)]
pub(super) struct ConvBlock {
    conv: Conv2d,
    norm: Option<BatchNorm>,
}

#[derive(Module, Debug)]
pub(super) struct ConvNet {
    blocks: Vec<ConvBlock>,
    pool: MaxPool2d,
    head: Net,
    channels: usize,
    size: usize,
}

fn conv_layer(inputs: usize, outputs: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([inputs, outputs], [KERNEL, KERNEL])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

fn pool() -> MaxPool2d {
    MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init()
}

impl ConvNet {
    pub fn new(params: &CnnParams, outputs: usize, device: &Device) -> Self {
        let mut channels = params.shape.channels;
        let mut size = params.shape.size;
        let blocks = params
            .filters
            .iter()
            .map(|&f| {
                let block = ConvBlock {
                    conv: conv_layer(channels, f, device),
                    norm: params
                        .net
                        .batch_norm
                        .then(|| BatchNormConfig::new(f).init(device)),
                };
                channels = f;
                size /= 2;
                block
            })
            .collect();
        Self {
            blocks,
            pool: pool(),
            head: Net::new(channels * size * size, outputs, &params.net, device),
            channels: params.shape.channels,
            size: params.shape.size,
        }
    }

    pub fn load(weights: &CnnWeights, params: &MlpParams, device: &Device) -> Self {
        let blocks = weights
            .convs
            .iter()
            .map(|(c, n)| {
                let mut conv = conv_layer(c.inputs, c.outputs, device);
                let w: Vec<f32> = c.weights.iter().map(|&v| v as f32).collect();
                conv.weight = Param::from_tensor(Tensor::from_data(
                    TensorData::new(w, [c.outputs, c.inputs, KERNEL, KERNEL]),
                    device,
                ));
                conv.bias = Some(Param::from_tensor(vector(&c.bias, device)));
                ConvBlock {
                    conv,
                    norm: n.as_ref().map(|n| norm(n, device)),
                }
            })
            .collect();
        Self {
            blocks,
            pool: pool(),
            head: Net::load(&weights.head, params, device),
            channels: weights.shape.channels,
            size: weights.shape.size,
        }
    }

    /// Rows of image values `[batch, channels × size × size]` to class logits.
    pub fn forward(&self, x: Tensor<2>, act: Activation) -> Tensor<2> {
        let [batch, _] = x.dims();
        let mut h: Tensor<4> = x.reshape([batch, self.channels, self.size, self.size]);
        for block in &self.blocks {
            h = block.conv.forward(h);
            if let Some(n) = &block.norm {
                h = n.forward(h);
            }
            h = self.pool.forward(activate(h, act));
        }
        let [b, c, hh, ww] = h.dims();
        self.head.forward(h.reshape([b, c * hh * ww]), act)
    }

    pub async fn weights(&self, act: Activation) -> Result<CnnWeights, TrainError> {
        let mut convs = Vec::with_capacity(self.blocks.len());
        for block in &self.blocks {
            let [outputs, inputs, _, _] = block.conv.weight.val().dims();
            let bias = match &block.conv.bias {
                Some(b) => read(b.val()).await?,
                None => vec![0.0; outputs],
            };
            let conv = Conv {
                inputs,
                outputs,
                weights: read(block.conv.weight.val()).await?,
                bias,
            };
            let norm = match &block.norm {
                Some(n) => Some(read_norm(n).await?),
                None => None,
            };
            convs.push((conv, norm));
        }
        Ok(CnnWeights {
            shape: crate::models::cnn::ImageShape {
                size: self.size,
                channels: self.channels,
            },
            convs,
            head: self.head.weights(act).await?,
        })
    }
}
