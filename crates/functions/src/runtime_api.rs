//! The Runtime API 2018-06-01 and Extensions API 2020-01-01, one listener per execution
//! environment, so a runtime only ever sees its own function's invocations and
//! `AWS_LAMBDA_RUNTIME_API` is a plain `host:port`.
//!
//! Status codes and error bodies are Lambda's (`{"errorMessage","errorType"}`); invocation state
//! lives in the environment, never in a connection (the official clients open several).

// Handlers return early with a ready `Response` as their error: the axum idiom.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use crate::environment::{Answer, Env, Outcome};
use crate::invocation::{
    FunctionError, InvokeOutput, ResponseStream, StreamEvent, MAX_BUFFERED_RESPONSE,
    MAX_STREAMED_RESPONSE,
};

/// hyper's default header buffer (about 408 KiB) is too small: both official clients copy a
/// whole error into `Lambda-Runtime-Function-XRay-Error-Cause`, which reaches 1 MiB.
const MAX_HEADER_BUFFER: usize = 8 * 1024 * 1024;

/// Serves the Runtime API for `env` on `listener` until aborted.
pub(crate) async fn serve(listener: TcpListener, env: Arc<Env>) {
    let app = router(env);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let svc = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .max_buf_size(MAX_HEADER_BUFFER)
                .keep_alive(true)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
            let _ = conn.await;
        });
    }
}

fn router(env: Arc<Env>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .route("/2018-06-01/ping", get(|| async { "pong" }))
        .route("/2020-01-01/extension/register", post(ext_register))
        .route("/2020-01-01/extension/event/next", get(ext_next))
        .route("/2020-01-01/extension/init/error", post(ext_error))
        .route("/2020-01-01/extension/exit/error", post(ext_error))
        .fallback(|| async { api_error(StatusCode::NOT_FOUND, "InvalidRequest", "Not found") })
        .with_state(env)
}

/// Lambda's Runtime API error body.
fn api_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        json!({"errorMessage": message, "errorType": error_type}).to_string(),
    )
        .into_response()
}

/// Lambda: the runtime posted more than a buffered response may hold.
fn payload_too_large() -> Response {
    api_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLarge",
        &format!("Exceeded maximum allowed payload size ({MAX_BUFFERED_RESPONSE} bytes)."),
    )
}

fn accepted() -> Response {
    (
        StatusCode::ACCEPTED,
        [("content-type", "application/json")],
        r#"{"status":"OK"}"#,
    )
        .into_response()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

/// `GET /runtime/invocation/next`: held until there is work; never an error or a 204 while the
/// environment lives (any would end every official client).
async fn next(State(env): State<Arc<Env>>) -> Response {
    let Some(input) = env.next_invocation().await else {
        // The environment is being torn down; the process is about to be killed.
        return api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "Internal Server Error",
        );
    };
    let timeout = env.function.spec.config.timeout.secs();
    let mut resp = Response::new(Body::from(input.payload));
    let h = resp.headers_mut();
    // Exactly `application/json`: the Python and Node clients break on anything else.
    h.insert("content-type", HeaderValue::from_static("application/json"));
    let mut put = |name: &'static str, value: Option<&str>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.insert(name, v);
            }
        }
    };
    put("lambda-runtime-aws-request-id", Some(&input.request_id));
    put(
        "lambda-runtime-deadline-ms",
        Some(&env.deadline_ms(timeout).to_string()),
    );
    put(
        "lambda-runtime-invoked-function-arn",
        input.invoked_arn.as_deref(),
    );
    put("lambda-runtime-trace-id", input.trace_id.as_deref());
    put(
        "lambda-runtime-client-context",
        input.client_context.as_deref(),
    );
    put(
        "lambda-runtime-cognito-identity",
        input.cognito_identity.as_deref(),
    );
    resp
}

/// The reply sender of the invocation being answered, or Lambda's error for a wrong id.
fn take_reply(answer: Answer) -> Result<oneshot::Sender<InvokeOutput>, Response> {
    match answer {
        Answer::Current(tx) => Ok(tx),
        Answer::UnknownId => Err(api_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestID",
            "Invalid request ID",
        )),
        Answer::AlreadyAnswered => Err(api_error(
            StatusCode::FORBIDDEN,
            "InvalidStateTransition",
            "State transition from RuntimeResponseSent to InvocationResponse failed for runtime. Error: State transition is not allowed",
        )),
    }
}

/// Ends an invocation and hands its output to the caller. The environment goes back to the
/// pool first, so a caller that invokes again at once finds it warm. If the invocation timed
/// out meanwhile, the caller gets the timeout.
fn finish(
    env: &Arc<Env>,
    id: &str,
    reply: oneshot::Sender<InvokeOutput>,
    output: InvokeOutput,
    outcome: Outcome,
) {
    if let Some(done) = env.complete(id, outcome) {
        let _ = reply.send(output);
        done.report();
    } else {
        let timeout = env.function.spec.config.timeout.secs();
        let _ = reply.send(InvokeOutput::Error(FunctionError::timeout(id, timeout)));
    }
}

fn finish_error(
    env: &Arc<Env>,
    id: &str,
    reply: oneshot::Sender<InvokeOutput>,
    err: FunctionError,
) {
    let outcome = Outcome::FunctionError(err.error_type.clone());
    finish(env, id, reply, InvokeOutput::Error(err), outcome);
}

/// `POST /runtime/invocation/{id}/response`, buffered or streamed.
async fn response(
    State(env): State<Arc<Env>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let reply = match take_reply(env.begin_answer(&id)) {
        Ok(tx) => tx,
        Err(r) => return r,
    };
    let content_type = header(&headers, "content-type").map(String::from);
    match header(&headers, "lambda-runtime-function-response-mode") {
        None => {}
        Some(m) if m.eq_ignore_ascii_case("streaming") => {
            return stream_response(env, id, content_type, reply, body).await;
        }
        Some(_) => {
            let err = FunctionError::platform(
                "Runtime.InvalidResponseModeHeader",
                "Invalid function response mode",
            );
            finish_error(&env, &id, reply, err);
            return api_error(
                StatusCode::BAD_REQUEST,
                "InvalidFunctionResponseMode",
                "Invalid function response mode",
            );
        }
    }
    match collect_limited(body, MAX_BUFFERED_RESPONSE).await {
        Ok(bytes) => {
            let output = InvokeOutput::Buffered {
                body: bytes,
                content_type,
            };
            finish(&env, &id, reply, output, Outcome::Success);
            accepted()
        }
        Err(Collect::TooLarge) => {
            // Lambda: the runtime gets 413, the caller `Function.ResponseSizeTooLarge`.
            let err = FunctionError::response_too_large(MAX_BUFFERED_RESPONSE);
            finish_error(&env, &id, reply, err);
            payload_too_large()
        }
        Err(Collect::Truncated) => {
            let err = FunctionError::platform(
                "Runtime.TruncatedResponse",
                "HTTP request detected as truncated",
            );
            finish_error(&env, &id, reply, err);
            api_error(
                StatusCode::BAD_REQUEST,
                "TruncatedHTTPRequest",
                "HTTP request detected as truncated",
            )
        }
    }
}

/// A streamed answer: the caller gets the stream as soon as the POST's headers arrive, and
/// each piece as it is read. Errors come as the `Lambda-Runtime-Function-Error-Type` and
/// `-Error-Body` (base64) trailers.
async fn stream_response(
    env: Arc<Env>,
    id: String,
    content_type: Option<String>,
    reply: oneshot::Sender<InvokeOutput>,
    mut body: Body,
) -> Response {
    let (tx, rx) = mpsc::channel(32);
    env.set_stream(&id, tx.clone());
    let _ = reply.send(InvokeOutput::Stream(ResponseStream {
        content_type: content_type.or_else(|| Some("application/octet-stream".into())),
        body: rx,
    }));
    let mut total = 0usize;
    let mut outcome = Outcome::Success;
    loop {
        match body.frame().await {
            None => break,
            Some(Err(_)) => {
                let err = FunctionError::platform(
                    "Runtime.TruncatedResponse",
                    "HTTP request detected as truncated",
                );
                outcome = Outcome::FunctionError(err.error_type.clone());
                let _ = tx.send(StreamEvent::Error(err)).await;
                break;
            }
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => {
                    total += data.len();
                    if total > MAX_STREAMED_RESPONSE {
                        let err = FunctionError::response_too_large(MAX_STREAMED_RESPONSE);
                        outcome = Outcome::FunctionError(err.error_type.clone());
                        let _ = tx.send(StreamEvent::Error(err)).await;
                        break;
                    }
                    // A caller that went away stops reading; the runtime still finishes.
                    let _ = tx.send(StreamEvent::Data(data)).await;
                }
                Err(frame) => {
                    if let Ok(trailers) = frame.into_trailers() {
                        if let Some(err) = trailer_error(&trailers) {
                            outcome = Outcome::FunctionError(err.error_type.clone());
                            let _ = tx.send(StreamEvent::Error(err)).await;
                        }
                    }
                }
            },
        }
    }
    // Back to the pool before the caller sees the end of the stream.
    let done = env.complete(&id, outcome);
    drop(tx);
    if let Some(done) = done {
        done.report();
    }
    accepted()
}

fn trailer_error(trailers: &HeaderMap) -> Option<FunctionError> {
    use base64::Engine;
    let error_type = header(trailers, "lambda-runtime-function-error-type")?.to_string();
    let body = header(trailers, "lambda-runtime-function-error-body")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .map(Bytes::from)
        .unwrap_or_else(|| {
            Bytes::from(json!({"errorType": error_type, "errorMessage": ""}).to_string())
        });
    Some(FunctionError { error_type, body })
}

/// `POST /runtime/invocation/{id}/error`.
async fn error(
    State(env): State<Arc<Env>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let reply = match take_reply(env.begin_answer(&id)) {
        Ok(tx) => tx,
        Err(r) => return r,
    };
    let bytes = match collect_limited(body, MAX_BUFFERED_RESPONSE).await {
        Ok(b) => b,
        Err(_) => {
            let err = FunctionError::response_too_large(MAX_BUFFERED_RESPONSE);
            finish_error(&env, &id, reply, err);
            return payload_too_large();
        }
    };
    let err = Env::error_from_post(
        header(&headers, "lambda-runtime-function-error-type"),
        bytes,
    );
    finish_error(&env, &id, reply, err);
    accepted()
}

/// `POST /runtime/init/error`.
async fn init_error(State(env): State<Arc<Env>>, headers: HeaderMap, body: Body) -> Response {
    let bytes = collect_limited(body, MAX_BUFFERED_RESPONSE)
        .await
        .unwrap_or_default();
    let err = Env::error_from_post(
        header(&headers, "lambda-runtime-function-error-type"),
        bytes,
    );
    if env.init_error(err) {
        accepted()
    } else {
        api_error(
            StatusCode::FORBIDDEN,
            "InvalidStateTransition",
            "State transition from Ready to InitError failed for runtime. Error: State transition is not allowed",
        )
    }
}

#[derive(Debug)]
enum Collect {
    TooLarge,
    Truncated,
}

/// Reads a body whole, up to `limit` bytes.
async fn collect_limited(body: Body, limit: usize) -> Result<Bytes, Collect> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(Collect::TooLarge),
        Err(_) => Err(Collect::Truncated),
    }
}

fn ext_api_error((status, error_type, message): crate::extensions::ExtError) -> Response {
    api_error(
        StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN),
        error_type,
        &message,
    )
}

/// `POST /extension/register`.
async fn ext_register(State(env): State<Arc<Env>>, headers: HeaderMap, body: Bytes) -> Response {
    let name = header(&headers, "lambda-extension-name").unwrap_or_default();
    let events: Vec<String> = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(v) => v
            .get("events")
            .and_then(|e| e.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        Err(_) => {
            return api_error(
                StatusCode::FORBIDDEN,
                "InvalidRequestFormat",
                "Request body is not valid JSON",
            )
        }
    };
    match env.extensions.register(name, &events) {
        Ok(id) => {
            let config = &env.function.spec.config;
            let mut body = json!({
                "functionName": config.function_name,
                "functionVersion": "$LATEST",
                "handler": config.handler.as_str(),
            });
            let wants_account = header(&headers, "lambda-extension-accept-feature")
                .is_some_and(|f| f.split(',').any(|f| f.trim() == "accountId"));
            if wants_account {
                body["accountId"] = json!(env.function.host.settings.partition.account_id);
            }
            let mut resp = (
                StatusCode::OK,
                [("content-type", "application/json")],
                body.to_string(),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&id) {
                resp.headers_mut().insert("lambda-extension-identifier", v);
            }
            resp
        }
        Err(e) => ext_api_error(e),
    }
}

fn extension_id(headers: &HeaderMap) -> Result<&str, Response> {
    header(headers, "lambda-extension-identifier").ok_or_else(|| {
        api_error(
            StatusCode::FORBIDDEN,
            "Extension.MissingExtensionIdentifier",
            "Missing Lambda-Extension-Identifier header",
        )
    })
}

/// `GET /extension/event/next`: held until an event.
async fn ext_next(State(env): State<Arc<Env>>, headers: HeaderMap) -> Response {
    let id = match extension_id(&headers) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match env.extensions.next_event(id).await {
        Ok(Some(event)) => {
            let mut resp = (
                StatusCode::OK,
                [("content-type", "application/json")],
                event.to_string(),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
                resp.headers_mut()
                    .insert("lambda-extension-event-identifier", v);
            }
            resp
        }
        Ok(None) => api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "Internal Server Error",
        ),
        Err(e) => ext_api_error(e),
    }
}

/// `POST /extension/init/error` and `/extension/exit/error`.
async fn ext_error(State(env): State<Arc<Env>>, headers: HeaderMap) -> Response {
    let id = match extension_id(&headers) {
        Ok(id) => id,
        Err(r) => return r,
    };
    if header(&headers, "lambda-extension-function-error-type").is_none() {
        return api_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestFormat",
            "Missing Lambda-Extension-Function-Error-Type header",
        );
    }
    if !env.extensions.knows(id) {
        return ext_api_error((
            403,
            "Extension.InvalidExtensionIdentifier",
            "Invalid extension identifier".into(),
        ));
    }
    match env.extensions.report_error(id) {
        Ok(()) => accepted(),
        Err(e) => ext_api_error(e),
    }
}
