//! CORS as Function URLs do it when `Cors` is configured: preflights are answered by Lambda
//! (the function is not invoked), and CORS headers are appended to actual responses, even when
//! the function sent its own, with `Vary: Origin`.

use http::{HeaderMap, HeaderValue, Method};
use stratus_model::Cors;

/// Is this a CORS preflight (OPTIONS with `Origin` and `Access-Control-Request-Method`)?
pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS
        && headers.contains_key(http::header::ORIGIN)
        && headers.contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The `Access-Control-Allow-Origin` value for `origin`, if it is allowed.
fn allowed_origin(cors: &Cors, origin: &str) -> Option<String> {
    if cors.allow_origins.iter().any(|o| o == origin) {
        Some(origin.to_string())
    } else if cors.allow_origins.iter().any(|o| o == "*") {
        // A credentialed request cannot use the wildcard: echo the origin instead.
        Some(if cors.allow_credentials {
            origin.to_string()
        } else {
            "*".to_string()
        })
    } else {
        None
    }
}

fn put(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.append(name, v);
    }
}

/// Headers of the answer to a preflight. Lists are comma-joined without spaces.
pub fn preflight_headers(cors: &Cors, request: &HeaderMap) -> HeaderMap {
    let mut h = HeaderMap::new();
    put(&mut h, "vary", "Origin");
    let origin = request
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(allow_origin) = allowed_origin(cors, origin) else {
        return h;
    };
    put(&mut h, "access-control-allow-origin", &allow_origin);
    if !cors.allow_headers.is_empty() {
        put(
            &mut h,
            "access-control-allow-headers",
            &cors.allow_headers.join(","),
        );
    }
    if !cors.allow_methods.is_empty() {
        put(
            &mut h,
            "access-control-allow-methods",
            &cors.allow_methods.join(","),
        );
    }
    if cors.allow_credentials {
        put(&mut h, "access-control-allow-credentials", "true");
    }
    if let Some(age) = cors.max_age {
        put(&mut h, "access-control-max-age", &age.to_string());
    }
    h
}

/// Appends CORS headers to an actual response.
pub fn add_response_headers(cors: &Cors, request: &HeaderMap, response: &mut HeaderMap) {
    put(response, "vary", "Origin");
    let Some(origin) = request
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    let Some(allow_origin) = allowed_origin(cors, origin) else {
        return;
    };
    put(response, "access-control-allow-origin", &allow_origin);
    if cors.allow_credentials {
        put(response, "access-control-allow-credentials", "true");
    }
    if !cors.expose_headers.is_empty() {
        put(
            response,
            "access-control-expose-headers",
            &cors.expose_headers.join(","),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors() -> Cors {
        Cors {
            allow_origins: vec!["https://localhost:8080".into()],
            allow_methods: vec!["GET".into(), "POST".into()],
            allow_headers: vec!["authorization".into(), "content-type".into()],
            allow_credentials: true,
            expose_headers: vec!["x-id".into()],
            max_age: Some(300),
        }
    }

    fn req(origin: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("origin", HeaderValue::from_str(origin).unwrap());
        h.insert(
            "access-control-request-method",
            HeaderValue::from_static("POST"),
        );
        h
    }

    #[test]
    fn urls_configuration_cors_preflight() {
        assert!(is_preflight(&Method::OPTIONS, &req("https://a")));
        assert!(!is_preflight(&Method::GET, &req("https://a")));
        let h = preflight_headers(&cors(), &req("https://localhost:8080"));
        assert_eq!(h["access-control-allow-origin"], "https://localhost:8080");
        assert_eq!(h["access-control-allow-methods"], "GET,POST");
        assert_eq!(
            h["access-control-allow-headers"],
            "authorization,content-type"
        );
        assert_eq!(h["access-control-allow-credentials"], "true");
        assert_eq!(h["access-control-max-age"], "300");
        assert_eq!(h["vary"], "Origin");
        let other = preflight_headers(&cors(), &req("https://evil"));
        assert!(other.get("access-control-allow-origin").is_none());
    }

    #[test]
    fn actual_response_headers_are_appended() {
        let mut resp = HeaderMap::new();
        resp.insert("access-control-allow-origin", HeaderValue::from_static("*"));
        add_response_headers(&cors(), &req("https://localhost:8080"), &mut resp);
        let origins: Vec<_> = resp.get_all("access-control-allow-origin").iter().collect();
        assert_eq!(origins, ["*", "https://localhost:8080"]);
        assert_eq!(resp["access-control-expose-headers"], "x-id");
        let star = Cors {
            allow_origins: vec!["*".into()],
            ..Default::default()
        };
        let mut r = HeaderMap::new();
        add_response_headers(&star, &req("https://x"), &mut r);
        assert_eq!(r["access-control-allow-origin"], "*");
    }
}
