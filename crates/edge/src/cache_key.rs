//! The cache key: what CloudFront looks a request up by.
//!
//! [`CacheKeyParts::new`] takes a cache policy, the distribution's own domain name and the
//! [`ViewerRequest`], and returns the key's parts. [`CacheKeyParts::hash_input`] serialises them
//! canonically for the proxy to hash into pingora's `CacheKey`; [`CacheKeyParts::diff`] names the
//! first part in which two keys differ (a debugging aid). The rules (spec §4, "Cache key
//! composition and normalization"; CloudFront Developer Guide, "Understand the cache key"):
//!
//! - **Primary**: the distribution's own domain name (`d111111abcdef8.cloudfront.net`, never the
//!   alias, compared case-insensitively) + the URL path (case-sensitive). OPTIONS requests add
//!   the method; GET and HEAD share an entry. The scheme is never part of the key.
//! - **Query strings** (`none | whitelist | allExcept | all`): parameters in request order,
//!   `&`-delimited, names and values case-sensitive. CloudFront does not sort them: `?a=1&b=2`
//!   and `?b=2&a=1` are two entries.
//! - **Headers** (`none | whitelist`): the listed headers' values. Names are case-insensitive,
//!   values case-sensitive, header order irrelevant (the key keeps them sorted by name).
//!   `CloudFront-*` names the edge generates (country, device…) take CloudFront's value, never
//!   the viewer's.
//! - **Cookies** (`none | whitelist | allExcept | all`): well-formed `name=value` pairs only,
//!   names and values case-sensitive, sorted by name.
//! - **Accept-Encoding**, normalised when the policy enables Gzip and/or Brotli: see
//!   [`AcceptEncoding`].
//!
//! Everything that reaches the key also reaches the origin (the origin request module forwards
//! the same selections), so a value dropped here — a malformed cookie, say — is dropped there
//! too, and two requests that share a key can never get different answers for it.

use std::fmt;
use std::net::SocketAddr;

use http::{header, HeaderMap, HeaderName, HeaderValue, Method, Version};
use stratus_model::cloudfront::policies::{
    CachePolicyConfig, CachePolicyHeaderBehavior, CookieBehavior, CookiesConfig,
    QueryStringBehavior, QueryStringsConfig,
};

use crate::origin_request::CloudFrontHeader;

#[cfg(test)]
mod tests;

/// The scheme the viewer used to reach the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewerScheme {
    /// `http`.
    Http,
    /// `https`.
    Https,
}

impl ViewerScheme {
    /// The scheme as CloudFront writes it (`CloudFront-Forwarded-Proto`, logs).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// The viewer request as CloudFront sees it when it builds the cache key and the origin
/// request: after viewer-request functions ran.
///
/// For HTTP/2 and HTTP/3 viewers the proxy must put the `:authority` into `headers` as `Host`
/// (the `http` crate keeps it in the URI), or a policy forwarding or keying on `Host` finds none.
#[derive(Debug, Clone, Copy)]
pub struct ViewerRequest<'a> {
    /// The request method.
    pub method: &'a Method,
    /// The URL path as received (still percent-encoded), e.g. `/a/b.html`.
    pub path: &'a str,
    /// The raw query string without the `?`; `None` or `Some("")` when there is none.
    pub query: Option<&'a str>,
    /// The viewer's headers.
    pub headers: &'a HeaderMap,
    /// The viewer's address: the TCP peer of the edge connection.
    pub peer: SocketAddr,
    /// `http` or `https`.
    pub scheme: ViewerScheme,
    /// The viewer's HTTP version.
    pub version: Version,
    /// The viewer's country (ISO 3166-1 alpha-2), when a geo lookup knows it.
    pub country: Option<&'a str>,
}

/// The normalised `Accept-Encoding` (spec §4, "Cache key composition and normalization"; API
/// Reference, `ParametersInCacheKeyAndForwardedToOrigin.EnableAcceptEncodingGzip`):
///
/// | Policy        | Viewer `Accept-Encoding`          | Key and origin request get          |
/// |---------------|-----------------------------------|-------------------------------------|
/// | gzip + br     | both `gzip` and `br`              | `br,gzip`                           |
/// | gzip + br     | only one of them                  | `gzip` or `br`                      |
/// | gzip only     | `gzip` (with or without `br`)     | `gzip`                              |
/// | br only       | `br`                              | `br`                                |
/// | any enabled   | present, no enabled coding        | not in key; origin gets `identity`  |
/// | any enabled   | absent                            | not in key, not sent                |
/// | both disabled | —                                 | an ordinary header                  |
///
/// Other codings (`deflate`, `zstd`, `*`) and q-values are dropped. A coding with `q=0` is
/// refused by the viewer (RFC 9110 §12.5.3) and does not count. CloudFront removes the
/// `Accept-Encoding` of HTTP/1.0 (and 0.9) requests, so for them it counts as absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AcceptEncoding {
    /// Both flags are off: `Accept-Encoding` is an ordinary header, in the key or forwarded only
    /// when a policy lists it.
    NotNormalized,
    /// No `Accept-Encoding` (or an HTTP/1.0 viewer): not in the key, not sent to the origin.
    Absent,
    /// Present but naming no enabled coding: not in the key; the origin gets `identity`.
    Identity,
    /// `gzip`.
    Gzip,
    /// `br`.
    Brotli,
    /// `br,gzip`.
    BrotliGzip,
}

impl AcceptEncoding {
    /// Normalises the viewer's `Accept-Encoding` header lines under a cache policy's
    /// `EnableAcceptEncodingGzip` / `EnableAcceptEncodingBrotli`.
    pub fn normalize(gzip: bool, brotli: bool, headers: &HeaderMap, version: Version) -> Self {
        if !gzip && !brotli {
            return Self::NotNormalized;
        }
        // CloudFront: "If a request to CloudFront uses HTTP 1.0, CloudFront removes the
        // Accept-Encoding header".
        if version == Version::HTTP_10 || version == Version::HTTP_09 {
            return Self::Absent;
        }
        let mut present = false;
        let (mut viewer_gzip, mut viewer_br) = (false, false);
        for line in headers.get_all(header::ACCEPT_ENCODING) {
            present = true;
            for item in line.as_bytes().split(|&b| b == b',') {
                let mut params = item.split(|&b| b == b';');
                let coding = params.next().unwrap_or_default().trim_ascii();
                if params.any(is_q_zero) {
                    continue;
                }
                if coding.eq_ignore_ascii_case(b"gzip") {
                    viewer_gzip = true;
                } else if coding.eq_ignore_ascii_case(b"br") {
                    viewer_br = true;
                }
            }
        }
        if !present {
            return Self::Absent;
        }
        match (gzip && viewer_gzip, brotli && viewer_br) {
            (true, true) => Self::BrotliGzip,
            (true, false) => Self::Gzip,
            (false, true) => Self::Brotli,
            (false, false) => Self::Identity,
        }
    }

    /// Stable name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotNormalized => "not-normalized",
            Self::Absent => "absent",
            Self::Identity => "identity",
            Self::Gzip => "gzip",
            Self::Brotli => "br",
            Self::BrotliGzip => "br,gzip",
        }
    }

    /// Whether the flags are on, so the viewer's header is replaced by this value.
    pub fn is_normalized(self) -> bool {
        self != Self::NotNormalized
    }

    /// The value that goes into the cache key, if any.
    pub fn key_value(self) -> Option<&'static str> {
        match self {
            Self::Gzip => Some("gzip"),
            Self::Brotli => Some("br"),
            Self::BrotliGzip => Some("br,gzip"),
            Self::NotNormalized | Self::Absent | Self::Identity => None,
        }
    }

    /// The `Accept-Encoding` CloudFront sends to the origin, if it writes one itself.
    /// `NotNormalized` answers `None`: the viewer's header is then forwarded only by policy.
    pub fn origin_value(self) -> Option<&'static str> {
        match self {
            Self::Identity => Some("identity"),
            other => other.key_value(),
        }
    }
}

/// `q=0` (or `q=0.000`): the coding is not acceptable.
fn is_q_zero(param: &[u8]) -> bool {
    let param = param.trim_ascii();
    let Some(value) = param
        .strip_prefix(b"q=")
        .or_else(|| param.strip_prefix(b"Q="))
    else {
        return false;
    };
    let value = value.trim_ascii();
    value.first() == Some(&b'0') && value.iter().all(|&b| b == b'0' || b == b'.')
}

/// One query string parameter: `name`, or `name=value` (split at the first `=`). Both are
/// kept as received, percent-encoding and all.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueryParam {
    /// The name, case-sensitive.
    pub name: String,
    /// The value; `None` for a bare `name` (which differs from `name=`).
    pub value: Option<String>,
}

impl fmt::Display for QueryParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(v) = &self.value {
            write!(f, "={v}")?;
        }
        Ok(())
    }
}

/// The parameters of a raw query string in request order, split on `&` (CloudFront's only
/// delimiter). Empty segments (`a=1&&b=2`, a trailing `&`) are skipped.
pub(crate) fn query_params(raw: Option<&str>) -> impl Iterator<Item = (&str, Option<&str>)> {
    raw.unwrap_or_default()
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| match segment.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (segment, None),
        })
}

/// Whether a query string config selects the parameter `name` (CloudFront: names are
/// case-sensitive).
pub(crate) fn query_selected(config: &QueryStringsConfig, name: &str) -> bool {
    let listed = || config.query_strings.iter().any(|n| n == name);
    match config.query_string_behavior {
        QueryStringBehavior::None => false,
        QueryStringBehavior::Whitelist => listed(),
        QueryStringBehavior::AllExcept => !listed(),
        QueryStringBehavior::All => true,
    }
}

/// Whether a cookie config selects the cookie `name` (CloudFront: names are case-sensitive).
/// A listed name with `*` or `?` is a wildcard, as legacy `WhitelistedNames` are (`?` cannot
/// stand in a cookie name, and `*` in one is practically unheard of).
pub(crate) fn cookie_selected(config: &CookiesConfig, name: &str) -> bool {
    let listed = || {
        config.cookies.iter().any(|n| {
            if n.contains(['*', '?']) {
                crate::pattern::wildcard_match(n, name)
            } else {
                n == name
            }
        })
    };
    match config.cookie_behavior {
        CookieBehavior::None => false,
        CookieBehavior::Whitelist => listed(),
        CookieBehavior::AllExcept => !listed(),
        CookieBehavior::All => true,
    }
}

/// One cookie from the viewer's `Cookie` header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cookie {
    /// The name, case-sensitive.
    pub name: String,
    /// The value as sent (quotes included), case-sensitive; may be empty.
    pub value: String,
}

impl fmt::Display for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.value)
    }
}

/// The well-formed cookies of every `Cookie` header line, in request order (HTTP/2 viewers
/// may send one line per cookie).
///
/// CloudFront forwards only a standard `name=value; name2=value2` header. Here a pair is kept
/// when its name is a non-empty RFC 9110 token and the pair is valid UTF-8; anything else
/// (`novalue`, `=x`, `a b=1`) is skipped — from the key and from the origin request alike.
pub(crate) fn parse_cookies(headers: &HeaderMap) -> Vec<Cookie> {
    let mut cookies = Vec::new();
    for line in headers.get_all(header::COOKIE) {
        for pair in line.as_bytes().split(|&b| b == b';') {
            let Ok(pair) = std::str::from_utf8(pair.trim_ascii()) else {
                continue;
            };
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            if name.is_empty() || !name.bytes().all(is_tchar) {
                continue;
            }
            cookies.push(Cookie {
                name: name.to_owned(),
                value: value.to_owned(),
            });
        }
    }
    cookies
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Sorts cookies by name in byte order ("natural order"), keeping request order among cookies
/// of the same name.
pub(crate) fn sort_cookies(cookies: &mut [Cookie]) {
    cookies.sort_by(|a, b| a.name.cmp(&b.name));
}

/// Headers a cache policy cannot key on even when listed: the cookies have their own config,
/// and the rest are hop-by-hop (spec §7, "Cache-key header exclusions").
const NEVER_KEY_HEADERS: [&str; 8] = [
    "connection",
    "cookie",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

/// One header in the key: its name and every value the viewer sent for it, in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyHeader {
    /// The header name (lower case, as `http` stores it).
    pub name: HeaderName,
    /// The values, case-sensitive.
    pub values: Vec<HeaderValue>,
}

/// Which part of a cache key two keys differ in; see [`CacheKeyParts::diff`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPart {
    /// The domain, the path, or the method (OPTIONS).
    Primary,
    /// The query string parameters.
    Query,
    /// The values of this header (present in one key only, or different).
    Header(HeaderName),
    /// The cookies.
    Cookie,
    /// The normalised `Accept-Encoding`.
    AcceptEncoding,
}

impl KeyPart {
    /// Stable name for logs and metrics, without the header name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Query => "query",
            Self::Header(_) => "header",
            Self::Cookie => "cookie",
            Self::AcceptEncoding => "accept-encoding",
        }
    }
}

impl fmt::Display for KeyPart {
    /// `header:<name>` for a header, [`KeyPart::as_str`] otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header(name) => write!(f, "header:{name}"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// The parts of a request's cache key under one cache policy.
///
/// Two values are equal exactly when their [`hash_input`](Self::hash_input)s are: an
/// `Accept-Encoding` that is absent and one that names no enabled coding make the same key.
#[derive(Debug, Clone)]
pub struct CacheKeyParts {
    primary: String,
    query: Vec<QueryParam>,
    headers: Vec<KeyHeader>,
    cookies: Vec<Cookie>,
    accept_encoding: AcceptEncoding,
}

/// Version tag at the start of [`CacheKeyParts::hash_input`]; bump it when the layout changes
/// so old entries stop matching.
const HASH_INPUT_TAG: &[u8] = b"stratus-cache-key/1\n";

impl CacheKeyParts {
    /// Builds the cache key of `viewer` under `policy` for the distribution whose own domain
    /// name (`d111111abcdef8.cloudfront.net`, not an alias) is `distribution_domain`.
    pub fn new(
        policy: &CachePolicyConfig,
        distribution_domain: &str,
        viewer: &ViewerRequest<'_>,
    ) -> Self {
        let params = &policy.parameters_in_cache_key_and_forwarded_to_origin;

        // CloudFront: the default key is the distribution's domain name and the URL path; the
        // method is part of it for OPTIONS only (GET and HEAD share entries).
        let path = if viewer.path.is_empty() {
            "/"
        } else {
            viewer.path
        };
        let mut primary = String::with_capacity(distribution_domain.len() + path.len() + 8);
        if viewer.method == Method::OPTIONS {
            primary.push_str("OPTIONS ");
        }
        primary.push_str(&distribution_domain.to_ascii_lowercase());
        primary.push_str(path);

        // CloudFront: query parameters stay in request order; names and values are
        // case-sensitive.
        let query = query_params(viewer.query)
            .filter(|(name, _)| query_selected(&params.query_strings_config, name))
            .map(|(name, value)| QueryParam {
                name: name.to_owned(),
                value: value.map(str::to_owned),
            })
            .collect();

        let accept_encoding = AcceptEncoding::normalize(
            params.enable_accept_encoding_gzip,
            params.enable_accept_encoding_brotli,
            viewer.headers,
            viewer.version,
        );

        let headers = match params.headers_config.header_behavior {
            CachePolicyHeaderBehavior::None => Vec::new(),
            CachePolicyHeaderBehavior::Whitelist => key_headers(
                &params.headers_config.headers,
                viewer,
                accept_encoding.is_normalized(),
            ),
        };

        // CloudFront sorts the cookies it keys on and forwards by name.
        let mut cookies: Vec<Cookie> = parse_cookies(viewer.headers)
            .into_iter()
            .filter(|c| cookie_selected(&params.cookies_config, &c.name))
            .collect();
        sort_cookies(&mut cookies);

        Self {
            primary,
            query,
            headers,
            cookies,
            accept_encoding,
        }
    }

    /// The primary key text: `[OPTIONS ]<distribution domain><path>`.
    pub fn primary(&self) -> &str {
        &self.primary
    }

    /// The query string parameters in the key, in request order.
    pub fn query(&self) -> &[QueryParam] {
        &self.query
    }

    /// The query string parameters in the key, `&`-joined (empty when there are none).
    pub fn query_string(&self) -> String {
        join(&self.query, "&")
    }

    /// The headers in the key, sorted by name; a listed header the viewer did not send is
    /// absent (which differs from one sent with an empty value).
    pub fn headers(&self) -> &[KeyHeader] {
        &self.headers
    }

    /// The cookies in the key, sorted by name.
    pub fn cookies(&self) -> &[Cookie] {
        &self.cookies
    }

    /// The normalised `Accept-Encoding`; only [`AcceptEncoding::key_value`] is in the key.
    pub fn accept_encoding(&self) -> AcceptEncoding {
        self.accept_encoding
    }

    /// A canonical, unambiguous serialisation of the key for the proxy to hash.
    ///
    /// Layout: a version tag, then the primary text, the query parameters, the headers, the
    /// cookies and the encoding, each section under its own tag letter. Every variable field
    /// is written as `<decimal byte length>:<bytes>` and every list is preceded by its count,
    /// so no value can be mistaken for a separator: a header value containing `&`, `;`, `:` or
    /// a newline cannot make two different keys serialise alike.
    pub fn hash_input(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HASH_INPUT_TAG.len() + self.primary.len() + 64);
        out.extend_from_slice(HASH_INPUT_TAG);
        out.push(b'P');
        put_bytes(&mut out, self.primary.as_bytes());
        put_count(&mut out, b'Q', self.query.len());
        for q in &self.query {
            put_bytes(&mut out, q.name.as_bytes());
            match &q.value {
                Some(v) => {
                    out.push(b'=');
                    put_bytes(&mut out, v.as_bytes());
                }
                None => out.push(b'-'),
            }
        }
        put_count(&mut out, b'H', self.headers.len());
        for h in &self.headers {
            put_bytes(&mut out, h.name.as_str().as_bytes());
            put_count(&mut out, b'#', h.values.len());
            for v in &h.values {
                put_bytes(&mut out, v.as_bytes());
            }
        }
        put_count(&mut out, b'C', self.cookies.len());
        for c in &self.cookies {
            put_bytes(&mut out, c.name.as_bytes());
            put_bytes(&mut out, c.value.as_bytes());
        }
        match self.accept_encoding.key_value() {
            Some(v) => {
                out.push(b'E');
                put_bytes(&mut out, v.as_bytes());
            }
            None => out.push(b'-'),
        }
        out
    }

    /// The first part in which `self` and `other` differ (primary, query, each header in name
    /// order, cookies, encoding), or `None` when they are the same key. Meant for logs: "why
    /// was this a miss?".
    pub fn diff(&self, other: &Self) -> Option<KeyPart> {
        if self.primary != other.primary {
            return Some(KeyPart::Primary);
        }
        if self.query != other.query {
            return Some(KeyPart::Query);
        }
        let (mut a, mut b) = (
            self.headers.iter().peekable(),
            other.headers.iter().peekable(),
        );
        loop {
            match (a.peek(), b.peek()) {
                (None, None) => break,
                (Some(x), None) => return Some(KeyPart::Header(x.name.clone())),
                (None, Some(y)) => return Some(KeyPart::Header(y.name.clone())),
                (Some(x), Some(y)) => {
                    if x.name != y.name {
                        // The smaller name is missing from the other key.
                        let first = if x.name.as_str() < y.name.as_str() {
                            x
                        } else {
                            y
                        };
                        return Some(KeyPart::Header(first.name.clone()));
                    }
                    if x.values != y.values {
                        return Some(KeyPart::Header(x.name.clone()));
                    }
                    a.next();
                    b.next();
                }
            }
        }
        if self.cookies != other.cookies {
            return Some(KeyPart::Cookie);
        }
        if self.accept_encoding.key_value() != other.accept_encoding.key_value() {
            return Some(KeyPart::AcceptEncoding);
        }
        None
    }
}

impl PartialEq for CacheKeyParts {
    fn eq(&self, other: &Self) -> bool {
        self.diff(other).is_none()
    }
}

impl Eq for CacheKeyParts {}

/// The values of the listed headers, sorted by name and deduplicated.
fn key_headers(
    listed: &[String],
    viewer: &ViewerRequest<'_>,
    accept_encoding_normalized: bool,
) -> Vec<KeyHeader> {
    let mut names: Vec<HeaderName> = listed
        .iter()
        .filter_map(|n| HeaderName::from_bytes(n.as_bytes()).ok())
        .filter(|n| !NEVER_KEY_HEADERS.contains(&n.as_str()))
        // ⚠ Chosen: with Gzip or Brotli enabled the normalised value is the key's only
        // `Accept-Encoding`; a listed raw header would split the cache for nothing.
        .filter(|n| !(accept_encoding_normalized && n == header::ACCEPT_ENCODING))
        .collect();
    // CloudFront: header order is irrelevant and names are case-insensitive.
    names.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    names.dedup();

    names
        .into_iter()
        .filter_map(|name| {
            let values: Vec<HeaderValue> = match CloudFrontHeader::from_name(name.as_str()) {
                // CloudFront: a viewer-sent header of a generated name is overwritten.
                Some(generated) => generated.value(viewer).into_iter().collect(),
                None => viewer.headers.get_all(&name).iter().cloned().collect(),
            };
            (!values.is_empty()).then_some(KeyHeader { name, values })
        })
        .collect()
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(bytes.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(bytes);
}

fn put_count(out: &mut Vec<u8>, tag: u8, count: usize) {
    out.push(tag);
    out.extend_from_slice(count.to_string().as_bytes());
    out.push(b':');
}

/// `items` displayed and joined with `sep`.
pub(crate) fn join<T: fmt::Display>(items: &[T], sep: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(&item.to_string());
    }
    out
}
