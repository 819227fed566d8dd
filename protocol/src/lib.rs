//! Kiln's boundary vocabulary: every value that crosses from the studio to a worker, from a
//! worker back, or between the studio and the sync service is one of these serde types. The
//! crate holds no logic beyond constructors, so both sides agree on shapes without sharing
//! internals.

pub mod evaluation;
pub mod explain;
pub mod monitor;
pub mod params;
pub mod profile;
pub mod project;
pub mod recipe;
pub mod rng;
pub mod search;
pub mod sync;
pub mod worker;
