//! The Lambda half of Stratus: runtimes (the Node.js and Python bootstraps it ships, and
//! `provided` bootstraps), execution environments (processes, pool, limits, logs), the Runtime
//! and Extensions APIs, the invoker, and the Function URL front (event 2.0, response mapping,
//! SigV4 auth, CORS, streaming).
//!
//! Every arrow is the real protocol: runtimes are real processes speaking the Runtime API over
//! HTTP, so the official runtime interface clients and existing functions run unmodified.
//! This crate must not know about caching: the edge talks to Function URLs as to any origin.

mod cgroup;
mod deadlines;
mod environment;
mod extensions;
pub mod host;
pub mod invocation;
pub mod logs;
mod memory;
pub mod pool;
mod runtime_api;
pub mod runtimes;
pub mod url;

pub use host::{FunctionHost, HostSettings, RoleCredentials};
pub use invocation::{
    FunctionError, InvokeError, InvokeInput, InvokeOutput, ResponseStream, StreamEvent,
};
pub use pool::{Function, FunctionSpec};
pub use url::UrlFront;
