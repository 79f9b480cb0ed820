//! Cache key rules, one test per rule of spec §4, "Cache key composition and normalization".

use std::net::SocketAddr;

use http::{HeaderMap, HeaderName, HeaderValue, Method, Version};
use stratus_model::cloudfront::policies::{
    cache_policy, CachePolicyConfig, CachePolicyHeaderBehavior, CookieBehavior, QueryStringBehavior,
};

use super::*;

const DOMAIN: &str = "d111111abcdef8.cloudfront.net";

/// A request's parts, owned, so tests can build a [`ViewerRequest`] from them.
struct Req {
    method: Method,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    version: Version,
    country: Option<String>,
}

fn get(path_and_query: &str) -> Req {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q.to_owned())),
        None => (path_and_query, None),
    };
    Req {
        method: Method::GET,
        path: path.to_owned(),
        query,
        headers: HeaderMap::new(),
        version: Version::HTTP_11,
        country: None,
    }
}

impl Req {
    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
        self
    }

    fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    fn viewer(&self) -> ViewerRequest<'_> {
        ViewerRequest {
            method: &self.method,
            path: &self.path,
            query: self.query.as_deref(),
            headers: &self.headers,
            peer: SocketAddr::from(([198, 51, 100, 10], 46532)),
            scheme: ViewerScheme::Https,
            version: self.version,
            country: self.country.as_deref(),
        }
    }

    fn key(&self, policy: &CachePolicyConfig) -> CacheKeyParts {
        CacheKeyParts::new(policy, DOMAIN, &self.viewer())
    }
}

fn managed(name: &str) -> CachePolicyConfig {
    cache_policy(name).unwrap().config.clone()
}

/// CachingOptimized with the given query string, header and cookie settings and no
/// compression flags.
fn policy() -> CachePolicyConfig {
    let mut p = managed("CachingOptimized");
    let k = &mut p.parameters_in_cache_key_and_forwarded_to_origin;
    k.enable_accept_encoding_gzip = false;
    k.enable_accept_encoding_brotli = false;
    p
}

fn with_query(behavior: QueryStringBehavior, names: &[&str]) -> CachePolicyConfig {
    let mut p = policy();
    let q = &mut p
        .parameters_in_cache_key_and_forwarded_to_origin
        .query_strings_config;
    q.query_string_behavior = behavior;
    q.query_strings = names
        .iter()
        .map(|s| (*s).to_owned())
        .collect::<Vec<_>>()
        .into();
    p
}

fn with_headers(names: &[&str]) -> CachePolicyConfig {
    let mut p = policy();
    let h = &mut p
        .parameters_in_cache_key_and_forwarded_to_origin
        .headers_config;
    h.header_behavior = CachePolicyHeaderBehavior::Whitelist;
    h.headers = names
        .iter()
        .map(|s| (*s).to_owned())
        .collect::<Vec<_>>()
        .into();
    p
}

fn with_cookies(behavior: CookieBehavior, names: &[&str]) -> CachePolicyConfig {
    let mut p = policy();
    let c = &mut p
        .parameters_in_cache_key_and_forwarded_to_origin
        .cookies_config;
    c.cookie_behavior = behavior;
    c.cookies = names
        .iter()
        .map(|s| (*s).to_owned())
        .collect::<Vec<_>>()
        .into();
    p
}

fn with_encodings(gzip: bool, brotli: bool) -> CachePolicyConfig {
    let mut p = policy();
    let k = &mut p.parameters_in_cache_key_and_forwarded_to_origin;
    k.enable_accept_encoding_gzip = gzip;
    k.enable_accept_encoding_brotli = brotli;
    p
}

fn query_text(key: &CacheKeyParts) -> String {
    key.query_string()
}

fn cookie_text(key: &CacheKeyParts) -> String {
    join(key.cookies(), "; ")
}

/// Asserts two keys are equal exactly when their hash inputs are.
fn assert_consistent(a: &CacheKeyParts, b: &CacheKeyParts) {
    assert_eq!(a == b, a.hash_input() == b.hash_input(), "{a:?} vs {b:?}");
}

#[test]
fn default_key_is_distribution_domain_and_path() {
    let p = managed("CachingOptimized");
    let key = get("/a/b.html?x=1")
        .header("cookie", "s=1")
        .header("host", "www.example.com")
        .key(&p);
    assert_eq!(key.primary(), "d111111abcdef8.cloudfront.net/a/b.html");
    assert!(key.query().is_empty());
    assert!(key.headers().is_empty());
    assert!(key.cookies().is_empty());
}

#[test]
fn domain_is_case_insensitive_and_path_case_sensitive() {
    let p = policy();
    let upper = CacheKeyParts::new(&p, "D111111ABCDEF8.cloudfront.net", &get("/a").viewer());
    assert_eq!(upper, get("/a").key(&p));
    assert_eq!(
        get("/a").key(&p).diff(&get("/A").key(&p)),
        Some(KeyPart::Primary)
    );
}

#[test]
fn method_is_in_the_key_for_options_only() {
    let p = policy();
    let get_key = get("/a").key(&p);
    let head_key = get("/a").method(Method::HEAD).key(&p);
    let options_key = get("/a").method(Method::OPTIONS).key(&p);
    assert_eq!(get_key, head_key);
    assert_eq!(
        options_key.primary(),
        "OPTIONS d111111abcdef8.cloudfront.net/a"
    );
    assert_eq!(get_key.diff(&options_key), Some(KeyPart::Primary));
}

#[test]
fn scheme_is_not_in_the_key() {
    let p = policy();
    let req = get("/a");
    let mut http = req.viewer();
    http.scheme = ViewerScheme::Http;
    assert_eq!(CacheKeyParts::new(&p, DOMAIN, &http), req.key(&p));
}

#[test]
fn query_none_keeps_no_parameter() {
    let p = with_query(QueryStringBehavior::None, &[]);
    assert!(get("/a?x=1&y=2").key(&p).query().is_empty());
    assert_eq!(get("/a?x=1").key(&p), get("/a?x=2").key(&p));
}

#[test]
fn query_all_keeps_request_order_and_order_matters() {
    let p = with_query(QueryStringBehavior::All, &[]);
    let ab = get("/a?a=1&b=2").key(&p);
    let ba = get("/a?b=2&a=1").key(&p);
    assert_eq!(query_text(&ab), "a=1&b=2");
    assert_eq!(query_text(&ba), "b=2&a=1");
    // CloudFront does not sort query strings: two entries.
    assert_ne!(ab, ba);
    assert_ne!(ab.hash_input(), ba.hash_input());
    assert_eq!(ab.diff(&ba), Some(KeyPart::Query));
}

#[test]
fn query_names_and_values_are_case_sensitive() {
    let p = with_query(QueryStringBehavior::All, &[]);
    assert_ne!(get("/a?a=1").key(&p), get("/a?A=1").key(&p));
    assert_ne!(get("/a?a=x").key(&p), get("/a?a=X").key(&p));
    let w = with_query(QueryStringBehavior::Whitelist, &["page"]);
    assert_eq!(query_text(&get("/a?Page=2&page=3").key(&w)), "page=3");
}

#[test]
fn query_whitelist_keeps_listed_parameters_in_request_order() {
    let p = with_query(QueryStringBehavior::Whitelist, &["b", "a"]);
    let key = get("/a?c=3&a=1&b=2&a=4").key(&p);
    assert_eq!(query_text(&key), "a=1&b=2&a=4");
}

#[test]
fn query_all_except_drops_listed_parameters() {
    let p = with_query(QueryStringBehavior::AllExcept, &["utm_source", "fbclid"]);
    let key = get("/a?utm_source=x&page=2&fbclid=y&sort=asc").key(&p);
    assert_eq!(query_text(&key), "page=2&sort=asc");
    assert_eq!(key, get("/a?page=2&sort=asc").key(&p));
}

#[test]
fn query_delimiter_is_ampersand_and_empty_segments_vanish() {
    let p = with_query(QueryStringBehavior::All, &[]);
    let key = get("/a?a=1;b=2&&c=3&").key(&p);
    assert_eq!(key.query().len(), 2);
    assert_eq!(key.query()[0].name, "a");
    assert_eq!(key.query()[0].value.as_deref(), Some("1;b=2"));
    assert_eq!(get("/a?").key(&p), get("/a").key(&p));
}

#[test]
fn bare_parameter_differs_from_empty_value() {
    let p = with_query(QueryStringBehavior::All, &[]);
    let bare = get("/a?flag").key(&p);
    let empty = get("/a?flag=").key(&p);
    assert_ne!(bare, empty);
    assert_eq!(query_text(&bare), "flag");
    assert_eq!(query_text(&empty), "flag=");
    assert_consistent(&bare, &empty);
}

#[test]
fn header_values_are_in_the_key_names_case_insensitive() {
    let p = with_headers(&["X-Tenant"]);
    let a = get("/a").header("x-tenant", "blue").key(&p);
    let b = get("/a").header("X-TENANT", "blue").key(&p);
    let c = get("/a").header("x-tenant", "Blue").key(&p);
    assert_eq!(a, b);
    assert_eq!(a.headers()[0].name, "x-tenant");
    assert_eq!(
        a.diff(&c).map(|d| d.to_string()).as_deref(),
        Some("header:x-tenant")
    );
}

#[test]
fn header_order_is_irrelevant_and_names_are_sorted() {
    let p = with_headers(&["x-b", "X-A", "x-a"]);
    let one = get("/a").header("x-a", "1").header("x-b", "2").key(&p);
    let two = get("/a").header("x-b", "2").header("x-a", "1").key(&p);
    assert_eq!(one, two);
    assert_eq!(one.hash_input(), two.hash_input());
    let names: Vec<_> = one.headers().iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["x-a", "x-b"]);
}

#[test]
fn unlisted_headers_are_not_in_the_key() {
    let p = with_headers(&["x-tenant"]);
    assert_eq!(
        get("/a").header("x-other", "1").key(&p),
        get("/a").header("x-other", "2").key(&p)
    );
}

#[test]
fn absent_header_differs_from_empty_header() {
    let p = with_headers(&["x-tenant"]);
    let absent = get("/a").key(&p);
    let empty = get("/a").header("x-tenant", "").key(&p);
    assert!(absent.headers().is_empty());
    assert_ne!(absent, empty);
    assert_consistent(&absent, &empty);
}

#[test]
fn repeated_header_lines_all_count() {
    let p = with_headers(&["x-list"]);
    let two = get("/a")
        .header("x-list", "a")
        .header("x-list", "b")
        .key(&p);
    let one = get("/a").header("x-list", "a").key(&p);
    assert_eq!(two.headers()[0].values.len(), 2);
    assert_ne!(two, one);
}

#[test]
fn cookie_and_hop_by_hop_headers_cannot_be_key_headers() {
    let p = with_headers(&["Cookie", "Connection", "TE", "Upgrade", "x-ok"]);
    let key = get("/a")
        .header("cookie", "a=1")
        .header("connection", "close")
        .header("te", "trailers")
        .header("upgrade", "h2c")
        .header("x-ok", "1")
        .key(&p);
    let names: Vec<_> = key.headers().iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["x-ok"]);
    assert!(key.cookies().is_empty());
}

#[test]
fn host_in_the_key_is_the_viewers() {
    let p = managed("UseOriginCacheControlHeaders");
    let a = get("/a").header("host", "www.example.com").key(&p);
    let b = get("/a").header("host", "api.example.com").key(&p);
    assert_eq!(
        a.diff(&b).map(|d| d.to_string()).as_deref(),
        Some("header:host")
    );
}

#[test]
fn generated_headers_in_the_key_take_cloudfronts_value() {
    // Managed Amplify keys on CloudFront-Viewer-Country.
    let p = managed("Amplify");
    let mut fr = get("/a").header("cloudfront-viewer-country", "US");
    fr.country = Some("FR".to_owned());
    let key = fr.key(&p);
    let country = key
        .headers()
        .iter()
        .find(|h| h.name == "cloudfront-viewer-country")
        .unwrap();
    assert_eq!(country.values, [HeaderValue::from_static("FR")]);
    // Unknown country: no value, and the viewer's spoofed one is not used.
    let spoofed = get("/a").header("cloudfront-viewer-country", "US").key(&p);
    assert!(spoofed
        .headers()
        .iter()
        .all(|h| h.name != "cloudfront-viewer-country"));
}

#[test]
fn device_header_in_the_key_splits_mobile_from_desktop() {
    let p = with_headers(&["CloudFront-Is-Mobile-Viewer"]);
    let phone = get("/a")
        .header(
            "user-agent",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148",
        )
        .key(&p);
    let desktop = get("/a")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        )
        .key(&p);
    assert_eq!(phone.headers()[0].values, ["true"]);
    assert_eq!(desktop.headers()[0].values, ["false"]);
    assert_eq!(
        phone.diff(&desktop).map(|d| d.to_string()).as_deref(),
        Some("header:cloudfront-is-mobile-viewer")
    );
}

#[test]
fn cookies_none_keeps_no_cookie() {
    let p = with_cookies(CookieBehavior::None, &[]);
    assert!(get("/a")
        .header("cookie", "a=1")
        .key(&p)
        .cookies()
        .is_empty());
}

#[test]
fn cookies_are_sorted_by_name() {
    let p = with_cookies(CookieBehavior::All, &[]);
    let key = get("/a")
        .header("cookie", "zeta=1; alpha=2; Beta=3")
        .key(&p);
    // Byte order: upper case before lower case.
    assert_eq!(cookie_text(&key), "Beta=3; alpha=2; zeta=1");
    assert_eq!(
        key,
        get("/a")
            .header("cookie", "alpha=2; Beta=3; zeta=1")
            .key(&p)
    );
}

#[test]
fn cookies_are_case_sensitive() {
    let p = with_cookies(CookieBehavior::Whitelist, &["session"]);
    let key = get("/a").header("cookie", "Session=A; session=b").key(&p);
    assert_eq!(cookie_text(&key), "session=b");
    assert_ne!(
        get("/a").header("cookie", "session=b").key(&p),
        get("/a").header("cookie", "session=B").key(&p)
    );
}

#[test]
fn cookies_whitelist_and_all_except() {
    let w = with_cookies(CookieBehavior::Whitelist, &["lang", "session"]);
    let e = with_cookies(CookieBehavior::AllExcept, &["_ga"]);
    let req = get("/a").header("cookie", "_ga=GA1; session=s; lang=en; theme=dark");
    assert_eq!(cookie_text(&req.key(&w)), "lang=en; session=s");
    assert_eq!(cookie_text(&req.key(&e)), "lang=en; session=s; theme=dark");
}

#[test]
fn only_well_formed_cookie_pairs_count() {
    let p = with_cookies(CookieBehavior::All, &[]);
    let key = get("/a")
        .header(
            "cookie",
            "novalue; =x; a b=1; ok=1; empty=; q=\"quoted\"; eq=a=b",
        )
        .key(&p);
    assert_eq!(cookie_text(&key), "empty=; eq=a=b; ok=1; q=\"quoted\"");
}

#[test]
fn cookie_lines_are_merged() {
    // HTTP/2 viewers may send one Cookie line per cookie.
    let p = with_cookies(CookieBehavior::All, &[]);
    let split = get("/a")
        .header("cookie", "b=2")
        .header("cookie", "a=1")
        .key(&p);
    let joined = get("/a").header("cookie", "a=1; b=2").key(&p);
    assert_eq!(split, joined);
    assert_eq!(split.diff(&get("/a").key(&p)), Some(KeyPart::Cookie));
}

/// The spec's table, one row per assertion.
#[test]
fn accept_encoding_normalisation_table() {
    let cases: [(bool, bool, Option<&str>, AcceptEncoding); 13] = [
        (
            true,
            true,
            Some("gzip, deflate, br"),
            AcceptEncoding::BrotliGzip,
        ),
        (
            true,
            true,
            Some("br;q=1.0, gzip;q=0.8, *;q=0.1"),
            AcceptEncoding::BrotliGzip,
        ),
        (true, true, Some("gzip"), AcceptEncoding::Gzip),
        (true, true, Some("br"), AcceptEncoding::Brotli),
        (true, false, Some("gzip, br"), AcceptEncoding::Gzip),
        (true, false, Some("gzip"), AcceptEncoding::Gzip),
        (true, false, Some("br"), AcceptEncoding::Identity),
        (false, true, Some("br, gzip"), AcceptEncoding::Brotli),
        (false, true, Some("gzip"), AcceptEncoding::Identity),
        (true, true, Some("deflate, zstd"), AcceptEncoding::Identity),
        (true, true, Some(""), AcceptEncoding::Identity),
        (true, true, None, AcceptEncoding::Absent),
        (
            false,
            false,
            Some("gzip, br"),
            AcceptEncoding::NotNormalized,
        ),
    ];
    for (gzip, br, viewer, expected) in cases {
        let mut req = get("/a");
        if let Some(v) = viewer {
            req = req.header("accept-encoding", v);
        }
        let key = req.key(&with_encodings(gzip, br));
        assert_eq!(
            key.accept_encoding(),
            expected,
            "gzip={gzip} br={br} viewer={viewer:?}"
        );
    }
    assert_eq!(AcceptEncoding::BrotliGzip.key_value(), Some("br,gzip"));
    assert_eq!(AcceptEncoding::Identity.key_value(), None);
    assert_eq!(AcceptEncoding::Identity.origin_value(), Some("identity"));
    assert_eq!(AcceptEncoding::Absent.origin_value(), None);
    assert_eq!(AcceptEncoding::NotNormalized.origin_value(), None);
}

#[test]
fn accept_encoding_tokens_are_case_insensitive_and_q_zero_refuses() {
    let p = with_encodings(true, true);
    let key = |ae: &str| {
        get("/a")
            .header("accept-encoding", ae)
            .key(&p)
            .accept_encoding()
    };
    assert_eq!(key("GZIP, Br"), AcceptEncoding::BrotliGzip);
    assert_eq!(key("gzip;q=0, br"), AcceptEncoding::Brotli);
    assert_eq!(key("gzip; q=0.000"), AcceptEncoding::Identity);
    assert_eq!(key("gzip;q=0.5"), AcceptEncoding::Gzip);
    // Two header lines are one list.
    let two = get("/a")
        .header("accept-encoding", "gzip")
        .header("accept-encoding", "br")
        .key(&p);
    assert_eq!(two.accept_encoding(), AcceptEncoding::BrotliGzip);
}

#[test]
fn accept_encoding_splits_the_key_only_by_normalised_value() {
    let p = with_encodings(true, true);
    let k = |ae: &str| get("/a").header("accept-encoding", ae).key(&p);
    assert_eq!(k("gzip, deflate, br"), k("br;q=0.9, gzip"));
    assert_eq!(k("gzip, deflate"), k("gzip"));
    assert_eq!(k("gzip").diff(&k("br")), Some(KeyPart::AcceptEncoding));
    // Absent and "no enabled coding" are both "not in the key".
    let absent = get("/a").key(&p);
    let identity = k("deflate");
    assert_eq!(absent, identity);
    assert_eq!(absent.hash_input(), identity.hash_input());
}

#[test]
fn http_1_0_viewers_have_no_accept_encoding() {
    let p = with_encodings(true, true);
    let mut req = get("/a").header("accept-encoding", "gzip, br");
    req.version = Version::HTTP_10;
    assert_eq!(req.key(&p).accept_encoding(), AcceptEncoding::Absent);
}

#[test]
fn accept_encoding_with_flags_off_is_an_ordinary_header() {
    let off = with_encodings(false, false);
    let k = |p: &CachePolicyConfig, ae: &str| get("/a").header("accept-encoding", ae).key(p);
    // Not listed: not in the key.
    assert_eq!(k(&off, "gzip"), k(&off, "br"));
    // Listed: the raw value is.
    let listed = with_headers(&["Accept-Encoding"]);
    assert_eq!(
        k(&listed, "gzip")
            .diff(&k(&listed, "br"))
            .map(|d| d.to_string())
            .as_deref(),
        Some("header:accept-encoding")
    );
    // Listed while a flag is on: only the normalised value counts.
    let mut both = with_headers(&["Accept-Encoding"]);
    both.parameters_in_cache_key_and_forwarded_to_origin
        .enable_accept_encoding_gzip = true;
    assert!(k(&both, "gzip, deflate").headers().is_empty());
    assert_eq!(k(&both, "gzip, deflate"), k(&both, "gzip"));
}

#[test]
fn hash_input_resists_separator_collisions() {
    // One header value holding what looks like two values, vs. two values.
    let h = with_headers(&["x-a", "x-b"]);
    let one = get("/a").header("x-a", "1:x-b").key(&h);
    let two = get("/a").header("x-a", "1").header("x-b", "").key(&h);
    assert_ne!(one.hash_input(), two.hash_input());
    let joined = get("/a").header("x-a", "1, 2").key(&h);
    let lines = get("/a").header("x-a", "1").header("x-a", "2").key(&h);
    assert_ne!(joined.hash_input(), lines.hash_input());
    assert_consistent(&joined, &lines);

    // A query value containing an encoded-looking second pair.
    let q = with_query(QueryStringBehavior::All, &[]);
    assert_ne!(
        get("/a?a=1%26b=2").key(&q).hash_input(),
        get("/a?a=1&b=2").key(&q).hash_input()
    );
    assert_ne!(
        get("/a?a==b").key(&q).hash_input(),
        get("/a?a=&=b").key(&q).hash_input()
    );

    // A path that spells out what a query would add.
    assert_ne!(
        get("/aQ1:").key(&q).hash_input(),
        get("/a?Q").key(&q).hash_input()
    );

    // The same text as a cookie and as a query parameter.
    let mut both = with_query(QueryStringBehavior::All, &[]);
    both.parameters_in_cache_key_and_forwarded_to_origin
        .cookies_config
        .cookie_behavior = CookieBehavior::All;
    assert_ne!(
        get("/a?s=1").key(&both).hash_input(),
        get("/a").header("cookie", "s=1").key(&both).hash_input()
    );

    // Cookie values holding the cookie separator shapes.
    let c = with_cookies(CookieBehavior::All, &[]);
    assert_ne!(
        get("/a").header("cookie", "a=1=b").key(&c).hash_input(),
        get("/a").header("cookie", "a=1; b=").key(&c).hash_input()
    );
}

#[test]
fn hash_input_is_deterministic_and_versioned() {
    let p = with_query(QueryStringBehavior::All, &[]);
    let a = get("/a?x=1").key(&p).hash_input();
    assert_eq!(a, get("/a?x=1").key(&p).hash_input());
    assert!(a.starts_with(b"stratus-cache-key/1\n"));
    let text = String::from_utf8(a).unwrap();
    assert_eq!(
        text,
        "stratus-cache-key/1\nP31:d111111abcdef8.cloudfront.net/aQ1:1:x=1:1H0:C0:-"
    );
}

#[test]
fn diff_is_none_for_equal_keys_and_names_the_first_difference() {
    let mut p = with_headers(&["x-a", "x-b"]);
    let k = &mut p.parameters_in_cache_key_and_forwarded_to_origin;
    k.query_strings_config.query_string_behavior = QueryStringBehavior::All;
    k.cookies_config.cookie_behavior = CookieBehavior::All;
    let base = || get("/a?q=1").header("x-a", "1").header("cookie", "c=1");
    assert_eq!(base().key(&p).diff(&base().key(&p)), None);
    let cases: [(Req, &str); 5] = [
        (
            get("/b?q=1").header("x-a", "1").header("cookie", "c=1"),
            "primary",
        ),
        (
            get("/a?q=2").header("x-a", "1").header("cookie", "c=1"),
            "query",
        ),
        (base().header("x-b", "1"), "header:x-b"),
        (get("/a?q=1").header("cookie", "c=1"), "header:x-a"),
        (
            get("/a?q=1").header("x-a", "1").header("cookie", "c=2"),
            "cookie",
        ),
    ];
    for (other, expected) in cases {
        let d = base().key(&p).diff(&other.key(&p));
        assert_eq!(d.map(|d| d.to_string()).as_deref(), Some(expected));
        let back = other.key(&p).diff(&base().key(&p));
        assert_eq!(back.map(|d| d.to_string()).as_deref(), Some(expected));
    }
    assert_eq!(
        KeyPart::Header(HeaderName::from_static("x-a")).as_str(),
        "header"
    );
}

#[test]
fn managed_caching_optimized_keys_on_the_normalised_encoding_only() {
    let p = managed("CachingOptimized");
    let a = get("/index.html?v=1")
        .header("accept-encoding", "gzip, deflate, br, zstd")
        .header("cookie", "a=1")
        .header("authorization", "Bearer x")
        .key(&p);
    assert_eq!(a.accept_encoding(), AcceptEncoding::BrotliGzip);
    let b = get("/index.html?v=2")
        .header("accept-encoding", "br, gzip")
        .key(&p);
    assert_eq!(a, b);
}
