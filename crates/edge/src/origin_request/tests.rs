//! Origin request rules: spec §2 "Host header sent to a custom origin", §4 "What reaches the
//! origin when the policies add nothing", §5 (origin request policies, the merge rule,
//! CloudFront-generated headers) and §7 "Origin request headers".

use std::net::SocketAddr;

use http::{HeaderMap, HeaderName, HeaderValue, Method, Version};
use stratus_model::cloudfront::distribution::OriginCustomHeader;
use stratus_model::cloudfront::policies::{
    cache_policy, origin_request_policy, CachePolicyConfig, CachePolicyHeaderBehavior,
    CookieBehavior, OriginRequestPolicyConfig, OriginRequestPolicyHeaderBehavior,
    QueryStringBehavior, QueryStringsConfig,
};

use super::*;
use crate::cache_key::{CacheKeyParts, ViewerScheme};

const FN_URL_HOST: &str = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws";
const VIEWER_HOST: &str = "d111111abcdef8.cloudfront.net";
const REQUEST_ID: &str = "Ab3dEfGh1JkLmN0pQrStUvWxYz0123456789abcdefGHIJKLMNOPQ==";
const VIA_HOST: &str = "0123456789abcdef0123456789abcdef.cloudfront.net";

struct Req {
    method: Method,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    peer: SocketAddr,
    scheme: ViewerScheme,
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
        peer: SocketAddr::from(([198, 51, 100, 10], 46532)),
        scheme: ViewerScheme::Https,
        version: Version::HTTP_11,
        country: None,
    }
    .header("host", VIEWER_HOST)
}

/// A browser-like request with a bit of everything.
fn browser(path_and_query: &str) -> Req {
    get(path_and_query)
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        )
        .header("accept", "text/html")
        .header("accept-language", "en-GB")
        .header("accept-encoding", "gzip, deflate, br, zstd")
        .header("referer", "https://example.com/")
        .header("cookie", "session=abc; _ga=GA1")
        .header("authorization", "Bearer token")
        .header("x-custom", "1")
}

struct Origin {
    domain: String,
    path: String,
    custom: Vec<(HeaderName, HeaderValue)>,
}

fn fn_url() -> Origin {
    Origin {
        domain: FN_URL_HOST.to_owned(),
        path: String::new(),
        custom: compile_custom_headers(&[OriginCustomHeader {
            header_name: "X-Origin-Verify".to_owned(),
            header_value: "secret".to_owned(),
        }])
        .unwrap(),
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

    fn viewer(&self) -> ViewerRequest<'_> {
        ViewerRequest {
            method: &self.method,
            path: &self.path,
            query: self.query.as_deref(),
            headers: &self.headers,
            peer: self.peer,
            scheme: self.scheme,
            version: self.version,
            country: self.country.as_deref(),
        }
    }

    fn to(
        &self,
        origin: &Origin,
        cp: &CachePolicyConfig,
        orp: Option<&OriginRequestPolicyConfig>,
    ) -> OriginRequest {
        let target = OriginTarget {
            domain_name: &origin.domain,
            origin_path: &origin.path,
            custom_headers: &origin.custom,
        };
        let edge = EdgeIdentity {
            request_id: REQUEST_ID,
            via_host: VIA_HOST,
        };
        build_origin_request(cp, orp, &target, &self.viewer(), &edge).unwrap()
    }
}

fn cq(c: &mut CachePolicyConfig) -> &mut QueryStringsConfig {
    &mut c
        .parameters_in_cache_key_and_forwarded_to_origin
        .query_strings_config
}

fn cp(name: &str) -> CachePolicyConfig {
    cache_policy(name).unwrap().config.clone()
}

fn orp(name: &str) -> OriginRequestPolicyConfig {
    origin_request_policy(name).unwrap().config.clone()
}

fn names(list: &[&str]) -> stratus_model::cloudfront::wire::List<String> {
    list.iter()
        .map(|s| (*s).to_owned())
        .collect::<Vec<_>>()
        .into()
}

/// An ORP that forwards nothing, to be adjusted.
fn empty_orp() -> OriginRequestPolicyConfig {
    let mut p = orp("CORS-CustomOrigin");
    p.headers_config.header_behavior = OriginRequestPolicyHeaderBehavior::None;
    p.headers_config.headers = names(&[]);
    p
}

fn header<'a>(req: &'a OriginRequest, name: &str) -> Option<&'a str> {
    req.headers.get(name).map(|v| v.to_str().unwrap())
}

fn header_names(req: &OriginRequest) -> Vec<&str> {
    let mut n: Vec<&str> = req.headers.keys().map(|k| k.as_str()).collect();
    n.sort_unstable();
    n
}

#[test]
fn policies_adding_nothing_send_only_cloudfronts_headers() {
    // §4 "What reaches the origin when the policies add nothing": CachingOptimized, no ORP.
    let out = browser("/a/b?page=2").to(&fn_url(), &cp("CachingOptimized"), None);
    assert_eq!(out.path_and_query, "/a/b");
    assert_eq!(
        header_names(&out),
        [
            "accept-encoding",
            "host",
            "user-agent",
            "via",
            "x-amz-cf-id",
            "x-forwarded-for",
            "x-origin-verify",
        ]
    );
    assert_eq!(header(&out, "host"), Some(FN_URL_HOST));
    assert_eq!(header(&out, "user-agent"), Some("Amazon CloudFront"));
    assert_eq!(
        header(&out, "via"),
        Some("1.1 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)")
    );
    assert_eq!(header(&out, "x-amz-cf-id"), Some(REQUEST_ID));
    assert_eq!(header(&out, "x-forwarded-for"), Some("198.51.100.10"));
    assert_eq!(header(&out, "accept-encoding"), Some("br,gzip"));
    assert!(!out.viewer_host_forwarded);
}

#[test]
fn all_viewer_forwards_the_viewers_host_which_a_function_url_refuses() {
    // §2 / §15.1: AllViewer sends the viewer's Host; a Function URL answers 403.
    let out = browser("/").to(&fn_url(), &cp("CachingDisabled"), Some(&orp("AllViewer")));
    assert_eq!(header(&out, "host"), Some(VIEWER_HOST));
    assert!(out.viewer_host_forwarded);
}

#[test]
fn all_viewer_except_host_header_sends_the_origin_domain() {
    // The documented choice for Function URL origins.
    let out = browser("/p?x=1&y=2").to(
        &fn_url(),
        &cp("CachingDisabled"),
        Some(&orp("AllViewerExceptHostHeader")),
    );
    assert_eq!(header(&out, "host"), Some(FN_URL_HOST));
    assert!(!out.viewer_host_forwarded);
    // Everything else of the viewer's goes: query, cookies, headers, Authorization.
    assert_eq!(out.path_and_query, "/p?x=1&y=2");
    assert_eq!(header(&out, "cookie"), Some("_ga=GA1; session=abc"));
    assert_eq!(header(&out, "accept-language"), Some("en-GB"));
    assert_eq!(header(&out, "referer"), Some("https://example.com/"));
    assert_eq!(header(&out, "x-custom"), Some("1"));
    assert_eq!(header(&out, "authorization"), Some("Bearer token"));
    assert_eq!(
        header(&out, "user-agent"),
        Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
    );
}

#[test]
fn host_in_the_cache_policy_forwards_the_viewers_host() {
    // §2: UseOriginCacheControlHeaders* key on `host`, so they forward the viewer's.
    let out = browser("/").to(&fn_url(), &cp("UseOriginCacheControlHeaders"), None);
    assert_eq!(header(&out, "host"), Some(VIEWER_HOST));
    let out = browser("/").to(
        &fn_url(),
        &cp("CachingDisabled"),
        Some(&orp("HostHeaderOnly")),
    );
    assert_eq!(header(&out, "host"), Some(VIEWER_HOST));
}

#[test]
fn origin_custom_header_always_arrives_and_overrides_the_viewer() {
    for policy in [
        None,
        Some(orp("AllViewer")),
        Some(orp("AllViewerExceptHostHeader")),
    ] {
        let out = browser("/").header("x-origin-verify", "forged").to(
            &fn_url(),
            &cp("CachingDisabled"),
            policy.as_ref(),
        );
        let values: Vec<_> = out.headers.get_all("x-origin-verify").iter().collect();
        assert_eq!(values, ["secret"], "{:?}", policy.map(|p| p.name));
    }
}

#[test]
fn origin_custom_headers_override_cloudfronts_own() {
    let mut origin = fn_url();
    origin.custom = compile_custom_headers(&[
        OriginCustomHeader {
            header_name: "User-Agent".to_owned(),
            header_value: "stratus-test".to_owned(),
        },
        OriginCustomHeader {
            header_name: "X-Multi".to_owned(),
            header_value: "a".to_owned(),
        },
        OriginCustomHeader {
            header_name: "x-multi".to_owned(),
            header_value: "b".to_owned(),
        },
    ])
    .unwrap();
    let out = browser("/").to(&origin, &cp("CachingOptimized"), None);
    assert_eq!(header(&out, "user-agent"), Some("stratus-test"));
    let multi: Vec<_> = out.headers.get_all("x-multi").iter().collect();
    assert_eq!(multi, ["a", "b"]);
}

#[test]
fn invalid_custom_headers_are_refused() {
    let bad_name = [OriginCustomHeader {
        header_name: "X Bad".to_owned(),
        header_value: "v".to_owned(),
    }];
    assert_eq!(
        compile_custom_headers(&bad_name),
        Err(OriginRequestError::InvalidHeaderName("X Bad".to_owned()))
    );
    let bad_value = [OriginCustomHeader {
        header_name: "X-Ok".to_owned(),
        header_value: "a\r\nInjected: 1".to_owned(),
    }];
    assert!(matches!(
        compile_custom_headers(&bad_value),
        Err(OriginRequestError::InvalidHeaderValue { .. })
    ));
}

#[test]
fn origin_path_is_prepended() {
    let mut origin = fn_url();
    origin.path = "/production".to_owned();
    let out = get("/a/b.html").to(&origin, &cp("CachingOptimized"), None);
    assert_eq!(out.path_and_query, "/production/a/b.html");
    let out = get("").to(&origin, &cp("CachingOptimized"), None);
    assert_eq!(out.path_and_query, "/production/");
}

#[test]
fn query_strings_are_forwarded_by_the_union_in_request_order() {
    let mut c = cp("CachingOptimized");
    let mut o = empty_orp();
    let q = |c: &CachePolicyConfig, o: &OriginRequestPolicyConfig| {
        get("/p?b=2&a=1&c=3&a=4")
            .to(&fn_url(), c, Some(o))
            .path_and_query
    };
    let set = |cfg: &mut QueryStringsConfig, b: QueryStringBehavior, n: &[&str]| {
        cfg.query_string_behavior = b;
        cfg.query_strings = names(n);
    };

    // Neither: no query string.
    assert_eq!(q(&c, &o), "/p");
    // Cache policy allow-list beats the ORP's deny-list.
    set(cq(&mut c), QueryStringBehavior::Whitelist, &["a"]);
    set(
        &mut o.query_strings_config,
        QueryStringBehavior::AllExcept,
        &["a"],
    );
    assert_eq!(q(&c, &o), "/p?b=2&a=1&c=3&a=4");
    // ORP allow-list beats the cache policy's deny-list.
    set(cq(&mut c), QueryStringBehavior::AllExcept, &["b"]);
    set(
        &mut o.query_strings_config,
        QueryStringBehavior::Whitelist,
        &["b"],
    );
    assert_eq!(q(&c, &o), "/p?b=2&a=1&c=3&a=4");
    // Two deny-lists: only what both deny stays out.
    set(cq(&mut c), QueryStringBehavior::AllExcept, &["a", "b"]);
    set(
        &mut o.query_strings_config,
        QueryStringBehavior::AllExcept,
        &["a", "c"],
    );
    assert_eq!(q(&c, &o), "/p?b=2&c=3");
    // Two allow-lists: either's.
    set(cq(&mut c), QueryStringBehavior::Whitelist, &["c"]);
    set(
        &mut o.query_strings_config,
        QueryStringBehavior::Whitelist,
        &["a"],
    );
    assert_eq!(q(&c, &o), "/p?a=1&c=3&a=4");
    // ORP all means everything.
    set(cq(&mut c), QueryStringBehavior::None, &[]);
    set(&mut o.query_strings_config, QueryStringBehavior::All, &[]);
    assert_eq!(q(&c, &o), "/p?b=2&a=1&c=3&a=4");
}

#[test]
fn forwarded_query_matches_what_the_key_holds() {
    let mut c = cp("CachingOptimized");
    c.parameters_in_cache_key_and_forwarded_to_origin
        .query_strings_config
        .query_string_behavior = QueryStringBehavior::All;
    let req = get("/p?a=1&&flag&b=");
    let out = req.to(&fn_url(), &c, None);
    let key = CacheKeyParts::new(&c, VIEWER_HOST, &req.viewer());
    assert_eq!(out.path_and_query, format!("/p?{}", key.query_string()));
    assert_eq!(out.path_and_query, "/p?a=1&flag&b=");
}

#[test]
fn cookies_are_forwarded_by_the_union_sorted_by_name() {
    let mut c = cp("CachingOptimized");
    let k = &mut c
        .parameters_in_cache_key_and_forwarded_to_origin
        .cookies_config;
    k.cookie_behavior = CookieBehavior::Whitelist;
    k.cookies = names(&["zeta"]);
    let mut o = empty_orp();
    o.cookies_config.cookie_behavior = CookieBehavior::AllExcept;
    o.cookies_config.cookies = names(&["zeta", "_ga"]);
    let out = get("/")
        .header("cookie", "zeta=1; _ga=x; beta=2")
        .header("cookie", "alpha=3; bad")
        .to(&fn_url(), &c, Some(&o));
    assert_eq!(header(&out, "cookie"), Some("alpha=3; beta=2; zeta=1"));
    // No selection: no Cookie header at all.
    let out = get("/")
        .header("cookie", "a=1")
        .to(&fn_url(), &cp("CachingOptimized"), None);
    assert_eq!(header(&out, "cookie"), None);
}

#[test]
fn header_whitelist_and_all_except() {
    let mut o = empty_orp();
    o.headers_config.header_behavior = OriginRequestPolicyHeaderBehavior::Whitelist;
    o.headers_config.headers = names(&["Accept-Language", "X-CUSTOM"]);
    let out = browser("/").to(&fn_url(), &cp("CachingOptimized"), Some(&o));
    assert_eq!(header(&out, "accept-language"), Some("en-GB"));
    assert_eq!(header(&out, "x-custom"), Some("1"));
    assert_eq!(header(&out, "accept"), None);
    assert_eq!(header(&out, "referer"), None);

    o.headers_config.header_behavior = OriginRequestPolicyHeaderBehavior::AllExcept;
    o.headers_config.headers = names(&["referer", "x-custom"]);
    let out = browser("/").to(&fn_url(), &cp("CachingOptimized"), Some(&o));
    assert_eq!(header(&out, "accept"), Some("text/html"));
    assert_eq!(header(&out, "referer"), None);
    assert_eq!(header(&out, "x-custom"), None);
    // allExcept without Host in the list forwards the viewer's Host.
    assert_eq!(header(&out, "host"), Some(VIEWER_HOST));
}

#[test]
fn cache_policy_headers_are_forwarded_too() {
    let mut c = cp("CachingOptimized");
    let h = &mut c
        .parameters_in_cache_key_and_forwarded_to_origin
        .headers_config;
    h.header_behavior = CachePolicyHeaderBehavior::Whitelist;
    h.headers = names(&["x-custom"]);
    let out = browser("/").to(&fn_url(), &c, None);
    assert_eq!(header(&out, "x-custom"), Some("1"));
}

#[test]
fn authorization_goes_only_with_all_viewer_headers_or_the_cache_policy() {
    let mut o = empty_orp();
    o.headers_config.header_behavior = OriginRequestPolicyHeaderBehavior::Whitelist;
    o.headers_config.headers = names(&["Authorization"]);
    let out = browser("/").to(&fn_url(), &cp("CachingOptimized"), Some(&o));
    assert_eq!(header(&out, "authorization"), None);

    let out = browser("/").to(&fn_url(), &cp("CachingOptimized"), Some(&orp("AllViewer")));
    assert_eq!(header(&out, "authorization"), Some("Bearer token"));

    // Managed Amplify keys on Authorization.
    let out = browser("/").to(&fn_url(), &cp("Amplify"), None);
    assert_eq!(header(&out, "authorization"), Some("Bearer token"));
}

#[test]
fn user_agent_is_the_viewers_only_when_forwarded() {
    let out = browser("/").to(
        &fn_url(),
        &cp("CachingOptimized"),
        Some(&orp("UserAgentRefererHeaders")),
    );
    assert_eq!(
        header(&out, "user-agent"),
        Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
    );
    // Forwarded but the viewer sent none: CloudFront's.
    let out = get("/").to(&fn_url(), &cp("CachingOptimized"), Some(&orp("AllViewer")));
    assert_eq!(header(&out, "user-agent"), Some("Amazon CloudFront"));
}

#[test]
fn x_forwarded_for_appends_the_viewer_ip() {
    let c = cp("CachingOptimized");
    let out = get("/")
        .header("x-forwarded-for", "203.0.113.1, 203.0.113.2")
        .to(&fn_url(), &c, None);
    assert_eq!(
        header(&out, "x-forwarded-for"),
        Some("203.0.113.1, 203.0.113.2, 198.51.100.10")
    );
    let out = get("/")
        .header("x-forwarded-for", "203.0.113.1")
        .header("x-forwarded-for", "203.0.113.2")
        .to(&fn_url(), &c, None);
    assert_eq!(
        header(&out, "x-forwarded-for"),
        Some("203.0.113.1, 203.0.113.2, 198.51.100.10")
    );
    // IPv6, and IPv4 seen through a dual-stack socket.
    let mut v6 = get("/");
    v6.peer = "[2001:db8::1]:443".parse().unwrap();
    assert_eq!(
        header(&v6.to(&fn_url(), &c, None), "x-forwarded-for"),
        Some("2001:db8::1")
    );
    let mut mapped = get("/");
    mapped.peer = "[::ffff:198.51.100.7]:443".parse().unwrap();
    assert_eq!(
        header(&mapped.to(&fn_url(), &c, None), "x-forwarded-for"),
        Some("198.51.100.7")
    );
}

#[test]
fn via_carries_the_viewer_http_version_after_the_viewers_via() {
    let c = cp("CachingOptimized");
    let mut h2 = get("/");
    h2.version = Version::HTTP_2;
    assert_eq!(
        header(&h2.to(&fn_url(), &c, None), "via"),
        Some("2.0 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)")
    );
    let out = get("/")
        .header("via", "1.1 proxy.example")
        .to(&fn_url(), &c, None);
    assert_eq!(
        header(&out, "via"),
        Some("1.1 proxy.example, 1.1 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)")
    );
    assert_eq!(
        via_value(Version::HTTP_3, "edge.example"),
        "3.0 edge.example (CloudFront)"
    );
}

#[test]
fn viewer_cannot_forge_cloudfronts_request_id() {
    let out = get("/")
        .header("x-amz-cf-id", "forged")
        .header("x-edge-location", "forged")
        .to(&fn_url(), &cp("CachingDisabled"), Some(&orp("AllViewer")));
    let ids: Vec<_> = out.headers.get_all("x-amz-cf-id").iter().collect();
    assert_eq!(ids, [REQUEST_ID]);
    assert_eq!(header(&out, "x-edge-location"), None);
}

#[test]
fn hop_by_hop_headers_are_removed() {
    let out = get("/")
        .header("connection", "keep-alive, x-secret")
        .header("keep-alive", "timeout=5")
        .header("proxy-connection", "keep-alive")
        .header("proxy-authorization", "Basic x")
        .header("te", "trailers")
        .header("trailer", "x-checksum")
        .header("upgrade", "h2c")
        .header("expect", "100-continue")
        .to(&fn_url(), &cp("CachingDisabled"), Some(&orp("AllViewer")));
    for name in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "te",
        "trailer",
        "upgrade",
        "expect",
    ] {
        assert_eq!(header(&out, name), None, "{name}");
    }
}

#[test]
fn websocket_upgrade_is_kept() {
    let out = get("/ws")
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-version", "13")
        .to(
            &fn_url(),
            &cp("CachingDisabled"),
            Some(&orp("AllViewerExceptHostHeader")),
        );
    assert_eq!(header(&out, "upgrade"), Some("websocket"));
    assert_eq!(header(&out, "connection"), Some("Upgrade"));
    assert_eq!(
        header(&out, "sec-websocket-key"),
        Some("dGhlIHNhbXBsZSBub25jZQ==")
    );
}

#[test]
fn body_framing_and_observed_pass_through_headers_always_travel() {
    let mut post = get("/submit")
        .header("content-length", "11")
        .header("content-type", "application/json")
        .header("cache-control", "no-cache")
        .header("pragma", "no-cache");
    post.method = Method::POST;
    let out = post.to(&fn_url(), &cp("CachingDisabled"), None);
    assert_eq!(header(&out, "content-length"), Some("11"));
    assert_eq!(header(&out, "cache-control"), Some("no-cache"));
    assert_eq!(header(&out, "pragma"), Some("no-cache"));
    // The body's type travels with it (a Function URL would otherwise base64 the body).
    assert_eq!(header(&out, "content-type"), Some("application/json"));
    // Conditional and range headers are forwarded (CloudFront's table).
    let conditional = get("/")
        .header("if-none-match", "\"v1\"")
        .header("if-modified-since", "Wed, 21 Oct 2015 07:28:00 GMT")
        .header("range", "bytes=0-9");
    let out = conditional.to(&fn_url(), &cp("CachingOptimized"), None);
    assert_eq!(header(&out, "if-none-match"), Some("\"v1\""));
    assert_eq!(
        header(&out, "if-modified-since"),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
    assert_eq!(header(&out, "range"), Some("bytes=0-9"));
    let chunked = get("/").header("transfer-encoding", "chunked");
    let out = chunked.to(&fn_url(), &cp("CachingDisabled"), None);
    assert_eq!(header(&out, "transfer-encoding"), Some("chunked"));
}

#[test]
fn accept_encoding_identity_when_no_enabled_coding_and_absent_when_absent() {
    let c = cp("CachingOptimized");
    let out = get("/")
        .header("accept-encoding", "deflate")
        .to(&fn_url(), &c, None);
    assert_eq!(header(&out, "accept-encoding"), Some("identity"));
    let out = get("/").to(&fn_url(), &c, None);
    assert_eq!(header(&out, "accept-encoding"), None);
}

#[test]
fn accept_encoding_in_an_orp_changes_nothing_when_normalised() {
    let out = browser("/").to(&fn_url(), &cp("CachingOptimized"), Some(&orp("AllViewer")));
    let values: Vec<_> = out.headers.get_all("accept-encoding").iter().collect();
    assert_eq!(values, ["br,gzip"]);
}

#[test]
fn accept_encoding_with_flags_off_is_an_ordinary_header() {
    let c = cp("CachingDisabled");
    let out = browser("/").to(&fn_url(), &c, None);
    assert_eq!(header(&out, "accept-encoding"), None);
    let out = browser("/").to(&fn_url(), &c, Some(&orp("AllViewer")));
    assert_eq!(
        header(&out, "accept-encoding"),
        Some("gzip, deflate, br, zstd")
    );
}

#[test]
fn all_viewer_does_not_add_cloudfront_headers() {
    let out = browser("/").to(&fn_url(), &cp("CachingDisabled"), Some(&orp("AllViewer")));
    assert!(out
        .headers
        .keys()
        .all(|k| !k.as_str().starts_with("cloudfront-")));
}

#[test]
fn viewer_sent_cloudfront_headers_never_pass() {
    let forged = get("/")
        .header("cloudfront-viewer-country", "US")
        .header("cloudfront-is-mobile-viewer", "true");
    let out = forged.to(&fn_url(), &cp("CachingDisabled"), Some(&orp("AllViewer")));
    assert_eq!(header(&out, "cloudfront-viewer-country"), None);
    assert_eq!(header(&out, "cloudfront-is-mobile-viewer"), None);
    // Named in a policy: CloudFront's value replaces the viewer's.
    let out = forged.to(
        &fn_url(),
        &cp("CachingDisabled"),
        Some(&orp("AllViewerAndCloudFrontHeaders-2022-06")),
    );
    assert_eq!(header(&out, "cloudfront-is-mobile-viewer"), Some("false"));
    assert_eq!(header(&out, "cloudfront-viewer-country"), None);
}

#[test]
fn generated_headers_named_by_a_policy() {
    let mut req = get("/")
        .header(
            "user-agent",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
        );
    req.version = Version::HTTP_2;
    req.country = Some("DE".to_owned());
    let out = req.to(
        &fn_url(),
        &cp("CachingDisabled"),
        Some(&orp("AllViewerAndCloudFrontHeaders-2022-06")),
    );
    assert_eq!(header(&out, "cloudfront-forwarded-proto"), Some("https"));
    assert_eq!(header(&out, "cloudfront-viewer-http-version"), Some("2.0"));
    assert_eq!(
        header(&out, "cloudfront-viewer-address"),
        Some("198.51.100.10:46532")
    );
    assert_eq!(header(&out, "cloudfront-viewer-country"), Some("DE"));
    assert_eq!(header(&out, "cloudfront-is-mobile-viewer"), Some("true"));
    assert_eq!(header(&out, "cloudfront-is-android-viewer"), Some("true"));
    assert_eq!(header(&out, "cloudfront-is-desktop-viewer"), Some("false"));
    assert_eq!(header(&out, "cloudfront-is-tablet-viewer"), Some("false"));
    assert_eq!(header(&out, "cloudfront-is-ios-viewer"), Some("false"));
    assert_eq!(header(&out, "cloudfront-is-smarttv-viewer"), Some("false"));
    // What Stratus cannot know is not invented.
    assert_eq!(header(&out, "cloudfront-viewer-city"), None);
    assert_eq!(header(&out, "cloudfront-viewer-tls"), None);
    assert_eq!(header(&out, "cloudfront-viewer-asn"), None);
}

#[test]
fn generated_headers_from_a_whitelist_and_the_cache_policy() {
    let mut o = empty_orp();
    o.headers_config.header_behavior = OriginRequestPolicyHeaderBehavior::Whitelist;
    o.headers_config.headers = names(&["cloudfront-viewer-address", "CloudFront-Forwarded-Proto"]);
    let mut req = get("/");
    req.peer = "[2001:db8::7]:51000".parse().unwrap();
    req.scheme = ViewerScheme::Http;
    let out = req.to(&fn_url(), &cp("Amplify"), Some(&o));
    // IPv6 unbracketed, as CloudFront writes it.
    assert_eq!(
        header(&out, "cloudfront-viewer-address"),
        Some("2001:db8::7:51000")
    );
    assert_eq!(header(&out, "cloudfront-forwarded-proto"), Some("http"));
    // Amplify keys on CloudFront-Viewer-Country, but no country is known.
    assert_eq!(header(&out, "cloudfront-viewer-country"), None);
    let mut req = get("/");
    req.country = Some("JP".to_owned());
    let out = req.to(&fn_url(), &cp("Amplify"), None);
    assert_eq!(header(&out, "cloudfront-viewer-country"), Some("JP"));
}

#[test]
fn generated_header_names_round_trip() {
    for h in CloudFrontHeader::ALL {
        assert_eq!(CloudFrontHeader::from_name(h.as_str()), Some(h));
        assert_eq!(
            CloudFrontHeader::from_name(&h.as_str().to_ascii_lowercase()),
            Some(h)
        );
        assert!(HeaderName::from_bytes(h.as_str().as_bytes()).is_ok());
    }
    assert_eq!(CloudFrontHeader::from_name("CloudFront-Nope"), None);
}

#[test]
fn device_heuristic() {
    let d = DeviceKind::from_user_agent;
    let iphone = d("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 Safari/604.1");
    assert!(iphone.mobile && iphone.ios && !iphone.tablet && !iphone.desktop && !iphone.android);
    let ipad = d("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 Version/16.6 Mobile/15E148 Safari/604.1");
    assert!(ipad.tablet && ipad.mobile && ipad.ios && !ipad.desktop);
    let android_tablet = d(
        "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    );
    assert!(android_tablet.tablet && android_tablet.android && !android_tablet.mobile);
    let tv = d("Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 SamsungBrowser/4.0 TV Safari/537.36");
    assert!(tv.smart_tv && !tv.desktop && !tv.tablet);
    let android_tv = d("Mozilla/5.0 (Linux; Android 9; BRAVIA 4K GB) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 hbbtv");
    assert!(android_tv.smart_tv && android_tv.android && !android_tv.tablet);
    let desktop = d(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    );
    assert_eq!(
        desktop,
        DeviceKind {
            desktop: true,
            ..DeviceKind::default()
        }
    );
    let wp = d("Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 Chrome/52.0 Mobile Safari/537.36 Edge/15.14977");
    assert!(wp.mobile && !wp.ios);
    assert!(d("").desktop);
    assert!(d("curl/8.5.0").desktop);
}

#[test]
fn http_versions() {
    assert_eq!(http_version_str(Version::HTTP_10), "1.0");
    assert_eq!(http_version_str(Version::HTTP_11), "1.1");
    assert_eq!(http_version_str(Version::HTTP_2), "2.0");
    assert_eq!(http_version_str(Version::HTTP_3), "3.0");
}

#[test]
fn invalid_edge_values_are_errors_not_panics() {
    let req = get("/");
    let target = OriginTarget {
        domain_name: FN_URL_HOST,
        origin_path: "",
        custom_headers: &[],
    };
    let edge = EdgeIdentity {
        request_id: "bad\nid",
        via_host: VIA_HOST,
    };
    let err = build_origin_request(&cp("CachingOptimized"), None, &target, &req.viewer(), &edge)
        .unwrap_err();
    assert!(matches!(
        err,
        OriginRequestError::InvalidHeaderValue {
            field: "request id",
            ..
        }
    ));
}

fn vary_after(cache: &str, origin_request: Option<&str>, vary: &[&str]) -> (Option<String>, bool) {
    let mut response = HeaderMap::new();
    for v in vary {
        response.append(header::VARY, HeaderValue::from_str(v).unwrap());
    }
    let orp = origin_request.map(orp);
    let star = viewer_vary(&cp(cache), orp.as_ref(), &mut response);
    let values: Vec<_> = response
        .get_all(header::VARY)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(values.len() <= 1, "one Vary at most: {values:?}");
    (values.into_iter().next(), star)
}

#[test]
fn vary_keeps_accept_encoding_cookie_and_forwarded_headers_only() {
    // Nothing forwarded: only Accept-Encoding and Cookie survive.
    assert_eq!(
        vary_after(
            "CachingOptimized",
            None,
            &["Accept-Encoding, Origin, X-Custom", "Cookie"]
        ),
        (Some("Accept-Encoding, Cookie".to_owned()), false)
    );
    // Every name dropped: no Vary at all.
    assert_eq!(
        vary_after("CachingOptimized", None, &["Origin, X-Custom"]),
        (None, false)
    );
    // A header an ORP forwards is kept, in the origin's spelling, once.
    assert_eq!(
        vary_after(
            "CachingOptimized",
            Some("CORS-CustomOrigin"),
            &["origin, Origin, X-Other"]
        ),
        (Some("origin".to_owned()), false)
    );
    // User-Agent only when forwarded.
    assert_eq!(
        vary_after(
            "CachingOptimized",
            Some("UserAgentRefererHeaders"),
            &["User-Agent"]
        ),
        (Some("User-Agent".to_owned()), false)
    );
    assert_eq!(
        vary_after("CachingOptimized", None, &["User-Agent"]),
        (None, false)
    );
    // All viewer headers forwarded: every name stays.
    assert_eq!(
        vary_after("CachingDisabled", Some("AllViewer"), &["X-Custom"]),
        (Some("X-Custom".to_owned()), false)
    );
    // `*` is kept and reported.
    assert_eq!(
        vary_after("CachingOptimized", None, &["*"]),
        (Some("*".to_owned()), true)
    );
}
