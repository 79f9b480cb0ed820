//! Distributions (placeholder until written).
