//! Response headers policies on viewer responses: spec §6 (the five blocks, `Override`,
//! remove-then-add, CORS only on CORS requests, Server-Timing) and the managed policies.
//!
//! [`apply`] runs on every response of a behavior with a `ResponseHeadersPolicyId`, hits,
//! misses and CloudFront's own generated responses alike. It is pure apart from the `Date`
//! CloudFront re-emits when a policy removes the origin's; the Server-Timing sample is a draw
//! the caller makes, so tests pin it.
//!
//! This module must not touch caching: headers a policy adds reach the viewer only
//! (CloudFront: "caching headers added by a policy affect the viewer only, not the TTL").

use std::time::SystemTime;

use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, CONNECTION, CONTENT_ENCODING,
    CONTENT_LENGTH, CONTENT_SECURITY_POLICY, DATE, ORIGIN, PRAGMA, REFERRER_POLICY, SERVER,
    STRICT_TRANSPORT_SECURITY, TRANSFER_ENCODING, VARY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
    X_XSS_PROTECTION,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use stratus_model::cloudfront::policies::{
    CorsConfig, CorsMethod, CustomHeadersConfig, RemoveHeadersConfig, ResponseHeadersPolicyConfig,
    SecurityHeadersConfig, ServerTimingHeadersConfig,
};

#[cfg(test)]
mod tests;

/// `Server-Timing`, not among `http`'s constants.
const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

/// `Access-Control-Allow-Methods` for `ALL`, in the order the managed CORS-With-Preflight
/// policy lists them.
const ALL_METHODS: &str = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT";

/// The CloudFront layer that answered or went upstream: Stratus has one, the edge.
const LAYER: &str = "EDGE";

/// What [`apply`] needs to know about the viewer's request.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// The viewer's method.
    pub method: &'a Method,
    /// The viewer's `Origin`; `None` when absent or empty. Its presence makes a CORS request.
    pub origin: Option<&'a str>,
    /// The viewer's `Access-Control-Request-Method`.
    pub access_control_request_method: Option<&'a str>,
    /// The viewer's `Access-Control-Request-Headers`.
    pub access_control_request_headers: Option<&'a str>,
    /// The viewer sent `Pragma: server-timing`, which forces `Server-Timing` whatever the
    /// sampling rate.
    pub pragma_server_timing: bool,
}

impl<'a> RequestFacts<'a> {
    /// The facts from the viewer's method and headers. Header values that are not visible
    /// ASCII count as absent.
    pub fn from_headers(method: &'a Method, headers: &'a HeaderMap) -> Self {
        let text = |name: &HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let pragma_server_timing = headers
            .get_all(PRAGMA)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|d| d.trim().eq_ignore_ascii_case("server-timing"));
        Self {
            method,
            origin: text(&ORIGIN),
            access_control_request_method: text(&ACCESS_CONTROL_REQUEST_METHOD),
            access_control_request_headers: text(&ACCESS_CONTROL_REQUEST_HEADERS),
            pragma_server_timing,
        }
    }
}

/// How the cache answered, as the first `Server-Timing` metric names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheTiming {
    /// Served from the cache (`X-Cache: Hit from cloudfront`).
    Hit,
    /// Served from the cache after a 304 from the origin (`RefreshHit from cloudfront`).
    Refresh,
    /// Fetched from the origin, or generated (`Miss`, `Error`, generated responses).
    Miss,
}

impl CacheTiming {
    /// The metric name: `cdn-cache-hit`, `cdn-cache-refresh`, `cdn-cache-miss`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "cdn-cache-hit",
            Self::Refresh => "cdn-cache-refresh",
            Self::Miss => "cdn-cache-miss",
        }
    }
}

/// The measurements behind `Server-Timing`, and the draw that samples it.
#[derive(Debug, Clone, Copy)]
pub struct ServerTiming<'a> {
    /// How the cache answered.
    pub cache: CacheTiming,
    /// `cdn-pop`: the edge's `X-Amz-Cf-Pop` (`LHR50-P1`).
    pub pop: &'a str,
    /// `cdn-rid`: the request id (`X-Amz-Cf-Id`).
    pub request_id: &'a str,
    /// `cdn-upstream-connect`, milliseconds to connect to the origin; `None` when the response
    /// did not go upstream. A reused connection is 0.
    pub upstream_connect_ms: Option<u64>,
    /// `cdn-upstream-fbl`, milliseconds from the origin request to its first byte; `None`
    /// when the response did not go upstream.
    pub upstream_first_byte_ms: Option<u64>,
    /// `cdn-downstream-fbl`, milliseconds from the viewer's request to the first byte sent.
    pub downstream_first_byte_ms: u64,
    /// A uniform draw in `[0, 1)` made for this request (`rand::random::<f64>()`); the
    /// response is sampled when `draw * 100 < SamplingRate`.
    pub sample: f64,
}

/// Whether this is a CORS preflight: `OPTIONS` with both `Origin` and
/// `Access-Control-Request-Method` (⚠ spec §6: the trigger is inferred from the docs).
pub fn is_preflight(request: &RequestFacts<'_>) -> bool {
    request.method == Method::OPTIONS
        && request.origin.is_some()
        && request.access_control_request_method.is_some()
}

/// Whether a response carries `Server-Timing`: the block is enabled and either the viewer
/// sent `Pragma: server-timing` or `draw` (uniform in `[0, 1)`) falls under `SamplingRate`
/// percent. An absent `SamplingRate` samples nothing, leaving only the `Pragma` trigger.
pub fn server_timing_sampled(
    config: &ServerTimingHeadersConfig,
    pragma_server_timing: bool,
    draw: f64,
) -> bool {
    if !config.enabled {
        return false;
    }
    if pragma_server_timing {
        return true;
    }
    let rate = config.sampling_rate.unwrap_or(0.0);
    draw * 100.0 < rate
}

/// Applies a response headers policy to a viewer response (spec §6): the policy's removals
/// first, then CORS headers (CORS requests only), security headers, custom headers and
/// `Server-Timing` (when `timing` is given and sampled). Each added header follows its
/// block's `Override`: `true` replaces the origin's value, `false` keeps the origin's when
/// present; a header the response lacks is added either way.
///
/// A removed `Server` or `Date` that nothing re-adds comes back as CloudFront's own
/// (`Server: CloudFront`, the current date).
pub fn apply(
    policy: &ResponseHeadersPolicyConfig,
    request: &RequestFacts<'_>,
    response: &mut HeaderMap,
    timing: Option<&ServerTiming<'_>>,
) {
    let removed = policy
        .remove_headers_config
        .as_ref()
        .map(|r| remove(r, response))
        .unwrap_or_default();
    if let (Some(cors), Some(origin)) = (&policy.cors_config, request.origin) {
        apply_cors(cors, origin, request, response);
    }
    if let Some(security) = &policy.security_headers_config {
        apply_security(security, response);
    }
    if let Some(custom) = &policy.custom_headers_config {
        apply_custom(custom, response);
    }
    if let (Some(config), Some(timing)) = (&policy.server_timing_headers_config, timing) {
        if server_timing_sampled(config, request.pragma_server_timing, timing.sample) {
            add_server_timing(timing, response);
        }
    }
    // CloudFront: removing `Server` or `Date` makes CloudFront emit its own.
    if removed.server && !response.contains_key(SERVER) {
        response.insert(SERVER, HeaderValue::from_static("CloudFront"));
    }
    if removed.date && !response.contains_key(DATE) {
        if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::now())) {
            response.insert(DATE, v);
        }
    }
}

/// Which of the headers CloudFront re-emits a removal took away.
#[derive(Debug, Default, Clone, Copy)]
struct Removed {
    server: bool,
    date: bool,
}

/// `RemoveHeadersConfig`. Validation refuses the headers CloudFront owns; the framing ones are
/// skipped here too, so an unvalidated policy cannot break the response on the wire.
fn remove(config: &RemoveHeadersConfig, response: &mut HeaderMap) -> Removed {
    let mut removed = Removed::default();
    for item in config.items.iter() {
        let Ok(name) = HeaderName::from_bytes(item.header.trim().as_bytes()) else {
            continue;
        };
        if [
            CONNECTION,
            CONTENT_ENCODING,
            CONTENT_LENGTH,
            TRANSFER_ENCODING,
        ]
        .contains(&name)
        {
            continue;
        }
        if response.remove(&name).is_some() {
            removed.server |= name == SERVER;
            removed.date |= name == DATE;
        }
    }
    removed
}

/// Sets `name` unless `override_` is false and the response already has it.
fn set(response: &mut HeaderMap, name: HeaderName, value: HeaderValue, override_: bool) {
    if override_ || !response.contains_key(&name) {
        response.insert(name, value);
    }
}

/// [`set`] for a text value; a value that is not a valid header value is skipped.
fn set_str(response: &mut HeaderMap, name: HeaderName, value: &str, override_: bool) {
    if let Ok(v) = HeaderValue::from_str(value) {
        set(response, name, v, override_);
    }
}

// ---------------------------------------------------------------------------------------------
// CORS
// ---------------------------------------------------------------------------------------------

/// What `Access-Control-Allow-Origin` says for a viewer origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AllowOrigin {
    /// `*`.
    Any,
    /// The viewer's origin, echoed.
    Echo,
}

/// `CorsConfig` for a CORS request (the viewer sent `Origin`). An origin the list does not
/// allow gets no CORS headers at all.
fn apply_cors(
    cors: &CorsConfig,
    origin: &str,
    request: &RequestFacts<'_>,
    response: &mut HeaderMap,
) {
    let Some(allow) = allow_origin(cors, origin) else {
        return;
    };
    let over = cors.origin_override;
    let had_allow_origin = response.contains_key(ACCESS_CONTROL_ALLOW_ORIGIN);
    match allow {
        AllowOrigin::Any => set_str(response, ACCESS_CONTROL_ALLOW_ORIGIN, "*", over),
        AllowOrigin::Echo => {
            set_str(response, ACCESS_CONTROL_ALLOW_ORIGIN, origin, over);
            // The echoed value depends on `Origin`: downstream caches must key on it. Only
            // when the policy's value is the one the viewer gets.
            if over || !had_allow_origin {
                add_vary_origin(response);
            }
        }
    }
    if cors.access_control_allow_credentials {
        set_str(response, ACCESS_CONTROL_ALLOW_CREDENTIALS, "true", over);
    }
    if !cors.access_control_expose_headers.is_empty() {
        let value = cors.access_control_expose_headers.join(", ");
        set_str(response, ACCESS_CONTROL_EXPOSE_HEADERS, &value, over);
    }
    // CloudFront: Allow-Methods, Allow-Headers and Max-Age go on preflight responses only.
    if !is_preflight(request) {
        return;
    }
    if let Some(methods) = allow_methods(&cors.access_control_allow_methods) {
        set_str(response, ACCESS_CONTROL_ALLOW_METHODS, &methods, over);
    }
    let headers = &cors.access_control_allow_headers;
    if !headers.is_empty() {
        // With credentials a browser reads `*` literally, so the requested headers are echoed.
        let value = match request.access_control_request_headers {
            Some(requested)
                if cors.access_control_allow_credentials && headers.iter().any(|h| h == "*") =>
            {
                requested.to_owned()
            }
            _ => headers.join(", "),
        };
        set_str(response, ACCESS_CONTROL_ALLOW_HEADERS, &value, over);
    }
    if let Some(age) = cors.access_control_max_age_sec {
        set_str(response, ACCESS_CONTROL_MAX_AGE, &age.to_string(), over);
    }
}

/// The `Access-Control-Allow-Origin` answer for `origin`, or `None` when the list does not
/// allow it. `*` allows every origin; with credentials it echoes the origin, since browsers
/// refuse `*` on credentialed requests.
fn allow_origin(cors: &CorsConfig, origin: &str) -> Option<AllowOrigin> {
    let list = &cors.access_control_allow_origins;
    if list.iter().any(|o| o.trim() == "*") {
        return Some(if cors.access_control_allow_credentials {
            AllowOrigin::Echo
        } else {
            AllowOrigin::Any
        });
    }
    list.iter()
        .any(|pattern| origin_matches(pattern.trim(), origin))
        .then_some(AllowOrigin::Echo)
}

/// Whether a viewer `Origin` (`scheme://host[:port]`) matches one entry of
/// `AccessControlAllowOrigins`. Comparison is ASCII case-insensitive. An entry without a scheme
/// (`*.example.org`, `example.org`) matches any scheme. `*` as the leftmost label stands for one
/// or more labels: `https://*.example.org` matches `https://a.example.org` and
/// `https://a.b.example.org`, not `https://example.org`.
pub fn origin_matches(pattern: &str, origin: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let (pattern_scheme, pattern_rest) = split_scheme(pattern);
    let (origin_scheme, origin_rest) = split_scheme(origin);
    if let Some(ps) = pattern_scheme {
        if !origin_scheme.is_some_and(|os| os.eq_ignore_ascii_case(ps)) {
            return false;
        }
    }
    match pattern_rest.strip_prefix("*.") {
        Some(suffix) => {
            // One or more labels, then the suffix: `a.example.org` for `*.example.org`.
            let (o, s) = (origin_rest.as_bytes(), suffix.as_bytes());
            o.len() > s.len() + 1
                && o[o.len() - s.len()..].eq_ignore_ascii_case(s)
                && o[o.len() - s.len() - 1] == b'.'
                && o[0] != b'.'
        }
        None => origin_rest.eq_ignore_ascii_case(pattern_rest),
    }
}

/// `(scheme, rest)` of `scheme://rest`; `(None, whole)` without `://`.
fn split_scheme(s: &str) -> (Option<&str>, &str) {
    match s.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, s),
    }
}

/// `Access-Control-Allow-Methods`: the configured methods in order, `ALL` as every method.
fn allow_methods(methods: &[CorsMethod]) -> Option<String> {
    if methods.is_empty() {
        return None;
    }
    if methods.contains(&CorsMethod::All) {
        return Some(ALL_METHODS.to_owned());
    }
    let mut seen: Vec<&str> = Vec::with_capacity(methods.len());
    for m in methods {
        if !seen.contains(&m.as_str()) {
            seen.push(m.as_str());
        }
    }
    Some(seen.join(", "))
}

/// Adds `Origin` to `Vary`, folding the response's `Vary` values into one. `Vary: *` already
/// covers it.
fn add_vary_origin(response: &mut HeaderMap) {
    let mut tokens: Vec<String> = response
        .get_all(VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if tokens
        .iter()
        .any(|t| t == "*" || t.eq_ignore_ascii_case("origin"))
    {
        return;
    }
    tokens.push("Origin".to_owned());
    if let Ok(v) = HeaderValue::from_str(&tokens.join(", ")) {
        response.insert(VARY, v);
    }
}

// ---------------------------------------------------------------------------------------------
// Security, custom headers
// ---------------------------------------------------------------------------------------------

/// `SecurityHeadersConfig`: one header per block present.
fn apply_security(security: &SecurityHeadersConfig, response: &mut HeaderMap) {
    if let Some(hsts) = &security.strict_transport_security {
        let mut value = format!("max-age={}", hsts.access_control_max_age_sec);
        if hsts.include_subdomains {
            value.push_str("; includeSubDomains");
        }
        if hsts.preload {
            value.push_str("; preload");
        }
        set_str(response, STRICT_TRANSPORT_SECURITY, &value, hsts.r#override);
    }
    if let Some(cto) = &security.content_type_options {
        let value = HeaderValue::from_static("nosniff");
        set(response, X_CONTENT_TYPE_OPTIONS, value, cto.r#override);
    }
    if let Some(frame) = &security.frame_options {
        let value = HeaderValue::from_static(frame.frame_option.as_str());
        set(response, X_FRAME_OPTIONS, value, frame.r#override);
    }
    if let Some(referrer) = &security.referrer_policy {
        let value = HeaderValue::from_static(referrer.referrer_policy.as_str());
        set(response, REFERRER_POLICY, value, referrer.r#override);
    }
    if let Some(xss) = &security.xss_protection {
        // `0` disables the filter; ModeBlock and ReportUri only qualify `1`.
        let value = match (xss.protection, xss.mode_block, &xss.report_uri) {
            (false, _, _) => "0".to_owned(),
            (true, true, _) => "1; mode=block".to_owned(),
            (true, false, Some(uri)) => format!("1; report={uri}"),
            (true, false, None) => "1".to_owned(),
        };
        set_str(response, X_XSS_PROTECTION, &value, xss.r#override);
    }
    if let Some(csp) = &security.content_security_policy {
        set_str(
            response,
            CONTENT_SECURITY_POLICY,
            &csp.content_security_policy,
            csp.r#override,
        );
    }
}

/// `CustomHeadersConfig`. A name or value that is not a valid header is skipped.
fn apply_custom(custom: &CustomHeadersConfig, response: &mut HeaderMap) {
    for h in custom.items.iter() {
        let Ok(name) = HeaderName::from_bytes(h.header.trim().as_bytes()) else {
            continue;
        };
        set_str(response, name, &h.value, h.r#override);
    }
}

// ---------------------------------------------------------------------------------------------
// Server-Timing
// ---------------------------------------------------------------------------------------------

/// The `Server-Timing` metrics CloudFront adds, comma-separated without spaces as CloudFront
/// writes them: the upstream metrics when the response went upstream, then the cache outcome,
/// `cdn-pop`, `cdn-rid`, `cdn-hit-layer` on (refresh) hits and `cdn-downstream-fbl`.
pub fn server_timing_value(timing: &ServerTiming<'_>) -> String {
    let mut metrics: Vec<String> = Vec::with_capacity(9);
    if timing.upstream_connect_ms.is_some() || timing.upstream_first_byte_ms.is_some() {
        metrics.push(format!("cdn-upstream-layer;desc=\"{LAYER}\""));
        // Stratus resolves nothing per request: the origin's address is known.
        metrics.push("cdn-upstream-dns;dur=0".to_owned());
        if let Some(ms) = timing.upstream_connect_ms {
            metrics.push(format!("cdn-upstream-connect;dur={ms}"));
        }
        if let Some(ms) = timing.upstream_first_byte_ms {
            metrics.push(format!("cdn-upstream-fbl;dur={ms}"));
        }
    }
    metrics.push(timing.cache.as_str().to_owned());
    metrics.push(format!("cdn-pop;desc={}", quoted(timing.pop)));
    metrics.push(format!("cdn-rid;desc={}", quoted(timing.request_id)));
    if timing.cache != CacheTiming::Miss {
        metrics.push(format!("cdn-hit-layer;desc=\"{LAYER}\""));
    }
    metrics.push(format!(
        "cdn-downstream-fbl;dur={}",
        timing.downstream_first_byte_ms
    ));
    metrics.join(",")
}

/// A `Server-Timing` quoted-string.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Adds CloudFront's metrics after the response's own `Server-Timing` metrics, in one header.
fn add_server_timing(timing: &ServerTiming<'_>, response: &mut HeaderMap) {
    let mut parts: Vec<String> = response
        .get_all(SERVER_TIMING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    parts.push(server_timing_value(timing));
    if let Ok(v) = HeaderValue::from_str(&parts.join(", ")) {
        response.insert(SERVER_TIMING, v);
    }
}
