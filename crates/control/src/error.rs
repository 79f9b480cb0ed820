//! Control-plane errors, each with the AWS exception name it is reported as.

use stratus_model::ValidationError;

/// A control-plane failure.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// Bad input (AWS: `InvalidParameterValueException` / `ValidationException`).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Lambda: `ResourceNotFoundException`.
    #[error("{0}")]
    NotFound(String),
    /// Lambda: `ResourceConflictException`.
    #[error("{0}")]
    Conflict(String),
    /// Bad code package (Lambda: `InvalidParameterValueException`).
    #[error("{0}")]
    Code(String),
    /// A CloudFront API error under its own name (`CachePolicyAlreadyExists`,
    /// `CachePolicyInUse`, `IllegalDelete`, `NoSuchCachePolicy`…) and status.
    #[error("{kind}: {message}")]
    CloudFront {
        /// AWS's error code.
        kind: &'static str,
        /// The HTTP status CloudFront answers with.
        status: u16,
        /// What is wrong.
        message: String,
    },
    /// Stratus itself failed (Lambda: 500 `ServiceException`).
    #[error("{0}")]
    Service(String),
    /// The store failed.
    #[error("state store: {0}")]
    Store(#[from] sqlx::Error),
    /// A file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl ControlError {
    /// The AWS exception name.
    pub fn aws_type(&self) -> &'static str {
        match self {
            ControlError::Invalid(v) => v.kind,
            ControlError::NotFound(_) => "ResourceNotFoundException",
            ControlError::Conflict(_) => "ResourceConflictException",
            ControlError::Code(_) => "InvalidParameterValueException",
            ControlError::CloudFront { kind, .. } => kind,
            ControlError::Service(_) | ControlError::Store(_) | ControlError::Io { .. } => {
                "ServiceException"
            }
        }
    }

    /// The HTTP status AWS answers with.
    pub fn status(&self) -> u16 {
        match self {
            ControlError::Invalid(_) | ControlError::Code(_) => 400,
            ControlError::NotFound(_) => 404,
            ControlError::Conflict(_) => 409,
            ControlError::CloudFront { status, .. } => *status,
            ControlError::Service(_) | ControlError::Store(_) | ControlError::Io { .. } => 500,
        }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| ControlError::Io { context, source }
    }
}
