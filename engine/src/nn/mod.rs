//! Neural networks trained with burn: a multilayer perceptron on the prepared features, on
//! WebGPU/wgpu when the caller has initialised a GPU device, otherwise on burn's portable CPU
//! backend. Training is async because on the web a GPU read-back can only be awaited, and runs
//! one epoch per call ([`Trainer::epoch`]) so the caller can report, pause, or move to another
//! device from a [`Checkpoint`]. The trained weights become the engine's plain
//! [`FittedModel::Mlp`](crate::model::FittedModel), so inference needs no burn at all.

mod conv;
mod net;
mod trainer;

use std::ops::ControlFlow;
#[cfg(feature = "gpu")]
use std::sync::OnceLock;

use burn::prelude::*;
use kiln_protocol::project::{EpochStats, TrainingHistory};
use kiln_protocol::rng::SplitMix64;

pub use crate::fit::MlpParams;
use crate::train::{Labels, Outcome, Prepared, TrainError, finish};
use crate::validate::{CvScores, cv_metric, fold_prepared, folds};
pub use trainer::{Checkpoint, Trainer};

/// Where to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compute {
    Cpu,
    /// The device set up by [`init_gpu`].
    Gpu,
}

impl Compute {
    pub fn label(self) -> &'static str {
        match self {
            Compute::Cpu => "CPU",
            Compute::Gpu => "GPU",
        }
    }
}

#[cfg(feature = "gpu")]
static GPU: OnceLock<Device> = OnceLock::new();

/// Initialises the wgpu device once (WebGPU in a browser, Vulkan/Metal natively). Later calls
/// are no-ops.
#[cfg(feature = "gpu")]
pub async fn init_gpu() -> Result<(), TrainError> {
    if GPU.get().is_some() {
        return Ok(());
    }
    let device = Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| TrainError::Device(e.to_string()))?;
    let _ = GPU.set(device);
    Ok(())
}

#[cfg(not(feature = "gpu"))]
pub async fn init_gpu() -> Result<(), TrainError> {
    Err(TrainError::Device("this build has no GPU support".into()))
}

fn device_for(compute: Compute) -> Result<Device, TrainError> {
    match compute {
        // The ndarray device is deprecated upstream in favour of `flex`; it is the CPU backend
        // verified to build and run on wasm32 here.
        #[allow(deprecated)]
        Compute::Cpu => Ok(Device::ndarray()),
        #[cfg(feature = "gpu")]
        Compute::Gpu => GPU
            .get()
            .cloned()
            .ok_or_else(|| TrainError::Device("the GPU was not initialised".into())),
        #[cfg(not(feature = "gpu"))]
        Compute::Gpu => Err(TrainError::Device("this build has no GPU support".into())),
    }
}

/// Which network to train, with its settings.
#[derive(Debug, Clone, PartialEq)]
pub enum NetParams {
    Mlp(MlpParams),
    Cnn(crate::models::cnn::CnnParams),
}

impl NetParams {
    /// How to train (optimiser, schedule, epochs, early stopping, ...).
    pub fn training(&self) -> &MlpParams {
        match self {
            NetParams::Mlp(p) => p,
            NetParams::Cnn(p) => &p.net,
        }
    }

    /// The network settings of a run.
    pub fn read(prepared: &Prepared) -> Result<Self, TrainError> {
        match crate::fit::FamilyParams::read(&prepared.config)? {
            crate::fit::FamilyParams::Mlp(p) => Ok(NetParams::Mlp(p)),
            crate::fit::FamilyParams::Cnn(p) => Ok(NetParams::Cnn(p)),
            _ => Err(TrainError::Config("not a neural network".into())),
        }
    }
}

/// What a network learns.
#[derive(Debug, Clone)]
pub enum NnTarget {
    Classes {
        y: Vec<usize>,
        n_classes: usize,
    },
    /// Standardised values, and the standard deviation they were divided by.
    Values {
        y: Vec<f32>,
        scale: f64,
    },
}

impl NnTarget {
    fn outputs(&self) -> usize {
        match self {
            NnTarget::Classes { n_classes, .. } => *n_classes,
            NnTarget::Values { .. } => 1,
        }
    }

    fn len(&self) -> usize {
        match self {
            NnTarget::Classes { y, .. } => y.len(),
            NnTarget::Values { y, .. } => y.len(),
        }
    }
}

/// Training rows as the network sees them: `width` features per row.
#[derive(Debug, Clone)]
pub struct NnData {
    pub x: Vec<f32>,
    pub width: usize,
    pub target: NnTarget,
}

impl NnData {
    /// The prepared training rows of a run.
    pub fn from_prepared(prepared: &Prepared) -> Result<Self, TrainError> {
        let target = match &prepared.labels {
            Labels::Classes { names, .. } => NnTarget::Classes {
                y: prepared.train_classes(),
                n_classes: names.len(),
            },
            Labels::Values { scale, .. } => NnTarget::Values {
                y: prepared.train_values().iter().map(|&v| v as f32).collect(),
                scale: *scale,
            },
            Labels::None => {
                return Err(TrainError::Config(
                    "a neural network needs a target to learn".into(),
                ));
            }
        };
        Ok(Self {
            x: prepared.x_train.iter().map(|&v| v as f32).collect(),
            width: prepared.width(),
            target,
        })
    }

    pub fn rows(&self) -> usize {
        self.target.len()
    }

    /// Row indices to train on and to validate on: a seeded shuffle, `fraction` of the rows
    /// (at least one, and only when at least ten rows remain to train) kept for validation.
    fn split(&self, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
        let n = self.rows();
        let mut order: Vec<usize> = (0..n).collect();
        SplitMix64::new(seed ^ 0x7661_6c69).shuffle(&mut order);
        let keep = ((n as f64 * fraction).round() as usize).max(usize::from(fraction > 0.0));
        if fraction <= 0.0 || n.saturating_sub(keep) < 10 {
            return ((0..n).collect(), Vec::new());
        }
        let valid = order.split_off(n - keep);
        order.sort_unstable();
        (order, valid)
    }
}

/// A finished network: its outcome on the run's test rows and how it trained.
pub struct Trained {
    pub outcome: Outcome,
    pub history: TrainingHistory,
}

/// Scores the kept weights of a checkpoint on the run's test rows.
pub fn conclude(prepared: &Prepared, checkpoint: &Checkpoint) -> Trained {
    let curve = checkpoint
        .history
        .epochs
        .iter()
        .map(|e| e.train_loss)
        .collect();
    Trained {
        outcome: finish(prepared, checkpoint.kept().to_fitted(), curve),
        history: checkpoint.history.clone(),
    }
}

/// Trains to the end on one device, reporting each epoch (the command line and tests; the
/// worker drives [`Trainer`] itself to pause and change devices).
pub async fn train_net(
    prepared: &Prepared,
    params: &NetParams,
    compute: Compute,
    on_epoch: &mut dyn FnMut(&EpochStats) -> ControlFlow<()>,
) -> Result<Trained, TrainError> {
    let data = NnData::from_prepared(prepared)?;
    let mut trainer = Trainer::new(&data, params, compute, prepared.config.seed, None)?;
    while !trainer.finished() {
        let stats = trainer.epoch().await?;
        if on_epoch(&stats).is_break() {
            return Err(TrainError::Cancelled);
        }
    }
    let checkpoint = trainer
        .into_checkpoint()
        .ok_or_else(|| TrainError::Config("training ran no epoch".into()))?;
    Ok(conclude(prepared, &checkpoint))
}

/// k-fold cross-validation of a network: in every fold the recipe is refitted and a fresh
/// network with the run's settings (early stopping included) trains on the fold's training rows
/// only, then is scored on the fold's other rows. `on_fold(fold)` is asked before each fold.
pub async fn cross_validate_net(
    prepared: &Prepared,
    k: usize,
    compute: Compute,
    on_fold: &mut dyn FnMut(usize) -> ControlFlow<()>,
) -> Result<CvScores, TrainError> {
    let params = NetParams::read(prepared)?;
    let mut scores = Vec::new();
    for (f, fold) in folds(prepared, k)?.iter().enumerate() {
        if on_fold(f).is_break() {
            return Err(TrainError::Cancelled);
        }
        let run = fold_prepared(prepared, fold)?;
        let trained = train_net(&run, &params, compute, &mut |_| ControlFlow::Continue(())).await?;
        scores.push(trained.outcome.evaluation.model.scalars());
    }
    Ok(CvScores {
        metric: cv_metric(prepared),
        folds: scores,
    })
}

/// Runs a future to completion on the current thread (native callers of [`train_mlp`]).
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}
