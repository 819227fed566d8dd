//! One module per lifecycle page of the studio.

pub mod batch;
pub mod camera;
pub mod curves;
pub mod data;
pub mod deploy;
mod eval_classification;
mod eval_reports;
pub mod evaluate;
pub mod explain;
mod explain_parts;
pub mod images;
pub mod monitor;
pub mod predict;
pub mod prepare;
mod prepare_form;
pub mod profile;
pub mod registry;
mod retrain;
pub mod runs;
mod runs_compare;
pub mod search;
pub mod share_card;
pub mod shared;
pub mod sync;
pub mod train;
