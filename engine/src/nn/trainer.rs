//! The training loop, written by hand (burn's `Learner` does not build for wasm) and driven one
//! epoch at a time by the caller, so that a worker can post curves, pause, resume, cancel, and
//! move to another device between epochs.

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig, MseLoss, Reduction};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::prelude::*;
use kiln_protocol::project::{EpochStats, TrainingHistory};
use kiln_protocol::rng::SplitMix64;
use std::sync::{Mutex, PoisonError};
use web_time::Instant;

use super::net::{Model, read_error};
use super::{Compute, NetParams, NnData, NnTarget, device_for};
use crate::models::cnn::NetWeights;
use crate::models::mlp::{ClassWeight, MlpParams, Optimizer};
use crate::train::TrainError;

/// burn keeps each backend's random state in one process-wide static, so two networks training
/// on different threads would draw their initial weights and dropout masks from one stream and
/// neither would be reproducible. Every draw therefore goes through [`seeded`], which holds this
/// lock, re-seeds the stream from the run's own seed and the position of the draw, and draws.
static DRAWS: Mutex<()> = Mutex::new(());

/// Runs `draw` (which must not await) with the device's random stream seeded by `seed` alone.
fn seeded<T>(device: &Device, seed: u64, draw: impl FnOnce() -> T) -> T {
    let _only_this_draw = DRAWS.lock().unwrap_or_else(PoisonError::into_inner);
    device.seed(seed);
    draw()
}

/// The seed of one optimisation step's dropout masks: the run's seed, the epoch and the batch.
fn step_seed(seed: u64, epoch: u32, batch: usize) -> u64 {
    let mut mix = SplitMix64::new(seed ^ (u64::from(epoch) << 32) ^ batch as u64);
    mix.next_u64()
}

/// Where training stands after some epochs, independent of any device: enough to go on
/// elsewhere.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// Weights after the last completed epoch.
    pub weights: NetWeights,
    pub history: TrainingHistory,
    /// Best validation loss so far, its weights, and epochs since.
    best: Option<(f64, NetWeights)>,
    since_best: u32,
}

impl Checkpoint {
    /// Epochs completed.
    pub fn epochs_done(&self) -> u32 {
        self.history.epochs.len() as u32
    }

    /// The weights to keep: the best under early stopping, otherwise the last.
    pub fn kept(&self) -> &NetWeights {
        match &self.best {
            Some((_, w)) if self.history.best_epoch.is_some() => w,
            _ => &self.weights,
        }
    }
}

enum Labels {
    Classes(Tensor<1, Int>),
    Values(Tensor<2>),
}

/// The loss being minimised (cross-entropy with optional class weights, or squared error).
enum Loss {
    Cross(Box<CrossEntropyLoss>),
    Squared,
}

impl Loss {
    fn new(data: &NnData, weights: Option<&Vec<f32>>, device: &Device) -> Self {
        match &data.target {
            NnTarget::Classes { .. } => Loss::Cross(Box::new(
                CrossEntropyLossConfig::new()
                    .with_weights(weights.cloned())
                    .init(device),
            )),
            NnTarget::Values { .. } => Loss::Squared,
        }
    }

    fn of(&self, out: Tensor<2>, y: &Labels) -> Tensor<1> {
        match (y, self) {
            (Labels::Classes(y), Loss::Cross(ce)) => ce.forward(out, y.clone()),
            (Labels::Values(y), _) => MseLoss::new().forward(out, y.clone(), Reduction::Mean),
            // Not built (class targets always get cross-entropy); plain cross-entropy if so.
            (Labels::Classes(y), Loss::Squared) => CrossEntropyLossConfig::new()
                .init(&out.device())
                .forward(out, y.clone()),
        }
    }
}

/// Rows on a device, with their targets.
struct Rows {
    x: Tensor<2>,
    y: Labels,
    n: usize,
}

fn rows(data: &NnData, which: &[usize], device: &Device) -> Rows {
    let w = data.width;
    let mut x = Vec::with_capacity(which.len() * w);
    for &i in which {
        x.extend_from_slice(&data.x[i * w..(i + 1) * w]);
    }
    let n = which.len();
    let x = Tensor::from_data(TensorData::new(x, [n, w]), device);
    let y = match &data.target {
        NnTarget::Classes { y, .. } => Labels::Classes(Tensor::from_data(
            TensorData::new(which.iter().map(|&i| y[i] as i64).collect(), [n]),
            device,
        )),
        NnTarget::Values { y, .. } => Labels::Values(Tensor::from_data(
            TensorData::new(which.iter().map(|&i| y[i]).collect(), [n, 1]),
            device,
        )),
    };
    Rows { x, y, n }
}

/// scikit-learn's `balanced` weights: rows / (classes × rows of the class).
fn balanced(y: &[usize], rows: &[usize], n_classes: usize) -> Vec<f32> {
    let mut counts = vec![0usize; n_classes];
    for &i in rows {
        counts[y[i]] += 1;
    }
    counts
        .iter()
        .map(|&c| rows.len() as f32 / (n_classes as f32 * c.max(1) as f32))
        .collect()
}

/// Trains one network on one device.
pub struct Trainer {
    params: MlpParams,
    device: Device,
    label: String,
    /// Taken out only for the length of one optimiser step.
    net: Option<Model>,
    /// Training images kept on the host to augment each epoch (networks on images only).
    augment: Option<Augment>,
    optimizer: ModuleOptimizer,
    train: Rows,
    valid: Option<Rows>,
    loss: Loss,
    loss_valid: Loss,
    classification: bool,
    /// Standard deviation of a regression target (to report RMSE in target units).
    scale: f64,
    rng: SplitMix64,
    /// The run's seed, from which every random draw is derived.
    seed: u64,
    state: Option<Checkpoint>,
}

/// Smallest decrease of the validation loss that counts as better (scikit-learn's `tol`).
const MIN_DELTA: f64 = 1e-4;

impl Trainer {
    /// Sets up training of `data` on `compute`, from scratch or from a checkpoint.
    pub fn new(
        data: &NnData,
        arch: &NetParams,
        compute: Compute,
        seed: u64,
        resume: Option<Checkpoint>,
    ) -> Result<Self, TrainError> {
        let params = arch.training();
        let base = device_for(compute)?;
        let device = base.clone().autodiff();
        let done = resume.as_ref().map_or(0, Checkpoint::epochs_done);
        let net = match &resume {
            Some(c) => Model::load(&c.weights, params, &device),
            None => seeded(&device, seed, || {
                Model::new(data.width, data.target.outputs(), arch, &device)
            }),
        };
        let (train_rows, valid_rows) = data.split(params.validation_fraction, seed);
        let weights = match (&data.target, params.class_weight) {
            (NnTarget::Classes { y, n_classes }, ClassWeight::Balanced) => {
                Some(balanced(y, &train_rows, *n_classes))
            }
            _ => None,
        };
        let decay =
            (params.weight_decay > 0.0).then(|| WeightDecayConfig::new(params.weight_decay as f32));
        let optimizer = match params.optimizer {
            Optimizer::Adam => AdamConfig::new().with_weight_decay(decay).init(),
            Optimizer::Sgd => SgdConfig::new()
                .with_weight_decay(decay)
                .with_momentum((params.momentum > 0.0).then(|| {
                    MomentumConfig::new()
                        .with_momentum(params.momentum)
                        .with_dampening(0.0)
                }))
                .init(),
        };
        let (classification, scale) = match &data.target {
            NnTarget::Values { scale, .. } => (false, *scale),
            NnTarget::Classes { .. } => (true, 1.0),
        };
        let augment = match arch {
            NetParams::Cnn(p) if p.flip || p.shift > 0 => Some(Augment {
                size: p.shape.size,
                channels: p.shape.channels,
                flip: p.flip,
                shift: p.shift,
                host: train_rows
                    .iter()
                    .flat_map(|&i| &data.x[i * data.width..(i + 1) * data.width])
                    .copied()
                    .collect(),
            }),
            _ => None,
        };
        Ok(Self {
            augment,
            params: params.clone(),
            label: compute.label().to_string(),
            train: rows(data, &train_rows, &device),
            valid: (!valid_rows.is_empty()).then(|| rows(data, &valid_rows, &base)),
            net: Some(net),
            optimizer,
            loss: Loss::new(data, weights.as_ref(), &device),
            loss_valid: Loss::new(data, weights.as_ref(), &base),
            classification,
            scale,
            rng: SplitMix64::new(seed ^ 0x6e6e_u64.wrapping_add(u64::from(done))),
            seed,
            state: resume,
            device,
        })
    }

    /// True when every epoch ran or early stopping ended training.
    pub fn finished(&self) -> bool {
        self.state
            .as_ref()
            .is_some_and(|c| c.history.stopped.is_some() || c.epochs_done() >= self.params.epochs)
    }

    pub fn checkpoint(&self) -> Option<&Checkpoint> {
        self.state.as_ref()
    }

    pub fn into_checkpoint(self) -> Option<Checkpoint> {
        self.state
    }

    /// Rows per step.
    pub fn batch(&self) -> usize {
        self.params.batch_for(self.train.n)
    }

    /// One optimisation step on the rows `chunk` of the training set; returns the batch loss
    /// (detached, summed over rows) and the number of correct predictions.
    fn step(
        &mut self,
        chunk: &[usize],
        lr: f64,
        draw: u64,
    ) -> Result<(Tensor<1>, Option<Tensor<1, Int>>), TrainError> {
        let net = self.net.take().ok_or_else(lost)?;
        let n = chunk.len();
        let idx = Tensor::<1, Int>::from_data(
            TensorData::new(chunk.iter().map(|&i| i as i64).collect(), [n]),
            &self.device,
        );
        let x = self.train.x.clone().select(0, idx.clone());
        let y = match &self.train.y {
            Labels::Classes(y) => Labels::Classes(y.clone().select(0, idx)),
            Labels::Values(y) => Labels::Values(y.clone().select(0, idx)),
        };
        let act = self.params.activation;
        let out = seeded(&self.device, draw, || net.forward(x, act));
        let correct = match &y {
            Labels::Classes(y) => Some(correct(out.clone().detach(), y.clone())),
            Labels::Values(_) => None,
        };
        let loss = self.loss.of(out, &y);
        let sum = loss.clone().detach().mul_scalar(n as f64);
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        self.net = Some(self.optimizer.step(lr, net, grads));
        Ok((sum, correct))
    }

    fn net(&self) -> Result<&Model, TrainError> {
        self.net.as_ref().ok_or_else(lost)
    }

    /// Runs a few steps and waits for them; the milliseconds per step (for choosing a device).
    pub async fn time_steps(&mut self, steps: usize) -> Result<f64, TrainError> {
        let batch = self.batch();
        let lr = self.params.learning_rate;
        let chunk: Vec<usize> = (0..batch.min(self.train.n)).collect();
        // One step first: shader compilation and allocation are not what is being compared.
        let (warm, _) = self.step(&chunk, lr, step_seed(self.seed, 0, 0))?;
        warm.into_scalar_async::<f32>().await.map_err(read_error)?;
        let started = Instant::now();
        let mut last = None;
        for i in 0..steps.max(1) {
            last = Some(self.step(&chunk, lr, step_seed(self.seed, 0, i + 1))?.0);
        }
        if let Some(t) = last {
            t.into_scalar_async::<f32>().await.map_err(read_error)?;
        }
        Ok(started.elapsed().as_secs_f64() * 1000.0 / steps.max(1) as f64)
    }

    /// Trains one epoch, validates, and records it. Errors leave the last checkpoint as it was.
    pub async fn epoch(&mut self) -> Result<EpochStats, TrainError> {
        let started = Instant::now();
        let done = self.state.as_ref().map_or(0, Checkpoint::epochs_done);
        let lr = self.params.rate_at(done);
        if let Some(a) = &self.augment {
            let x = a.apply(&mut self.rng);
            let width = x.len() / self.train.n.max(1);
            self.train.x =
                Tensor::from_data(TensorData::new(x, [self.train.n, width]), &self.device);
        }
        let mut order: Vec<usize> = (0..self.train.n).collect();
        self.rng.shuffle(&mut order);
        let batch = self.batch();
        let mut loss_sum: Option<Tensor<1>> = None;
        let mut correct_sum: Option<Tensor<1, Int>> = None;
        for (i, chunk) in order.chunks(batch).enumerate() {
            let (loss, correct) = self.step(chunk, lr, step_seed(self.seed, done, i))?;
            loss_sum = Some(match loss_sum {
                Some(s) => s + loss,
                None => loss,
            });
            if let Some(c) = correct {
                correct_sum = Some(match correct_sum {
                    Some(s) => s + c,
                    None => c,
                });
            }
        }
        let n = self.train.n.max(1) as f64;
        let train_loss = match loss_sum {
            Some(s) => f64::from(s.into_scalar_async::<f32>().await.map_err(read_error)?) / n,
            None => 0.0,
        };
        if !train_loss.is_finite() {
            return Err(TrainError::Diverged {
                loss: train_loss,
                step: done + 1,
            });
        }
        let train_metric = match correct_sum {
            Some(c) => c.into_scalar_async::<i64>().await.map_err(read_error)? as f64 / n,
            None => train_loss.sqrt() * self.scale,
        };
        let (val_loss, val_metric) = match self.validate().await? {
            Some((l, m)) => (Some(l), Some(m)),
            None => (None, None),
        };
        let weights = self.net()?.weights(self.params.activation).await?;
        let stats = EpochStats {
            epoch: done + 1,
            train_loss,
            val_loss,
            train_metric,
            val_metric,
            learning_rate: lr,
            ms: started.elapsed().as_secs_f64() * 1000.0,
            device: self.label.clone(),
        };
        self.record(stats.clone(), weights);
        Ok(stats)
    }

    fn record(&mut self, stats: EpochStats, weights: NetWeights) {
        let metric = if self.classification {
            "accuracy"
        } else {
            "rmse"
        };
        let state = self.state.get_or_insert_with(|| Checkpoint {
            weights: weights.clone(),
            history: TrainingHistory {
                metric: metric.into(),
                ..TrainingHistory::default()
            },
            best: None,
            since_best: 0,
        });
        if let Some(loss) = stats.val_loss {
            let better = state
                .best
                .as_ref()
                .is_none_or(|(b, _)| loss < b - MIN_DELTA);
            if better {
                state.best = Some((loss, weights.clone()));
                state.since_best = 0;
                if self.params.early_stopping {
                    state.history.best_epoch = Some(stats.epoch);
                }
            } else {
                state.since_best += 1;
            }
            if self.params.early_stopping && state.since_best >= self.params.patience {
                state.history.stopped = Some(format!(
                    "early stopping: the validation loss did not improve for {} epochs; the weights of epoch {} were kept",
                    self.params.patience,
                    state.history.best_epoch.unwrap_or(stats.epoch)
                ));
            }
        }
        state.weights = weights;
        state.history.epochs.push(stats);
    }

    /// The network's raw outputs (logits or standardised values) for rows of features, as burn
    /// computes them in evaluation mode: what the exported model must reproduce.
    pub async fn outputs(&self, x: &[f32], width: usize) -> Result<Vec<f32>, TrainError> {
        let n = x.len() / width.max(1);
        let base = self.device.clone().inner();
        let x = Tensor::<2>::from_data(TensorData::new(x.to_vec(), [n, width]), &base);
        self.net()?
            .valid()
            .forward(x, self.params.activation)
            .into_data_async()
            .await
            .map_err(read_error)?
            .try_into_vec_as::<f32>()
            .map_err(read_error)
    }

    /// Loss and metric on the validation rows.
    async fn validate(&self) -> Result<Option<(f64, f64)>, TrainError> {
        let Some(valid) = &self.valid else {
            return Ok(None);
        };
        let net = self.net()?.valid();
        let out = net.forward(valid.x.clone(), self.params.activation);
        let n = valid.n.max(1) as f64;
        let loss = f64::from(
            self.loss_valid
                .of(out.clone(), &valid.y)
                .into_scalar_async::<f32>()
                .await
                .map_err(read_error)?,
        );
        let metric = match &valid.y {
            Labels::Classes(y) => {
                correct(out, y.clone())
                    .into_scalar_async::<i64>()
                    .await
                    .map_err(read_error)? as f64
                    / n
            }
            Labels::Values(_) => loss.sqrt() * self.scale,
        };
        Ok(Some((loss, metric)))
    }
}

fn lost() -> TrainError {
    TrainError::Device("a failed step left no network to train".into())
}

/// How many rows' largest output is their class.
fn correct(out: Tensor<2>, y: Tensor<1, Int>) -> Tensor<1, Int> {
    let [n, _] = out.dims();
    out.argmax(1).reshape([n]).equal(y).int().sum()
}

/// Random mirroring and shifting of training images, redrawn each epoch.
struct Augment {
    size: usize,
    channels: usize,
    flip: bool,
    shift: usize,
    /// The training images as given, one after another.
    host: Vec<f32>,
}

impl Augment {
    fn apply(&self, rng: &mut SplitMix64) -> Vec<f32> {
        let (s, plane) = (self.size, self.size * self.size);
        let per = plane * self.channels;
        let mut out = vec![0f32; self.host.len()];
        let span = 2 * self.shift + 1;
        for (src, dst) in self.host.chunks_exact(per).zip(out.chunks_exact_mut(per)) {
            let flip = self.flip && rng.below(2) == 1;
            let dy = rng.below(span) as isize - self.shift as isize;
            let dx = rng.below(span) as isize - self.shift as isize;
            for c in 0..self.channels {
                for y in 0..s {
                    let sy = y as isize - dy;
                    if sy < 0 || sy >= s as isize {
                        continue;
                    }
                    for x in 0..s {
                        let mut sx = x as isize - dx;
                        if flip {
                            sx = s as isize - 1 - sx;
                        }
                        if sx < 0 || sx >= s as isize {
                            continue;
                        }
                        dst[c * plane + y * s + x] = src[c * plane + sy as usize * s + sx as usize];
                    }
                }
            }
        }
        out
    }
}
