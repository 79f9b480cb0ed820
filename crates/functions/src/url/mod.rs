//! Function URLs: `https://<url-id>.lambda-url.<region>.<domain>/`, routed by `Host`.
//!
//! One listener serves both HTTPS (told apart by the TLS handshake's first byte) and plain
//! HTTP, HTTP/1.1 and HTTP/2. A request becomes a payload-format-2.0 event, the function's
//! result becomes the HTTP response by Lambda's rules, and every response carries
//! `x-amzn-RequestId`.

pub mod cors;
pub mod event;
pub mod response;
pub mod sigv4;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use stratus_model::{AuthType, InvokeMode};

use crate::host::FunctionHost;
use crate::invocation::{
    InvokeError, InvokeInput, InvokeOutput, ResponseStream, StreamEvent, MAX_REQUEST_PAYLOAD,
};

/// The error type of response bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;
/// Response body of the Function URL front.
pub type UrlBody = http_body_util::combinators::BoxBody<Bytes, BoxError>;

/// The Function URL front's configuration.
#[derive(Debug, Clone)]
pub struct UrlFront {
    host: FunctionHost,
    keys: sigv4::Keys,
    /// The domain after `lambda-url.<region>.`; default `localhost`.
    domain: String,
}

/// Facts about the connection a request came on.
#[derive(Debug, Clone)]
struct Conn {
    peer: SocketAddr,
    local_port: u16,
    tls: Option<(String, String)>,
}

impl UrlFront {
    /// A front over `host`, verifying `AWS_IAM` signatures against `keys`.
    pub fn new(host: FunctionHost, keys: sigv4::Keys, domain: impl Into<String>) -> Self {
        Self {
            host,
            keys,
            domain: domain.into(),
        }
    }

    /// Serves on `listener` until the task is dropped. With `tls`, connections that open with
    /// a TLS handshake are served over TLS; the rest as plain HTTP.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!("accept failed: {e}");
                    continue;
                }
            };
            let front = self.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                if let Err(e) = front.connection(stream, peer, tls).await {
                    tracing::debug!(%peer, "connection ended: {e}");
                }
            });
        }
    }

    async fn connection(
        self: Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> Result<(), BoxError> {
        let _ = stream.set_nodelay(true);
        let local_port = stream.local_addr()?.port();
        let mut first = [0u8; 1];
        let is_tls = tls.is_some() && stream.peek(&mut first).await? == 1 && first[0] == 0x16;
        let builder =
            hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
        match (is_tls, tls) {
            (true, Some(acceptor)) => {
                let tls_stream = acceptor.accept(stream).await?;
                let (_, session) = tls_stream.get_ref();
                let details = session
                    .protocol_version()
                    .zip(session.negotiated_cipher_suite())
                    .map(|(v, s)| (tls_version_name(v), cipher_name(s.suite())));
                let conn = Conn {
                    peer,
                    local_port,
                    tls: details,
                };
                builder
                    .serve_connection(
                        hyper_util::rt::TokioIo::new(tls_stream),
                        service(&self, conn),
                    )
                    .await
            }
            _ => {
                let conn = Conn {
                    peer,
                    local_port,
                    tls: None,
                };
                builder
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service(&self, conn))
                    .await
            }
        }
    }

    async fn handle(&self, req: Request<Incoming>, conn: Conn) -> Response<UrlBody> {
        let request_id = uuid::Uuid::new_v4().to_string();
        let mut resp = self.route(req, &conn, &request_id).await;
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            resp.headers_mut().insert("x-amzn-requestid", v);
        }
        resp
    }

    async fn route(
        &self,
        req: Request<Incoming>,
        conn: &Conn,
        request_id: &str,
    ) -> Response<UrlBody> {
        let host = req
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(String::from)
            .or_else(|| req.uri().authority().map(|a| a.to_string()))
            .unwrap_or_default();
        let region = &self.host.settings().partition.region;
        let Some(url_id) = url_id_of(&host, region) else {
            return self.unknown_host(&host);
        };
        let Some(function) = self.host.url_target(url_id) else {
            return self.unknown_host(&host);
        };
        let Some(url) = function.spec().url.clone() else {
            return self.unknown_host(&host);
        };
        let (parts, body) = req.into_parts();

        if let Some(cors) = &url.cors {
            if cors::is_preflight(&parts.method, &parts.headers) {
                let mut resp = empty(StatusCode::OK, "application/json");
                resp.headers_mut()
                    .extend(cors::preflight_headers(cors, &parts.headers));
                return resp;
            }
        }

        let body = match http_body_util::Limited::new(body, MAX_REQUEST_PAYLOAD)
            .collect()
            .await
        {
            Ok(b) => b.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => return too_large(),
            Err(_) => return error_response(StatusCode::BAD_REQUEST, "BadRequest", "Bad Request"),
        };

        let path_and_query = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let (account_id, authorizer) = match url.auth_type {
            AuthType::None => ("anonymous".to_string(), None),
            AuthType::AwsIam => {
                let signed = sigv4::Signed {
                    method: parts.method.as_str(),
                    host: &host,
                    path_and_query,
                    headers: &parts.headers,
                    body: &body,
                };
                match sigv4::verify(&signed, region, &self.keys, SystemTime::now()) {
                    Ok(caller) => {
                        let account = self.host.settings().partition.account_id.clone();
                        let user = format!("arn:aws:iam::{account}:user/{}", caller.access_key);
                        let iam = json!({"iam": {
                            "accessKey": caller.access_key,
                            "accountId": account,
                            "callerId": caller.access_key,
                            "cognitoIdentity": null,
                            "principalOrgId": null,
                            "userArn": user,
                            "userId": caller.access_key,
                        }});
                        (account, Some(iam))
                    }
                    Err(denied) => {
                        return lambda_error(
                            StatusCode::FORBIDDEN,
                            denied.error_type,
                            json!({"Message": denied.message}),
                        )
                    }
                }
            }
        };

        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as i64;
        let trace = stratus_model::ids::trace_header((now_ms / 1000) as u64);
        let trace_root = trace.split(';').next().unwrap_or_default().to_string();
        let mut added = vec![
            ("x-amzn-trace-id", trace_root),
            ("x-forwarded-for", conn.peer.ip().to_string()),
            (
                "x-forwarded-proto",
                if conn.tls.is_some() { "https" } else { "http" }.to_string(),
            ),
            ("x-forwarded-port", conn.local_port.to_string()),
        ];
        if !parts.headers.contains_key(http::header::HOST) {
            // HTTP/2 carries the host as :authority; Lambda's event always has `host`.
            added.push(("host", host.clone()));
        }
        if let Some((version, cipher)) = &conn.tls {
            added.push(("x-amzn-tls-version", version.clone()));
            added.push(("x-amzn-tls-cipher-suite", cipher.clone()));
        }
        let protocol = match parts.version {
            http::Version::HTTP_2 => "HTTP/2.0",
            http::Version::HTTP_10 => "HTTP/1.0",
            _ => "HTTP/1.1",
        };
        let raw_path = parts.uri.path();
        let event = event::build(event::RequestParts {
            method: parts.method.as_str(),
            raw_path,
            raw_query: parts.uri.query().unwrap_or(""),
            protocol,
            headers: &parts.headers,
            body: &body,
            source_ip: conn.peer.ip().to_string(),
            url_id,
            domain_name: format!("{url_id}.lambda-url.{region}.{}", self.domain),
            request_id,
            time_epoch_ms: now_ms,
            account_id,
            authorizer,
            added_headers: added,
        });
        let payload = match serde_json::to_vec(&event) {
            Ok(p) => p,
            Err(_) => return internal_error(),
        };
        if payload.len() > MAX_REQUEST_PAYLOAD {
            return too_large();
        }
        let input = InvokeInput {
            request_id: request_id.to_string(),
            payload: Bytes::from(payload),
            trace_id: Some(trace.clone()),
            ..Default::default()
        };
        let output = match function.invoke(input).await {
            Ok(o) => o,
            Err(e) => return invoke_error(e),
        };
        let mut resp = match url.invoke_mode {
            InvokeMode::Buffered => buffered_response(output).await,
            InvokeMode::ResponseStream => streamed_response(output).await,
        };
        if let Some(cors) = &url.cors {
            cors::add_response_headers(cors, &parts.headers, resp.headers_mut());
        }
        if let Ok(v) = HeaderValue::from_str(&trace.to_ascii_lowercase()) {
            resp.headers_mut().insert("x-amzn-trace-id", v);
        }
        resp
    }

    /// Lambda answers a Host that names no URL with 403 `{"Message":null}`.
    fn unknown_host(&self, host: &str) -> Response<UrlBody> {
        tracing::warn!(
            host,
            "403 AccessDeniedException: no Function URL has this Host. If the request came \
             through a CloudFront distribution, its origin request policy forwards the viewer's \
             Host header; a Function URL only answers its own host name. Use an origin request \
             policy that does not forward Host (Managed-AllViewerExceptHostHeader)."
        );
        lambda_error(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            json!({"Message": null}),
        )
    }
}

fn service(
    front: &Arc<UrlFront>,
    conn: Conn,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<UrlBody>,
    Error = Infallible,
    Future = BoxFuture<Result<Response<UrlBody>, Infallible>>,
> + Clone {
    let front = front.clone();
    hyper::service::service_fn(move |req| {
        let front = front.clone();
        let conn = conn.clone();
        Box::pin(async move { Ok::<_, Infallible>(front.handle(req, conn).await) }) as BoxFuture<_>
    })
}

/// The url-id of a Function URL host (`<url-id>.lambda-url.<region>.<domain>[:port]`).
pub fn url_id_of<'a>(host: &'a str, region: &str) -> Option<&'a str> {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let mut labels = name.split('.');
    let id = labels.next()?;
    (labels.next()? == "lambda-url"
        && labels.next()?.eq_ignore_ascii_case(region)
        && stratus_model::ids::is_url_id(id))
    .then_some(id)
}

fn tls_version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        other => format!("{other:?}"),
    }
}

fn cipher_name(s: rustls::CipherSuite) -> String {
    let name = s.as_str().unwrap_or("UNKNOWN");
    name.strip_prefix("TLS13_")
        .map(|rest| format!("TLS_{rest}"))
        .unwrap_or_else(|| name.to_string())
}

fn full(body: impl Into<Bytes>) -> UrlBody {
    Full::new(body.into())
        .map_err(|never| match never {})
        .boxed()
}

fn empty(status: StatusCode, content_type: &'static str) -> Response<UrlBody> {
    let mut r = Response::new(full(Bytes::new()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    r
}

/// An error in Lambda's shape: status, `x-amzn-ErrorType`, JSON body.
fn lambda_error(
    status: StatusCode,
    error_type: &str,
    body: serde_json::Value,
) -> Response<UrlBody> {
    let mut r = Response::new(full(body.to_string()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(error_type) {
        h.insert("x-amzn-errortype", v);
    }
    r
}

fn error_response(status: StatusCode, error_type: &str, message: &str) -> Response<UrlBody> {
    lambda_error(status, error_type, json!({"Message": message}))
}

/// Lambda: a function error, timeout, crash or unmappable result is a 502 with body
/// `Internal Server Error`.
fn internal_error() -> Response<UrlBody> {
    let mut r = Response::new(full("Internal Server Error"));
    *r.status_mut() = StatusCode::BAD_GATEWAY;
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

fn too_large() -> Response<UrlBody> {
    lambda_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLargeException",
        json!({"Message": format!("Request must be smaller than {MAX_REQUEST_PAYLOAD} bytes for the InvokeFunction operation")}),
    )
}

fn invoke_error(e: InvokeError) -> Response<UrlBody> {
    match e {
        InvokeError::Throttled => {
            let mut r = lambda_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                json!({
                    "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
                    "Type": "User",
                    "message": "Rate Exceeded.",
                }),
            );
            r.headers_mut()
                .insert("retry-after", HeaderValue::from_static("1"));
            r
        }
        InvokeError::RequestTooLarge => too_large(),
        InvokeError::NotFound(_) => lambda_error(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            json!({"Message": null}),
        ),
        InvokeError::Service(msg) => {
            tracing::error!("invocation failed: {msg}");
            internal_error()
        }
    }
}

fn from_mapped(m: response::Mapped) -> Response<UrlBody> {
    let mut r = Response::new(full(m.body));
    *r.status_mut() = m.status;
    *r.headers_mut() = m.headers;
    r
}

/// Reads a whole stream; `None` if it failed.
fn is_integration(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| ct.starts_with(response::HTTP_INTEGRATION_CONTENT_TYPE))
}

/// `BUFFERED`: the whole result mapped by Lambda's rules.
async fn buffered_response(output: InvokeOutput) -> Response<UrlBody> {
    match output {
        InvokeOutput::Buffered { body, .. } => match response::map_buffered(&body) {
            Ok(m) => from_mapped(m),
            Err(e) => {
                tracing::info!("502: {}", e.0);
                internal_error()
            }
        },
        InvokeOutput::Stream(ResponseStream { content_type, body }) => {
            let Ok(mut buf) = crate::invocation::collect_stream(body).await else {
                return internal_error();
            };
            if is_integration(content_type.as_deref()) {
                if let Some(end) = response::find_prelude_end(&buf) {
                    let rest = buf.split_off(end + response::PRELUDE_DELIMITER.len());
                    return match response::map_prelude(&buf[..end]) {
                        Ok(mut m) => {
                            m.body = rest.freeze();
                            from_mapped(m)
                        }
                        Err(_) => internal_error(),
                    };
                }
            }
            let mut r = Response::new(full(buf.freeze()));
            set_content_type(&mut r, content_type.as_deref());
            r
        }
        InvokeOutput::Error(_) => internal_error(),
    }
}

fn set_content_type(r: &mut Response<UrlBody>, content_type: Option<&str>) {
    let ct = content_type.unwrap_or("application/json");
    if let Ok(v) = HeaderValue::from_str(ct) {
        r.headers_mut().insert("content-type", v);
    }
}

/// `RESPONSE_STREAM`: bytes forwarded as the function writes them. A prelude (content type
/// `application/vnd.awslambda.http-integration-response`) gives status, headers and cookies;
/// any other stream is served raw with status 200. A buffered result is served as its raw JSON.
async fn streamed_response(output: InvokeOutput) -> Response<UrlBody> {
    match output {
        InvokeOutput::Buffered { body, content_type } => {
            let mut r = Response::new(full(body));
            set_content_type(&mut r, content_type.as_deref());
            r
        }
        InvokeOutput::Error(_) => internal_error(),
        InvokeOutput::Stream(ResponseStream {
            content_type,
            mut body,
        }) => {
            if is_integration(content_type.as_deref()) {
                // Hold the head until the prelude has arrived.
                let mut buf = BytesMut::new();
                loop {
                    if let Some(end) = response::find_prelude_end(&buf) {
                        let rest = buf.split_off(end + response::PRELUDE_DELIMITER.len());
                        let Ok(mut m) = response::map_prelude(&buf[..end]) else {
                            return internal_error();
                        };
                        m.body = Bytes::new();
                        return stream_with_head(m, rest.freeze(), body);
                    }
                    match body.recv().await {
                        Some(StreamEvent::Data(d)) => buf.extend_from_slice(&d),
                        Some(StreamEvent::Error(_)) => return internal_error(),
                        // No prelude was ever written: an empty 200.
                        None => {
                            let mut r = Response::new(full(buf.freeze()));
                            set_content_type(&mut r, Some("application/octet-stream"));
                            return r;
                        }
                    }
                }
            }
            // Raw stream: wait for the first piece so an immediate failure is still a 502.
            let first = match body.recv().await {
                Some(StreamEvent::Data(d)) => d,
                Some(StreamEvent::Error(_)) => return internal_error(),
                None => Bytes::new(),
            };
            let m = response::Mapped {
                status: StatusCode::OK,
                headers: {
                    let mut h = http::HeaderMap::new();
                    if let Some(v) = content_type
                        .as_deref()
                        .and_then(|c| HeaderValue::from_str(c).ok())
                    {
                        h.insert("content-type", v);
                    }
                    h
                },
                body: Bytes::new(),
            };
            stream_with_head(m, first, body)
        }
    }
}

/// A response with `head`, whose body is `first` then the rest of `body`. A failure after the
/// head was sent can no longer change the status: the body is cut off (the client sees an
/// incomplete response).
fn stream_with_head(
    head: response::Mapped,
    first: Bytes,
    body: mpsc::Receiver<StreamEvent>,
) -> Response<UrlBody> {
    let first = futures_util::stream::iter(
        (!first.is_empty()).then(|| Ok::<_, BoxError>(Frame::data(first))),
    );
    let rest = futures_util::stream::unfold(body, |mut rx| async move {
        match rx.recv().await {
            Some(StreamEvent::Data(d)) => Some((Ok(Frame::data(d)), rx)),
            Some(StreamEvent::Error(e)) => {
                let msg = format!("function error mid-stream: {}", e.error_type);
                Some((Err(BoxError::from(msg)), rx))
            }
            None => None,
        }
    });
    let stream = first.chain(rest);
    let mut r = Response::new(BodyExt::boxed(StreamBody::new(stream)));
    *r.status_mut() = head.status;
    *r.headers_mut() = head.headers;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hosts() {
        let id = "abcdefghijklmnopqrstuvwxyz012345";
        assert_eq!(
            url_id_of(
                &format!("{id}.lambda-url.us-east-1.localhost:9000"),
                "us-east-1"
            ),
            Some(id)
        );
        assert_eq!(
            url_id_of(&format!("{id}.lambda-url.us-east-1.on.aws"), "us-east-1"),
            Some(id)
        );
        assert_eq!(
            url_id_of(&format!("{id}.lambda-url.eu-west-1.localhost"), "us-east-1"),
            None
        );
        assert_eq!(url_id_of("127.0.0.1:9000", "us-east-1"), None);
        assert_eq!(
            url_id_of("short.lambda-url.us-east-1.localhost", "us-east-1"),
            None
        );
    }
}
