//! The convolutional network for images: its settings, and its trained weights as plain data
//! with a forward pass of our own (3×3 "same" convolutions, the activation, 2×2 max pooling,
//! then dense layers). Training runs in `nn` with burn; inference here needs no burn, so the
//! widget and `kiln predict` stay small. The layout follows burn's: images are `[channels,
//! height, width]`, convolution weights `[out, in, 3, 3]`, flattening in that same order.

use serde::{Deserialize, Serialize};

use super::mlp::{Activation, MlpParams, Norm};
use super::params::{ParamError, Params};
use crate::model::Dense;

/// Side of the square convolution kernels.
pub const KERNEL: usize = 3;

/// The shape images are resized to before they reach the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageShape {
    /// Width and height in pixels.
    pub size: usize,
    /// 1 (gray) or 3 (red, green, blue).
    pub channels: usize,
}

impl ImageShape {
    pub fn values(&self) -> usize {
        self.size * self.size * self.channels
    }

    /// The network's input from an image already resized to `size`×`size`, as RGBA bytes row
    /// by row (what a canvas gives): `[channels, size, size]` values from 0 to 1, gray as
    /// ITU-R BT.601 luma. The one conversion the studio, the widget and `kiln` all use.
    pub fn values_from_rgba(&self, rgba: &[u8]) -> Result<Vec<f32>, String> {
        let pixels = self.size * self.size;
        if rgba.len() != pixels * 4 {
            return Err(format!(
                "the image has {} bytes; a {}×{} RGBA image has {}",
                rgba.len(),
                self.size,
                self.size,
                pixels * 4
            ));
        }
        let scale = |v: u8| f32::from(v) / 255.0;
        let rgb = || rgba.chunks_exact(4);
        Ok(if self.channels == 1 {
            rgb()
                .map(|p| (0.299 * scale(p[0]) + 0.587 * scale(p[1]) + 0.114 * scale(p[2])).min(1.0))
                .collect()
        } else {
            (0..3)
                .flat_map(|c| rgb().map(move |p| scale(p[c])))
                .collect()
        })
    }
}

/// Settings of a convolutional network, read and range-checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CnnParams {
    pub shape: ImageShape,
    /// Filters of each convolution block, input side first.
    pub filters: Vec<usize>,
    /// Training settings and the dense layers after the convolutions (`hidden`).
    pub net: MlpParams,
    /// Augmentation: mirror left to right at random.
    pub flip: bool,
    /// Augmentation: move by up to this many pixels.
    pub shift: usize,
}

impl CnnParams {
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        let size = p.int("image_size", 32, 4, 128)?;
        let channels = match p.choice("color", "rgb", &["rgb", "gray"])? {
            "gray" => 1,
            _ => 3,
        };
        let filters = match p.text("filters") {
            None => vec![16, 32],
            Some(raw) => super::mlp::parse_hidden(raw).map_err(|m| p.error("filters", m))?,
        };
        // Each block halves the image; at least one pixel must remain.
        if size >> filters.len() == 0 {
            return Err(p.error(
                "filters",
                format!(
                    "has {} blocks, each halving the image, but images are {size} pixels wide; use fewer blocks or a larger image_size",
                    filters.len()
                ),
            ));
        }
        let defaults = MlpParams {
            dropout: 0.25,
            batch_size: Some(64),
            epochs: 30,
            patience: 5,
            ..MlpParams::default()
        };
        Ok(Self {
            shape: ImageShape { size, channels },
            filters,
            net: MlpParams::read_with(p, defaults)?,
            flip: p.flag("flip", true)?,
            shift: p.int("shift", 2, 0, 16)?,
        })
    }
}

/// One convolution block: 3×3 convolution (batch norm folded in), activation, 2×2 max pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conv {
    pub inputs: usize,
    pub outputs: usize,
    /// `[outputs, inputs, 3, 3]`, row-major.
    pub weights: Vec<f64>,
    pub bias: Vec<f64>,
}

impl Conv {
    /// Folds an inference-form batch norm into the convolution.
    pub fn fold(mut self, norm: Option<&Norm>) -> Self {
        if let Some(n) = norm {
            let per = self.inputs * KERNEL * KERNEL;
            for o in 0..self.outputs {
                let scale = n.gamma[o] / (n.var[o] + n.epsilon).sqrt();
                for w in &mut self.weights[o * per..(o + 1) * per] {
                    *w *= scale;
                }
                self.bias[o] = (self.bias[o] - n.mean[o]) * scale + n.beta[o];
            }
        }
        self
    }

    /// "Same" convolution of a `[inputs, size, size]` image.
    fn forward(&self, x: &[f64], size: usize) -> Vec<f64> {
        let mut out = vec![0.0; self.outputs * size * size];
        for o in 0..self.outputs {
            let plane = &mut out[o * size * size..(o + 1) * size * size];
            plane.iter_mut().for_each(|v| *v = self.bias[o]);
            for i in 0..self.inputs {
                let input = &x[i * size * size..(i + 1) * size * size];
                let k = &self.weights[(o * self.inputs + i) * KERNEL * KERNEL..][..KERNEL * KERNEL];
                for (ky, row) in k.chunks_exact(KERNEL).enumerate() {
                    for (kx, &w) in row.iter().enumerate() {
                        for y in 0..size {
                            let sy = y + ky;
                            if sy < 1 || sy > size {
                                continue;
                            }
                            let src = &input[(sy - 1) * size..sy * size];
                            let dst = &mut plane[y * size..(y + 1) * size];
                            for (xo, d) in dst.iter_mut().enumerate() {
                                let sx = xo + kx;
                                if sx >= 1 && sx <= size {
                                    *d += w * src[sx - 1];
                                }
                            }
                        }
                    }
                }
            }
        }
        out
    }

    fn is_consistent(&self) -> bool {
        self.weights.len() == self.outputs * self.inputs * KERNEL * KERNEL
            && self.bias.len() == self.outputs
            && self.weights.iter().chain(&self.bias).all(|v| v.is_finite())
    }
}

/// 2×2 max pooling with stride 2 (an odd last row or column is dropped, as burn does).
fn pool(x: &[f64], channels: usize, size: usize) -> Vec<f64> {
    let half = size / 2;
    let mut out = Vec::with_capacity(channels * half * half);
    for c in 0..channels {
        let plane = &x[c * size * size..(c + 1) * size * size];
        for y in 0..half {
            for xo in 0..half {
                let at = |dy: usize, dx: usize| plane[(2 * y + dy) * size + 2 * xo + dx];
                out.push(at(0, 0).max(at(0, 1)).max(at(1, 0)).max(at(1, 1)));
            }
        }
    }
    out
}

/// A trained convolutional network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cnn {
    pub shape: ImageShape,
    pub convs: Vec<Conv>,
    /// Dense layers after flattening; the last gives the class logits.
    pub dense: Vec<Dense>,
    pub activation: Activation,
}

impl Cnn {
    /// Class logits of one image (`[channels, size, size]`, values 0 to 1).
    pub fn forward(&self, x: &[f64]) -> Vec<f64> {
        let mut h = x.to_vec();
        let mut size = self.shape.size;
        for conv in &self.convs {
            h = conv.forward(&h, size);
            h.iter_mut().for_each(|v| *v = self.activation.apply(*v));
            h = pool(&h, conv.outputs, size);
            size /= 2;
        }
        for (i, layer) in self.dense.iter().enumerate() {
            h = layer.forward(&h);
            if i + 1 < self.dense.len() {
                h.iter_mut().for_each(|v| *v = self.activation.apply(*v));
            }
        }
        h
    }

    pub fn check(&self, width: usize, outputs: usize) -> Result<(), String> {
        if width != self.shape.values() {
            return Err(format!(
                "images of {} values expected, the input has {width}",
                self.shape.values()
            ));
        }
        let mut channels = self.shape.channels;
        let mut size = self.shape.size;
        for conv in &self.convs {
            if !conv.is_consistent() || conv.inputs != channels {
                return Err("a convolution layer has the wrong shape".into());
            }
            channels = conv.outputs;
            size /= 2;
        }
        let mut inputs = channels * size * size;
        for layer in &self.dense {
            if !layer.is_consistent() || layer.inputs != inputs {
                return Err("a dense layer has the wrong shape".into());
            }
            inputs = layer.outputs;
        }
        if self.dense.is_empty() || inputs != outputs {
            return Err(format!(
                "the network gives {inputs} outputs, expected {outputs}"
            ));
        }
        Ok(())
    }
}

/// A convolutional network's weights after some epoch (batch norm not yet folded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CnnWeights {
    pub shape: ImageShape,
    pub convs: Vec<(Conv, Option<Norm>)>,
    /// The dense layers after flattening.
    pub head: super::mlp::MlpWeights,
}

impl CnnWeights {
    pub fn to_fitted(&self) -> crate::model::FittedModel {
        crate::model::FittedModel::Cnn(Cnn {
            shape: self.shape,
            convs: self
                .convs
                .iter()
                .map(|(c, n)| c.clone().fold(n.as_ref()))
                .collect(),
            dense: self.head.layers(),
            activation: self.head.activation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_convolution_pads_with_zeros_and_pooling_takes_maxima() {
        // One 3×3 kernel that sums the neighbourhood.
        let conv = Conv {
            inputs: 1,
            outputs: 1,
            weights: vec![1.0; 9],
            bias: vec![0.5],
        };
        let x: Vec<f64> = (1..=16).map(f64::from).collect();
        let out = conv.forward(&x, 4);
        // Top-left corner sees 1, 2, 5, 6; an inner pixel sees its full neighbourhood.
        assert_eq!(out[0], 1.0 + 2.0 + 5.0 + 6.0 + 0.5);
        assert_eq!(
            out[5],
            (1..=3).chain(5..=7).chain(9..=11).sum::<i32>() as f64 + 0.5
        );
        let pooled = pool(&out, 1, 4);
        assert_eq!(pooled.len(), 4);
        assert_eq!(pooled[0], out[0].max(out[1]).max(out[4]).max(out[5]));
    }

    #[test]
    fn a_network_checks_its_shapes() {
        let cnn = Cnn {
            shape: ImageShape {
                size: 4,
                channels: 1,
            },
            convs: vec![Conv {
                inputs: 1,
                outputs: 2,
                weights: vec![0.1; 18],
                bias: vec![0.0; 2],
            }],
            dense: vec![Dense::zeros(8, 3)],
            activation: Activation::Relu,
        };
        assert_eq!(cnn.check(16, 3), Ok(()));
        assert_eq!(cnn.forward(&[0.5; 16]).len(), 3);
        assert!(cnn.check(16, 2).is_err());
        assert!(cnn.check(15, 3).is_err());
    }

    #[test]
    fn rgba_becomes_planes_of_colour_or_luma() {
        // A 2×1-pixel image would not be square: 2×2, pure red, green, blue and white.
        let rgba = [
            255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 0,
        ];
        let colour = ImageShape {
            size: 2,
            channels: 3,
        };
        let values = colour.values_from_rgba(&rgba).unwrap();
        assert_eq!(values, [1., 0., 0., 1., 0., 1., 0., 1., 0., 0., 1., 1.]);
        let gray = ImageShape {
            size: 2,
            channels: 1,
        };
        let luma = gray.values_from_rgba(&rgba).unwrap();
        assert!((luma[0] - 0.299).abs() < 1e-6 && (luma[1] - 0.587).abs() < 1e-6);
        assert_eq!(luma[3], 1.0);
        let short = colour.values_from_rgba(&rgba[..12]).unwrap_err();
        assert_eq!(short, "the image has 12 bytes; a 2×2 RGBA image has 16");
    }
}

/// The weights of either network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NetWeights {
    Mlp(super::mlp::MlpWeights),
    Cnn(CnnWeights),
}

impl NetWeights {
    pub fn to_fitted(&self) -> crate::model::FittedModel {
        match self {
            NetWeights::Mlp(w) => w.to_fitted(),
            NetWeights::Cnn(w) => w.to_fitted(),
        }
    }
}
