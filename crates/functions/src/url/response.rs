//! Function result → HTTP response, as Function URLs map it.

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde_json::Value;

/// The content type of a streamed response that starts with an HTTP prelude.
pub const HTTP_INTEGRATION_CONTENT_TYPE: &str =
    "application/vnd.awslambda.http-integration-response";

/// The prelude ends with exactly eight NUL bytes.
pub const PRELUDE_DELIMITER: [u8; 8] = [0; 8];

/// An HTTP response's head and (for buffered results) body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// Status.
    pub status: StatusCode,
    /// Headers (`Set-Cookie` included).
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
}

/// Why a result cannot be mapped; the caller gets 502.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadResult(pub String);

fn json_default(headers: &mut HeaderMap) {
    if !headers.contains_key(http::header::CONTENT_TYPE) {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
}

/// Maps a buffered result (the bytes the runtime posted).
///
/// Lambda's rules: an object with `statusCode` is an HTTP response (status, headers, cookies,
/// body, isBase64Encoded; content type defaults to `application/json`); an object without it
/// is re-serialised compactly with status 200; a JSON string is sent without its quotes;
/// anything else valid is sent as compact JSON text. Invalid JSON is a 502.
pub fn map_buffered(posted: &[u8]) -> Result<Mapped, BadResult> {
    let value: Value = serde_json::from_slice(posted)
        .map_err(|e| BadResult(format!("the function's result is not JSON: {e}")))?;
    let mut headers = HeaderMap::new();
    match value {
        Value::Object(ref obj) if obj.contains_key("statusCode") => {
            let mapped = map_http_object(obj)?;
            Ok(mapped)
        }
        Value::String(s) => {
            json_default(&mut headers);
            Ok(Mapped {
                status: StatusCode::OK,
                headers,
                body: Bytes::from(s),
            })
        }
        other => {
            json_default(&mut headers);
            Ok(Mapped {
                status: StatusCode::OK,
                headers,
                body: Bytes::from(other.to_string()),
            })
        }
    }
}

fn parse_status(v: &Value) -> Result<StatusCode, BadResult> {
    // Lambda: a numeric string like "418" works too.
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    n.and_then(|n| u16::try_from(n).ok())
        .and_then(|n| StatusCode::from_u16(n).ok())
        .ok_or_else(|| BadResult(format!("invalid statusCode {v}")))
}

fn header_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn apply_headers(
    obj: &serde_json::Map<String, Value>,
    headers: &mut HeaderMap,
) -> Result<(), BadResult> {
    if let Some(Value::Object(h)) = obj.get("headers") {
        for (k, v) in h {
            let Some(text) = header_text(v) else { continue };
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| BadResult(format!("invalid header name {k:?}")))?;
            let value = HeaderValue::from_str(&text)
                .map_err(|_| BadResult(format!("invalid value for header {k}")))?;
            headers.insert(name, value);
        }
    }
    if let Some(Value::Array(cookies)) = obj.get("cookies") {
        for c in cookies.iter().filter_map(Value::as_str) {
            let value =
                HeaderValue::from_str(c).map_err(|_| BadResult(format!("invalid cookie {c:?}")))?;
            headers.append(http::header::SET_COOKIE, value);
        }
    }
    Ok(())
}

fn map_http_object(obj: &serde_json::Map<String, Value>) -> Result<Mapped, BadResult> {
    let status = parse_status(&obj["statusCode"])?;
    let mut headers = HeaderMap::new();
    apply_headers(obj, &mut headers)?;
    let base64 = obj
        .get("isBase64Encoded")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let body = match obj.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(s)) if base64 => Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| BadResult(format!("body is not valid base64: {e}")))?,
        ),
        Some(Value::String(s)) => Bytes::from(s.clone()),
        Some(other) => Bytes::from(other.to_string()),
    };
    json_default(&mut headers);
    Ok(Mapped {
        status,
        headers,
        body,
    })
}

/// Maps a streaming prelude (`{"statusCode","headers","cookies"}`); missing fields mean 200
/// and no extra headers.
pub fn map_prelude(prelude: &[u8]) -> Result<Mapped, BadResult> {
    let value: Value = if prelude.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(prelude)
            .map_err(|e| BadResult(format!("the response prelude is not JSON: {e}")))?
    };
    let Value::Object(obj) = value else {
        return Err(BadResult(
            "the response prelude is not a JSON object".into(),
        ));
    };
    let status = match obj.get("statusCode") {
        Some(v) => parse_status(v)?,
        None => StatusCode::OK,
    };
    let mut headers = HeaderMap::new();
    apply_headers(&obj, &mut headers)?;
    Ok(Mapped {
        status,
        headers,
        body: Bytes::new(),
    })
}

/// Finds the end of a prelude in `buf`: the index of the first of eight NUL bytes.
pub fn find_prelude_end(buf: &[u8]) -> Option<usize> {
    buf.windows(PRELUDE_DELIMITER.len())
        .position(|w| w == PRELUDE_DELIMITER)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(s: &str) -> Mapped {
        map_buffered(s.as_bytes()).unwrap()
    }

    #[test]
    fn urls_invocation_response_payload_object_with_status_code() {
        let m = map(
            r#"{"statusCode":201,"headers":{"x-a":"1","x-n":2},"cookies":["a=1; Path=/","b=2"],"body":"hi"}"#,
        );
        assert_eq!(m.status, 201);
        assert_eq!(m.headers["x-a"], "1");
        assert_eq!(m.headers["x-n"], "2");
        assert_eq!(m.headers["content-type"], "application/json");
        let cookies: Vec<_> = m.headers.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1; Path=/", "b=2"]);
        assert_eq!(m.body, "hi");
        assert_eq!(map(r#"{"statusCode":"418"}"#).status, 418);
        let html = map(r#"{"statusCode":200,"headers":{"Content-Type":"text/html"},"body":"<p>"}"#);
        assert_eq!(html.headers["content-type"], "text/html");
    }

    #[test]
    fn default_console_function_keeps_its_quotes() {
        let m = map(r#"{"statusCode":200,"body":"\"Hello from Lambda!\""}"#);
        assert_eq!(m.body, "\"Hello from Lambda!\"");
        assert_eq!(m.body.len(), 20);
    }

    #[test]
    fn base64_bodies_are_decoded() {
        let m = map(r#"{"statusCode":200,"body":"AAEC","isBase64Encoded":true}"#);
        assert_eq!(&m.body[..], &[0, 1, 2]);
        assert!(map_buffered(br#"{"statusCode":200,"body":"%%","isBase64Encoded":true}"#).is_err());
    }

    #[test]
    fn other_results() {
        let m = map(r#"{"hello": "world"}"#);
        assert_eq!(
            (m.status, &m.body[..]),
            (StatusCode::OK, &b"{\"hello\":\"world\"}"[..])
        );
        assert_eq!(m.headers["content-type"], "application/json");
        assert_eq!(map(r#""hello""#).body, "hello");
        assert_eq!(map("3.1").body, "3.1");
        assert_eq!(map("true").body, "true");
        assert_eq!(map(r#"["hello", 3, true]"#).body, r#"["hello",3,true]"#);
        assert_eq!(map("null").body, "null");
        assert!(map_buffered(b"not json").is_err());
        assert!(map_buffered(br#"{"statusCode":"abc"}"#).is_err());
        assert!(map_buffered(br#"{"statusCode":99}"#).is_err());
    }

    #[test]
    fn prelude() {
        let m = map_prelude(
            br#"{"statusCode":202,"headers":{"content-type":"text/plain"},"cookies":["c=1"]}"#,
        )
        .unwrap();
        assert_eq!(m.status, 202);
        assert_eq!(m.headers["content-type"], "text/plain");
        assert_eq!(m.headers["set-cookie"], "c=1");
        assert_eq!(map_prelude(b"{}").unwrap().status, 200);
        assert!(map_prelude(b"[1]").is_err());
        let mut buf = br#"{"statusCode":200}"#.to_vec();
        buf.extend_from_slice(&[0; 8]);
        buf.extend_from_slice(b"body");
        assert_eq!(find_prelude_end(&buf), Some(18));
    }
}
