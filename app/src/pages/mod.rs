//! One module per lifecycle page of the studio.

pub mod data;
pub mod deploy;
pub mod evaluate;
pub mod predict;
pub mod prepare;
mod prepare_form;
pub mod profile;
pub mod sync;
pub mod train;
