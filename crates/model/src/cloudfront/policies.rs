//! Policies (placeholder until written).
