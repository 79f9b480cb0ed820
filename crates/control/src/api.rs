//! The Lambda control-plane REST API (2015-03-31), the operations a local user needs first:
//! `Invoke`, `GetFunction`, `ListFunctions`. Errors are AWS's: status, `x-amzn-ErrorType`,
//! JSON body. The `aws` CLI and SDKs work against it with `--endpoint-url`.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;
use serde_json::{json, Value};
use stratus_functions::{FunctionHost, InvokeError, InvokeInput};

use crate::store::{FunctionRecord, Store};

/// What the API serves from.
#[derive(Debug, Clone)]
pub struct Api {
    /// The store.
    pub store: Arc<Store>,
    /// The running functions.
    pub host: FunctionHost,
    /// Applies the store to the host and the edge.
    pub syncer: crate::sync::Syncer,
}

/// The API's routes.
pub fn router(api: Api) -> Router {
    Router::new()
        .route("/2015-03-31/functions", get(list_functions))
        .route("/2015-03-31/functions/", get(list_functions))
        .route("/2015-03-31/functions/{name}", get(get_function))
        .route("/2015-03-31/functions/{name}/invocations", post(invoke))
        .route("/_stratus/reload", post(reload))
        .fallback(|| async {
            aws_error(
                StatusCode::NOT_FOUND,
                "UnknownOperationException",
                json!({"message": "Unknown operation"}),
            )
        })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(api)
}

/// `POST /_stratus/reload` (Stratus's own): applies the store now. CLI commands call it after
/// a change so it is served by the time they return.
async fn reload(State(api): State<Api>) -> Response {
    match api.syncer.apply_now().await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => service_error(e),
    }
}

/// Lambda's limit on an `Event` (asynchronous) invocation's payload.
const MAX_EVENT_PAYLOAD: usize = 1_048_576;

fn aws_error(status: StatusCode, error_type: &str, body: Value) -> Response {
    let mut r = (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(error_type) {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    r
}

/// `FunctionName` may be a name, a partial ARN or a full ARN, optionally qualified.
fn function_name(raw: &str) -> (&str, Option<&str>) {
    let parts: Vec<&str> = raw.split(':').collect();
    match parts.as_slice() {
        [name] => (name, None),
        [name, q] => (name, Some(q)),
        [_, "function", name] => (name, None),
        [_, "function", name, q] => (name, Some(q)),
        [.., "function", name] => (name, None),
        [.., "function", name, q] => (name, Some(q)),
        _ => (raw, None),
    }
}

fn not_found(host: &FunctionHost, name: &str) -> Response {
    let arn = host.settings().partition.function_arn(name);
    aws_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFoundException",
        json!({"Type": "User", "Message": format!("Function not found: {arn}")}),
    )
}

fn configuration(host: &FunctionHost, r: &FunctionRecord) -> Value {
    let c = &r.config;
    json!({
        "FunctionName": c.function_name,
        "FunctionArn": host.settings().partition.function_arn(&c.function_name),
        "Runtime": c.runtime,
        "Handler": c.handler,
        "CodeSize": r.code_size,
        "CodeSha256": r.code_sha256,
        "Timeout": c.timeout,
        "MemorySize": c.memory_size,
        "LastModified": r.last_modified,
        "Version": "$LATEST",
        "Environment": {"Variables": c.environment},
        "RevisionId": r.revision_id,
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": [if cfg!(target_arch = "aarch64") { "arm64" } else { "x86_64" }],
        "Role": format!("arn:aws:iam::{}:role/stratus-local", host.settings().partition.account_id),
    })
}

async fn list_functions(State(api): State<Api>) -> Response {
    match api.store.functions().await {
        Ok(records) => {
            let list: Vec<Value> = records
                .iter()
                .map(|r| configuration(&api.host, r))
                .collect();
            axum::Json(json!({"Functions": list})).into_response()
        }
        Err(e) => service_error(e),
    }
}

async fn get_function(State(api): State<Api>, Path(raw): Path<String>) -> Response {
    let (name, _) = function_name(&raw);
    match api.store.function(name).await {
        Ok(Some(r)) => {
            let c = &r.config;
            axum::Json(json!({
                "Configuration": configuration(&api.host, &r),
                "Code": {"RepositoryType": "S3", "Location": ""},
                "Concurrency": {"ReservedConcurrentExecutions": c.reserved_concurrency},
            }))
            .into_response()
        }
        Ok(None) => not_found(&api.host, name),
        Err(e) => service_error(e),
    }
}

fn service_error(e: crate::ControlError) -> Response {
    aws_error(
        StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        e.aws_type(),
        json!({"Type": "Service", "Message": e.to_string()}),
    )
}

/// `Invoke`: `RequestResponse` (default), `Event` (202, run in the background) or `DryRun`
/// (204). Function errors are HTTP 200 with `X-Amz-Function-Error: Unhandled`.
async fn invoke(
    State(api): State<Api>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    use http_body_util::BodyExt;
    let (name, qualifier) = function_name(&raw);
    // Lambda's limit, answered in Lambda's shape (not the HTTP stack's default limit).
    let body = match http_body_util::Limited::new(
        body,
        stratus_functions::invocation::MAX_REQUEST_PAYLOAD,
    )
    .collect()
    .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => return invoke_error(InvokeError::RequestTooLarge),
    };
    let Some(function) = api.host.function(name) else {
        return not_found(&api.host, name);
    };
    if let Some(q) = qualifier.filter(|q| *q != "$LATEST") {
        let arn = format!("{}:{q}", function.arn());
        return aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            json!({"Type": "User", "Message": format!("Function not found: {arn}")}),
        );
    }
    let payload = if body.is_empty() {
        Bytes::from_static(b"{}")
    } else {
        body
    };
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&payload) {
        return aws_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            json!({"Type": "User", "message": format!("Could not parse request body into json: Could not parse payload into json: {e}")}),
        );
    }
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let client_context = match header("x-amz-client-context") {
        Some(b64) => match base64::engine::general_purpose::STANDARD.decode(b64) {
            Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(_) => {
                return aws_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestContentException",
                    json!({"Type": "User", "message": "Client context must be a valid Base64-encoded JSON object."}),
                )
            }
        },
        None => None,
    };
    let payload_len = payload.len();
    let mut input = InvokeInput::new(payload);
    input.client_context = client_context;
    let request_id = input.request_id.clone();
    let invocation_type = header("x-amz-invocation-type").unwrap_or("RequestResponse");
    match invocation_type {
        "DryRun" => return with_request_id(StatusCode::NO_CONTENT.into_response(), &request_id),
        "Event" => {
            if payload_len > MAX_EVENT_PAYLOAD {
                return aws_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestEntityTooLargeException",
                    json!({"Type": "User", "message": format!(
                        "{payload_len} byte payload is too large for the Event invocation type (limit {MAX_EVENT_PAYLOAD} bytes)"
                    )}),
                );
            }
            tokio::spawn(async move {
                let _ = function.invoke(input).await;
            });
            return with_request_id(StatusCode::ACCEPTED.into_response(), &request_id);
        }
        "RequestResponse" => {}
        other => {
            return aws_error(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                json!({"message": format!("1 validation error detected: Value '{other}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]")}),
            )
        }
    }
    let output = match function.invoke(input).await {
        Ok(o) => o,
        Err(e) => return invoke_error(e),
    };
    let (body, error) = match output.into_payload().await {
        Ok(body) => (body, false),
        Err(e) => (e.body, true),
    };
    let mut r = Response::new(Body::from(body));
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h.insert(
        "x-amz-executed-version",
        HeaderValue::from_static("$LATEST"),
    );
    if error {
        h.insert(
            "x-amz-function-error",
            HeaderValue::from_static("Unhandled"),
        );
    }
    with_request_id(r, &request_id)
}

fn with_request_id(mut r: Response, id: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(id) {
        r.headers_mut().insert("x-amzn-requestid", v);
    }
    r
}

fn invoke_error(e: InvokeError) -> Response {
    match e {
        InvokeError::NotFound(arn) => aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            json!({"Type": "User", "Message": format!("Function not found: {arn}")}),
        ),
        InvokeError::Throttled => {
            let mut r = aws_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                json!({"Type": "User", "message": "Rate Exceeded.", "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}),
            );
            r.headers_mut()
                .insert("retry-after", HeaderValue::from_static("1"));
            r
        }
        InvokeError::RequestTooLarge => aws_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLargeException",
            json!({"Type": "User", "message": e.to_string()}),
        ),
        InvokeError::Service(m) => aws_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceException",
            json!({"Type": "Service", "Message": m}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_name_forms() {
        assert_eq!(function_name("f"), ("f", None));
        assert_eq!(function_name("f:live"), ("f", Some("live")));
        assert_eq!(function_name("123456789012:function:f"), ("f", None));
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"),
            ("f", Some("$LATEST"))
        );
    }
}
