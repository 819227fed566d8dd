//! Kiln's engine: all of its machine learning, in pure Rust, for every surface (the command
//! line, the studio's workers, the embeddable widget and the sync service). It knows nothing
//! of the web: inputs are text and numbers, outputs are serde documents, long work reports
//! progress through a callback that can ask it to stop.

pub mod artifact;
pub mod batch;
pub mod data;
pub mod drift;
pub mod evaluation;
pub mod explain;
pub mod fairness;
pub mod fit;
pub mod formula;
pub mod gate;
pub mod images;
pub mod model;
pub mod models;
#[cfg(feature = "nn")]
pub mod nn;
/// ONNX export of linear models and neural networks (MLP), for other runtimes.
pub mod onnx;
pub mod profile;
pub mod recipe;
pub mod retrain;
pub mod score;
pub mod split;
pub mod stats;
pub mod train;
pub mod validate;
