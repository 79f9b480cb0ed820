//! HTTP request → Lambda event, payload format 2.0, as Function URLs build it.
//!
//! Serialised with our own struct rather than `aws_lambda_events`' because AWS omits empty
//! fields (`cookies`, `queryStringParameters`, `body`) where that type writes `null`, and
//! includes `routeKey` and `stage`; the tests prove the result still parses as the official
//! `LambdaFunctionUrlRequest`.

use std::collections::BTreeMap;

use base64::Engine;
use http::HeaderMap;
use serde::Serialize;

/// The event Function URLs send.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UrlEvent {
    version: &'static str,
    route_key: &'static str,
    raw_path: String,
    raw_query_string: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    cookies: Option<Vec<String>>,
    headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query_string_parameters: Option<BTreeMap<String, String>>,
    request_context: RequestContext,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    is_base64_encoded: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestContext {
    account_id: String,
    api_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorizer: Option<serde_json::Value>,
    domain_name: String,
    domain_prefix: String,
    http: Http,
    request_id: String,
    route_key: &'static str,
    stage: &'static str,
    time: String,
    time_epoch: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Http {
    method: String,
    path: String,
    protocol: String,
    source_ip: String,
    user_agent: String,
}

/// Everything about one request that the event needs.
#[derive(Debug)]
pub struct RequestParts<'a> {
    /// The method.
    pub method: &'a str,
    /// Path as sent, percent-encoding kept.
    pub raw_path: &'a str,
    /// Query after `?`, raw; empty when none.
    pub raw_query: &'a str,
    /// `HTTP/1.1` or `HTTP/2.0`.
    pub protocol: &'a str,
    /// Request headers (hop-by-hop ones are dropped here).
    pub headers: &'a HeaderMap,
    /// The body bytes.
    pub body: &'a [u8],
    /// The TCP peer's address.
    pub source_ip: String,
    /// The url-id.
    pub url_id: &'a str,
    /// `<url-id>.lambda-url.<region>.<domain>`.
    pub domain_name: String,
    /// The invocation's request id.
    pub request_id: &'a str,
    /// Milliseconds since the epoch.
    pub time_epoch_ms: i64,
    /// `"anonymous"` for `NONE`; the caller's account for `AWS_IAM`.
    pub account_id: String,
    /// `{"iam": {...}}` for `AWS_IAM`.
    pub authorizer: Option<serde_json::Value>,
    /// Headers Lambda adds: `x-amzn-trace-id`, `x-forwarded-*`, TLS details.
    pub added_headers: Vec<(&'static str, String)>,
}

/// Hop-by-hop headers Lambda does not pass on.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Lambda sends these content types as text; everything else (including no `Content-Type`,
/// form posts and multipart) is base64 with `isBase64Encoded: true`.
pub fn is_text_content_type(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return false };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || matches!(
            essence.as_str(),
            "application/json" | "application/xml" | "application/javascript"
        )
}

/// Lambda's `requestContext.time`: `07/Apr/2022:14:57:00 +0000`.
pub fn format_time(epoch_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(epoch_ms)
        .unwrap_or_default()
        .format("%d/%b/%Y:%H:%M:%S +0000")
        .to_string()
}

/// Builds the event.
pub fn build(p: RequestParts<'_>) -> UrlEvent {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in p.headers {
        let name = name.as_str();
        if HOP_BY_HOP.contains(&name) {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        // Lambda: repeated headers are joined with commas.
        headers
            .entry(name.to_string())
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value);
            })
            .or_insert(value);
    }
    for (name, value) in p.added_headers {
        if name == "x-forwarded-for" {
            // A proxy in front keeps its chain; the peer is appended.
            headers
                .entry(name.to_string())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert(value);
        } else {
            headers.insert(name.to_string(), value);
        }
    }
    // Lambda: the Cookie header is split into `cookies` (and also stays in `headers`).
    let cookies: Vec<String> = p
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    // Lambda: values percent-decoded, repeats joined with commas; absent when no query.
    let query = (!p.raw_query.is_empty()).then(|| {
        let mut q: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(p.raw_query.as_bytes()) {
            q.entry(k.into_owned())
                .and_modify(|e| {
                    e.push(',');
                    e.push_str(&v);
                })
                .or_insert_with(|| v.into_owned());
        }
        q
    });
    let content_type = p
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let (body, is_base64_encoded) = if p.body.is_empty() {
        (None, false)
    } else {
        match std::str::from_utf8(p.body) {
            Ok(text) if is_text_content_type(content_type) => (Some(text.to_string()), false),
            _ => (
                Some(base64::engine::general_purpose::STANDARD.encode(p.body)),
                true,
            ),
        }
    };
    let user_agent = p
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    UrlEvent {
        version: "2.0",
        route_key: "$default",
        raw_path: p.raw_path.to_string(),
        raw_query_string: p.raw_query.to_string(),
        cookies: (!cookies.is_empty()).then_some(cookies),
        headers,
        query_string_parameters: query,
        request_context: RequestContext {
            account_id: p.account_id,
            api_id: p.url_id.to_string(),
            authorizer: p.authorizer,
            domain_name: p.domain_name,
            domain_prefix: p.url_id.to_string(),
            http: Http {
                method: p.method.to_string(),
                path: p.raw_path.to_string(),
                protocol: p.protocol.to_string(),
                source_ip: p.source_ip,
                user_agent,
            },
            request_id: p.request_id.to_string(),
            route_key: "$default",
            stage: "$default",
            time: format_time(p.time_epoch_ms),
            time_epoch: p.time_epoch_ms,
        },
        body,
        is_base64_encoded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;
    use http::HeaderValue;

    fn parts<'a>(headers: &'a HeaderMap, body: &'a [u8], query: &'a str) -> RequestParts<'a> {
        RequestParts {
            method: "POST",
            raw_path: "/pa2%Fth/1",
            raw_query: query,
            protocol: "HTTP/1.1",
            headers,
            body,
            source_ip: "127.0.0.1".into(),
            url_id: "abcdefghijklmnopqrstuvwxyz012345",
            domain_name: "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.localhost".into(),
            request_id: "21e5f8ee-bf99-4643-8f19-386978967955",
            time_epoch_ms: 1_649_343_420_924,
            account_id: "anonymous".into(),
            authorizer: None,
            added_headers: vec![("x-forwarded-proto", "https".into())],
        }
    }

    #[test]
    fn urls_invocation_request_payload_shape() {
        let mut h = HeaderMap::new();
        h.append("x-multi", HeaderValue::from_static("a"));
        h.append("x-multi", HeaderValue::from_static("b"));
        h.insert("connection", HeaderValue::from_static("keep-alive"));
        h.insert("cookie", HeaderValue::from_static("a=1; b=2"));
        h.insert("content-type", HeaderValue::from_static("application/json"));
        h.insert("user-agent", HeaderValue::from_static("curl/8"));
        let ev = build(parts(&h, br#"{"x":1}"#, "m=foo&m=%2Fbar&z=1"));
        let v = serde_json::to_value(&ev).unwrap();
        assert_eq!(v["version"], "2.0");
        assert_eq!(v["routeKey"], "$default");
        assert_eq!(v["rawPath"], "/pa2%Fth/1");
        assert_eq!(v["rawQueryString"], "m=foo&m=%2Fbar&z=1");
        assert_eq!(v["queryStringParameters"]["m"], "foo,/bar");
        assert_eq!(v["headers"]["x-multi"], "a,b");
        assert!(v["headers"].get("connection").is_none());
        assert_eq!(v["headers"]["cookie"], "a=1; b=2");
        assert_eq!(v["cookies"], serde_json::json!(["a=1", "b=2"]));
        assert_eq!(v["body"], r#"{"x":1}"#);
        assert_eq!(v["isBase64Encoded"], false);
        assert_eq!(v["requestContext"]["time"], "07/Apr/2022:14:57:00 +0000");
        assert_eq!(v["requestContext"]["timeEpoch"], 1_649_343_420_924i64);
        assert_eq!(v["requestContext"]["http"]["userAgent"], "curl/8");
        assert_eq!(v["requestContext"]["accountId"], "anonymous");
        assert_eq!(v["requestContext"]["stage"], "$default");
        // The official type reads it.
        let official: LambdaFunctionUrlRequest = serde_json::from_value(v).unwrap();
        assert_eq!(
            official.request_context.http.method.as_deref(),
            Some("POST")
        );
        assert_eq!(official.request_context.time_epoch, 1_649_343_420_924);
    }

    #[test]
    fn empty_parts_are_absent() {
        let h = HeaderMap::new();
        let v = serde_json::to_value(build(parts(&h, b"", ""))).unwrap();
        assert!(v.get("body").is_none());
        assert!(v.get("cookies").is_none());
        assert!(v.get("queryStringParameters").is_none());
        assert_eq!(v["rawQueryString"], "");
        assert_eq!(v["isBase64Encoded"], false);
        let official: LambdaFunctionUrlRequest = serde_json::from_value(v).unwrap();
        assert!(official.body.is_none());
    }

    #[test]
    fn base64_follows_lambdas_content_type_rule() {
        for (ct, text) in [
            (Some("text/plain; charset=utf-8"), true),
            (Some("application/json"), true),
            (Some("application/xml"), true),
            (Some("application/javascript"), true),
            (Some("application/x-www-form-urlencoded"), false),
            (Some("multipart/form-data; boundary=x"), false),
            (Some("application/octet-stream"), false),
            (None, false),
        ] {
            let mut h = HeaderMap::new();
            if let Some(ct) = ct {
                h.insert("content-type", HeaderValue::from_str(ct).unwrap());
            }
            let v = serde_json::to_value(build(parts(&h, b"a=1", ""))).unwrap();
            assert_eq!(v["isBase64Encoded"], !text, "{ct:?}");
            let expected = if text { "a=1" } else { "YT0x" };
            assert_eq!(v["body"], expected, "{ct:?}");
        }
        // Invalid UTF-8 is never sent as text.
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("text/plain"));
        let v = serde_json::to_value(build(parts(&h, &[0xff, 0xfe], ""))).unwrap();
        assert_eq!(v["isBase64Encoded"], true);
    }
}
