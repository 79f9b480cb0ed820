//! Stratus's state and control: the SQLite store (through sqlx; migrations in `migrations/`),
//! function code storage, the local development CA, and the wiring that turns stored state into
//! running functions.
//!
//! This crate holds no request-path logic: it deploys into `stratus_functions`, which serves.

pub mod api;
pub mod ca;
pub mod code;
pub mod error;
pub mod store;
pub mod sync;

pub use error::ControlError;
pub use store::{FunctionRecord, PolicyConfig, PolicyKind, PolicyRecord, Store};
