//! What an invocation carries in and what comes back out.

use bytes::Bytes;
use serde_json::json;
use tokio::sync::mpsc;

/// Lambda's synchronous request payload limit (Invoke body, Function URL event JSON).
pub const MAX_REQUEST_PAYLOAD: usize = 6_291_456;
/// Lambda's buffered response limit: what the runtime may post (6 MiB + 100 bytes).
pub const MAX_BUFFERED_RESPONSE: usize = 6_291_556;
/// Lambda's streamed response limit (200 MB).
pub const MAX_STREAMED_RESPONSE: usize = 200 * 1024 * 1024;

/// One invocation's input.
#[derive(Debug, Clone, Default)]
pub struct InvokeInput {
    /// The request id (a UUID); the runtime sees it as `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: String,
    /// The event bytes, exactly as invoked.
    pub payload: Bytes,
    /// Decoded `X-Amz-Client-Context` JSON text, if the caller sent one.
    pub client_context: Option<String>,
    /// Cognito identity JSON, if any.
    pub cognito_identity: Option<String>,
    /// X-Ray trace header; one is made when absent.
    pub trace_id: Option<String>,
    /// The ARN the caller used; default: the unqualified function ARN.
    pub invoked_arn: Option<String>,
}

impl InvokeInput {
    /// An input with a fresh request id.
    pub fn new(payload: impl Into<Bytes>) -> Self {
        Self {
            request_id: uuid::Uuid::new_v4().to_string(),
            payload: payload.into(),
            ..Default::default()
        }
    }
}

/// A failure reported for an invocation: by the function (`/error`, `/init/error`) or by the
/// platform (timeout, crash, oversized response). Callers see `body` verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// `Runtime.ExitError`, `Sandbox.Timedout`, the function's own type…
    pub error_type: String,
    /// The error document (JSON).
    pub body: Bytes,
}

impl FunctionError {
    /// A platform error in Lambda's `{"errorType","errorMessage"}` shape.
    pub fn platform(error_type: &str, message: &str) -> Self {
        Self {
            error_type: error_type.to_string(),
            body: Bytes::from(
                json!({"errorType": error_type, "errorMessage": message}).to_string(),
            ),
        }
    }

    /// Lambda: `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: <id> Error: Task timed out after 3.00 seconds"}`.
    pub fn timeout(request_id: &str, timeout_secs: u32) -> Self {
        Self::platform(
            "Sandbox.Timedout",
            &format!(
                "RequestId: {request_id} Error: Task timed out after {timeout_secs}.00 seconds"
            ),
        )
    }

    /// Lambda: `Function.ResponseSizeTooLarge`.
    pub fn response_too_large(limit: usize) -> Self {
        Self {
            error_type: "Function.ResponseSizeTooLarge".into(),
            body: Bytes::from(
                json!({
                    "errorMessage": format!("Response payload size exceeded maximum allowed payload size ({limit} bytes)."),
                    "errorType": "Function.ResponseSizeTooLarge",
                })
                .to_string(),
            ),
        }
    }
}

/// One piece of a streamed response.
#[derive(Debug)]
pub enum StreamEvent {
    /// Body bytes, in order.
    Data(Bytes),
    /// The function (trailers) or the platform (timeout, size) failed the stream; nothing follows.
    Error(FunctionError),
}

/// A response the runtime is streaming (`Lambda-Runtime-Function-Response-Mode: streaming`).
#[derive(Debug)]
pub struct ResponseStream {
    /// The POST's `Content-Type` (`application/vnd.awslambda.http-integration-response` means a
    /// prelude follows).
    pub content_type: Option<String>,
    /// The pieces; the channel closes when the stream ends.
    pub body: mpsc::Receiver<StreamEvent>,
}

/// What an invocation produced.
#[derive(Debug)]
pub enum InvokeOutput {
    /// The whole response the runtime posted.
    Buffered {
        /// The posted bytes.
        body: Bytes,
        /// The POST's `Content-Type`, if any.
        content_type: Option<String>,
    },
    /// A streamed response.
    Stream(ResponseStream),
    /// The invocation failed.
    Error(FunctionError),
}

impl InvokeOutput {
    /// The whole payload, as the Lambda `Invoke` API returns it: a stream read to its end.
    /// `Err` carries the failure's error document.
    pub async fn into_payload(self) -> Result<Bytes, FunctionError> {
        match self {
            InvokeOutput::Buffered { body, .. } => Ok(body),
            InvokeOutput::Error(e) => Err(e),
            InvokeOutput::Stream(s) => collect_stream(s.body).await.map(|b| b.freeze()),
        }
    }
}

/// A streamed response's pieces in one buffer, or the error the stream ended with.
pub(crate) async fn collect_stream(
    mut body: tokio::sync::mpsc::Receiver<StreamEvent>,
) -> Result<bytes::BytesMut, FunctionError> {
    let mut buf = bytes::BytesMut::new();
    while let Some(ev) = body.recv().await {
        match ev {
            StreamEvent::Data(d) => buf.extend_from_slice(&d),
            StreamEvent::Error(e) => return Err(e),
        }
    }
    Ok(buf)
}

/// Why an invocation never reached a function.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// No such function.
    #[error("Function not found: {0}")]
    NotFound(String),
    /// Over the function's reserved concurrency (0 = deactivated).
    #[error("Rate Exceeded.")]
    Throttled,
    /// Payload over 6,291,456 bytes.
    #[error(
        "Request must be smaller than {MAX_REQUEST_PAYLOAD} bytes for the InvokeFunction operation"
    )]
    RequestTooLarge,
    /// The environment could not be prepared (missing interpreter, bad code directory…).
    #[error("{0}")]
    Service(String),
}
