//! The Stratus resource model: functions, Function URLs (and, later, distributions and policies)
//! as typed structs with AWS's field names, and their validation.
//!
//! This crate owns shapes and rules only. It must not do I/O: the store, the runtimes and the
//! edge take these values already validated.

pub mod cloudfront;
pub mod function;
pub mod ids;
pub mod url;

pub use function::{
    Environment, FunctionConfig, Handler, MemorySize, ReservedConcurrency, Runtime, RuntimeFamily,
    Timeout,
};
pub use url::{AuthType, Cors, FunctionUrlConfig, InvokeMode};

/// A configuration value that breaks one of AWS's rules.
///
/// `kind` is the AWS exception name the control plane answers with
/// (`InvalidParameterValueException` or `ValidationException`); `message` says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ValidationError {
    /// AWS's exception name for this fault.
    pub kind: &'static str,
    /// What is wrong, in AWS's words where AWS has them.
    pub message: String,
}

impl ValidationError {
    /// A `ValidationException` in AWS's "1 validation error detected" form.
    pub fn constraint(value: &str, field: &str, constraint: &str) -> Self {
        Self {
            kind: "ValidationException",
            message: format!(
                "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
            ),
        }
    }

    /// An `InvalidParameterValueException` with the given message.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self {
            kind: "InvalidParameterValueException",
            message: message.into(),
        }
    }
}

/// Region and account that ARNs and URLs are built with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// Default: `us-east-1`.
    pub region: String,
    /// Default: `000000000000`.
    pub account_id: String,
}

impl Default for Partition {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
        }
    }
}

impl Partition {
    /// `arn:aws:lambda:<region>:<account>:function:<name>`.
    pub fn function_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            self.region, self.account_id
        )
    }
}
