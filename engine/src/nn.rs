//! Neural networks (placeholder until written).
