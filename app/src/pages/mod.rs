//! One module per lifecycle page of the studio.

pub mod data;
pub mod deploy;
pub mod evaluate;
pub mod predict;
pub mod sync;
pub mod train;
