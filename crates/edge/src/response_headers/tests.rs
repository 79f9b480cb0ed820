//! Spec §6 conformance: each block, `Override` both ways, remove-then-add, CORS triggers,
//! wildcard origins, Server-Timing and the five managed response headers policies.

use http::{HeaderMap, Method};
use stratus_model::cloudfront::policies::{
    response_headers_policy, ContentSecurityPolicy, ContentTypeOptions, CorsConfig, CorsMethod,
    CustomHeader, CustomHeadersConfig, FrameOption, FrameOptions, ReferrerPolicy,
    ReferrerPolicyValue, RemoveHeader, RemoveHeadersConfig, ResponseHeadersPolicyConfig,
    SecurityHeadersConfig, ServerTimingHeadersConfig, StrictTransportSecurity, XssProtection,
};
use stratus_model::cloudfront::wire::List;

use super::*;

const ORIGIN_A: &str = "https://app.example.com";

fn policy() -> ResponseHeadersPolicyConfig {
    ResponseHeadersPolicyConfig {
        name: "test".to_owned(),
        comment: None,
        cors_config: None,
        security_headers_config: None,
        custom_headers_config: None,
        remove_headers_config: None,
        server_timing_headers_config: None,
    }
}

fn strings(v: &[&str]) -> List<String> {
    List(v.iter().map(|s| (*s).to_owned()).collect())
}

fn cors(origins: &[&str]) -> CorsConfig {
    CorsConfig {
        access_control_allow_origins: strings(origins),
        access_control_allow_headers: strings(&["Content-Type", "X-Api-Key"]),
        access_control_allow_methods: List(vec![CorsMethod::Get, CorsMethod::Post]),
        access_control_allow_credentials: false,
        access_control_expose_headers: strings(&["X-Request-Id"]),
        access_control_max_age_sec: Some(600),
        origin_override: true,
    }
}

fn with_cors(c: CorsConfig) -> ResponseHeadersPolicyConfig {
    ResponseHeadersPolicyConfig {
        cors_config: Some(c),
        ..policy()
    }
}

fn get(origin: Option<&str>) -> RequestFacts<'_> {
    RequestFacts {
        method: &Method::GET,
        origin,
        access_control_request_method: None,
        access_control_request_headers: None,
        pragma_server_timing: false,
    }
}

fn preflight(origin: &str) -> RequestFacts<'_> {
    RequestFacts {
        method: &Method::OPTIONS,
        origin: Some(origin),
        access_control_request_method: Some("POST"),
        access_control_request_headers: Some("content-type,x-api-key"),
        pragma_server_timing: false,
    }
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (n, v) in pairs {
        h.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

/// The response as sorted `(name, value)` pairs, every value of every header.
fn pairs(h: &HeaderMap) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = h
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    v.sort();
    v
}

fn want(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    v.sort();
    v
}

fn run(
    p: &ResponseHeadersPolicyConfig,
    req: &RequestFacts<'_>,
    origin_headers: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut h = headers(origin_headers);
    apply(p, req, &mut h, None);
    pairs(&h)
}

// --- CORS ---------------------------------------------------------------------------------

#[test]
fn cors_headers_only_for_requests_with_origin() {
    let p = with_cors(cors(&["*"]));
    assert_eq!(
        run(&p, &get(None), &[("content-type", "text/plain")]),
        want(&[("content-type", "text/plain")])
    );
    assert_eq!(
        run(&p, &get(Some(ORIGIN_A)), &[]),
        want(&[
            ("access-control-allow-origin", "*"),
            ("access-control-expose-headers", "X-Request-Id"),
        ])
    );
}

#[test]
fn preflight_only_headers_go_on_preflights_only() {
    let p = with_cors(cors(&[ORIGIN_A]));
    let simple = run(&p, &get(Some(ORIGIN_A)), &[]);
    assert_eq!(
        simple,
        want(&[
            ("access-control-allow-origin", ORIGIN_A),
            ("access-control-expose-headers", "X-Request-Id"),
            ("vary", "Origin"),
        ])
    );
    assert_eq!(
        run(&p, &preflight(ORIGIN_A), &[]),
        want(&[
            ("access-control-allow-origin", ORIGIN_A),
            ("access-control-allow-methods", "GET, POST"),
            ("access-control-allow-headers", "Content-Type, X-Api-Key"),
            ("access-control-max-age", "600"),
            ("access-control-expose-headers", "X-Request-Id"),
            ("vary", "Origin"),
        ])
    );
    // OPTIONS without Access-Control-Request-Method is not a preflight.
    let options = RequestFacts {
        method: &Method::OPTIONS,
        ..get(Some(ORIGIN_A))
    };
    assert!(!is_preflight(&options));
    assert_eq!(run(&p, &options, &[]), simple);
    // Nor is a GET that carries one.
    let get_with_acrm = RequestFacts {
        access_control_request_method: Some("POST"),
        ..get(Some(ORIGIN_A))
    };
    assert!(!is_preflight(&get_with_acrm));
    assert!(is_preflight(&preflight(ORIGIN_A)));
}

#[test]
fn unlisted_origin_gets_no_cors_headers() {
    let p = with_cors(cors(&[ORIGIN_A]));
    assert_eq!(
        run(&p, &preflight("https://evil.example.net"), &[]),
        want(&[])
    );
    assert_eq!(
        run(&p, &get(Some("http://app.example.com")), &[]),
        want(&[])
    );
}

#[test]
fn allow_credentials_only_when_set() {
    let mut c = cors(&[ORIGIN_A]);
    c.access_control_allow_credentials = true;
    let got = run(&with_cors(c), &get(Some(ORIGIN_A)), &[]);
    assert!(got.contains(&(
        "access-control-allow-credentials".to_owned(),
        "true".to_owned()
    )));
    let got = run(&with_cors(cors(&[ORIGIN_A])), &get(Some(ORIGIN_A)), &[]);
    assert!(!got
        .iter()
        .any(|(n, _)| n == "access-control-allow-credentials"));
}

#[test]
fn star_with_credentials_echoes_origin_and_requested_headers() {
    let mut c = cors(&["*"]);
    c.access_control_allow_credentials = true;
    c.access_control_allow_headers = strings(&["*"]);
    let got = run(&with_cors(c), &preflight(ORIGIN_A), &[]);
    assert_eq!(
        got,
        want(&[
            ("access-control-allow-origin", ORIGIN_A),
            ("access-control-allow-credentials", "true"),
            ("access-control-allow-methods", "GET, POST"),
            ("access-control-allow-headers", "content-type,x-api-key"),
            ("access-control-max-age", "600"),
            ("access-control-expose-headers", "X-Request-Id"),
            ("vary", "Origin"),
        ])
    );
}

#[test]
fn allow_methods_all_lists_every_method() {
    let mut c = cors(&["*"]);
    c.access_control_allow_methods = List(vec![CorsMethod::Get, CorsMethod::All]);
    let got = run(&with_cors(c), &preflight(ORIGIN_A), &[]);
    assert!(got.contains(&(
        "access-control-allow-methods".to_owned(),
        "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT".to_owned()
    )));
}

#[test]
fn wildcard_origins() {
    for (pattern, origin, ok) in [
        ("*", "https://anything.example", true),
        ("*", "null", true),
        ("https://app.example.com", "https://app.example.com", true),
        ("https://app.example.com", "HTTPS://APP.EXAMPLE.COM", true),
        ("https://app.example.com", "http://app.example.com", false),
        (
            "https://app.example.com",
            "https://app.example.com:8443",
            false,
        ),
        ("https://*.example.org", "https://a.example.org", true),
        ("https://*.example.org", "https://a.b.example.org", true),
        ("https://*.example.org", "https://example.org", false),
        ("https://*.example.org", "https://.example.org", false),
        ("https://*.example.org", "https://aexample.org", false),
        ("https://*.example.org", "http://a.example.org", false),
        (
            "https://*.example.org",
            "https://a.example.org.evil.net",
            false,
        ),
        ("*.example.org", "http://a.example.org", true),
        ("*.example.org", "https://a.example.org", true),
        (
            "http://*.example.org:8080",
            "http://a.example.org:8080",
            true,
        ),
        ("http://*.example.org:8080", "http://a.example.org", false),
        ("example.org", "https://example.org", true),
    ] {
        assert_eq!(origin_matches(pattern, origin), ok, "{pattern} vs {origin}");
    }
    // Through the policy: the matching origin is echoed, with Vary.
    let p = with_cors(cors(&[
        "https://other.example.com",
        "https://*.example.org",
    ]));
    let got = run(
        &p,
        &get(Some("https://a.example.org")),
        &[("vary", "Accept-Encoding")],
    );
    assert!(got.contains(&(
        "access-control-allow-origin".to_owned(),
        "https://a.example.org".to_owned()
    )));
    assert!(got.contains(&("vary".to_owned(), "Accept-Encoding, Origin".to_owned())));
}

#[test]
fn vary_origin_is_not_duplicated_and_star_is_left_alone() {
    let p = with_cors(cors(&[ORIGIN_A]));
    for (vary, expect) in [
        ("origin", "origin"),
        ("Accept-Encoding, Origin", "Accept-Encoding, Origin"),
        ("*", "*"),
    ] {
        let got = run(&p, &get(Some(ORIGIN_A)), &[("vary", vary)]);
        assert!(
            got.contains(&("vary".to_owned(), expect.to_owned())),
            "{vary}: {got:?}"
        );
    }
    // Two Vary lines fold into one.
    let got = run(
        &p,
        &get(Some(ORIGIN_A)),
        &[("vary", "Accept"), ("vary", "Accept-Encoding")],
    );
    assert!(got.contains(&(
        "vary".to_owned(),
        "Accept, Accept-Encoding, Origin".to_owned()
    )));
    // `*` answers the same to every origin: no Vary.
    let got = run(&with_cors(cors(&["*"])), &get(Some(ORIGIN_A)), &[]);
    assert!(!got.iter().any(|(n, _)| n == "vary"));
}

#[test]
fn cors_origin_override_both_ways() {
    let origin_cors = [
        ("access-control-allow-origin", "https://from-origin.example"),
        ("access-control-expose-headers", "X-Origin"),
    ];
    let mut c = cors(&[ORIGIN_A]);
    c.origin_override = true;
    let got = run(&with_cors(c.clone()), &get(Some(ORIGIN_A)), &origin_cors);
    assert_eq!(
        got,
        want(&[
            ("access-control-allow-origin", ORIGIN_A),
            ("access-control-expose-headers", "X-Request-Id"),
            ("vary", "Origin"),
        ])
    );
    c.origin_override = false;
    let got = run(&with_cors(c.clone()), &get(Some(ORIGIN_A)), &origin_cors);
    assert_eq!(got, want(&origin_cors));
    // Absent from the origin: added either way.
    let got = run(&with_cors(c), &get(Some(ORIGIN_A)), &[]);
    assert_eq!(
        got,
        want(&[
            ("access-control-allow-origin", ORIGIN_A),
            ("access-control-expose-headers", "X-Request-Id"),
            ("vary", "Origin"),
        ])
    );
}

// --- Security headers ---------------------------------------------------------------------

fn all_security(override_: bool) -> SecurityHeadersConfig {
    SecurityHeadersConfig {
        content_security_policy: Some(ContentSecurityPolicy {
            content_security_policy: "default-src 'self'".to_owned(),
            r#override: override_,
        }),
        content_type_options: Some(ContentTypeOptions {
            r#override: override_,
        }),
        frame_options: Some(FrameOptions {
            frame_option: FrameOption::Deny,
            r#override: override_,
        }),
        referrer_policy: Some(ReferrerPolicy {
            referrer_policy: ReferrerPolicyValue::NoReferrer,
            r#override: override_,
        }),
        strict_transport_security: Some(StrictTransportSecurity {
            access_control_max_age_sec: 63_072_000,
            include_subdomains: true,
            preload: true,
            r#override: override_,
        }),
        xss_protection: Some(XssProtection {
            protection: true,
            mode_block: true,
            report_uri: None,
            r#override: override_,
        }),
    }
}

fn with_security(s: SecurityHeadersConfig) -> ResponseHeadersPolicyConfig {
    ResponseHeadersPolicyConfig {
        security_headers_config: Some(s),
        ..policy()
    }
}

const POLICY_SECURITY: [(&str, &str); 6] = [
    ("content-security-policy", "default-src 'self'"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains; preload",
    ),
    ("x-xss-protection", "1; mode=block"),
];

const ORIGIN_SECURITY: [(&str, &str); 6] = [
    ("content-security-policy", "default-src *"),
    ("x-content-type-options", "sniff-away"),
    ("x-frame-options", "SAMEORIGIN"),
    ("referrer-policy", "unsafe-url"),
    ("strict-transport-security", "max-age=1"),
    ("x-xss-protection", "0"),
];

#[test]
fn security_headers_all_blocks() {
    for override_ in [true, false] {
        let got = run(&with_security(all_security(override_)), &get(None), &[]);
        assert_eq!(got, want(&POLICY_SECURITY), "override {override_}");
    }
}

#[test]
fn security_headers_override_both_ways() {
    let got = run(
        &with_security(all_security(true)),
        &get(None),
        &ORIGIN_SECURITY,
    );
    assert_eq!(got, want(&POLICY_SECURITY));
    let got = run(
        &with_security(all_security(false)),
        &get(None),
        &ORIGIN_SECURITY,
    );
    assert_eq!(got, want(&ORIGIN_SECURITY));
}

#[test]
fn security_headers_apply_without_origin_header_on_the_request() {
    // Unlike CORS, security headers go on every response.
    let got = run(
        &with_security(all_security(true)),
        &get(Some(ORIGIN_A)),
        &[],
    );
    assert_eq!(got, want(&POLICY_SECURITY));
}

#[test]
fn hsts_and_xss_variants() {
    let hsts = |sub, pre| {
        let s = SecurityHeadersConfig {
            strict_transport_security: Some(StrictTransportSecurity {
                access_control_max_age_sec: 300,
                include_subdomains: sub,
                preload: pre,
                r#override: true,
            }),
            ..SecurityHeadersConfig::default()
        };
        run(&with_security(s), &get(None), &[])
    };
    assert_eq!(
        hsts(false, false),
        want(&[("strict-transport-security", "max-age=300")])
    );
    assert_eq!(
        hsts(true, false),
        want(&[(
            "strict-transport-security",
            "max-age=300; includeSubDomains"
        )])
    );
    assert_eq!(
        hsts(false, true),
        want(&[("strict-transport-security", "max-age=300; preload")])
    );

    let xss = |protection, mode_block, report_uri: Option<&str>| {
        let s = SecurityHeadersConfig {
            xss_protection: Some(XssProtection {
                protection,
                mode_block,
                report_uri: report_uri.map(str::to_owned),
                r#override: true,
            }),
            ..SecurityHeadersConfig::default()
        };
        run(&with_security(s), &get(None), &[])
    };
    assert_eq!(
        xss(true, true, None),
        want(&[("x-xss-protection", "1; mode=block")])
    );
    assert_eq!(
        xss(true, false, Some("https://r.example.com/xss")),
        want(&[("x-xss-protection", "1; report=https://r.example.com/xss")])
    );
    assert_eq!(xss(true, false, None), want(&[("x-xss-protection", "1")]));
    assert_eq!(xss(false, true, None), want(&[("x-xss-protection", "0")]));
}

// --- Custom and removed headers -----------------------------------------------------------

fn custom(items: &[(&str, &str, bool)]) -> CustomHeadersConfig {
    CustomHeadersConfig {
        items: List(
            items
                .iter()
                .map(|(h, v, o)| CustomHeader {
                    header: (*h).to_owned(),
                    value: (*v).to_owned(),
                    r#override: *o,
                })
                .collect(),
        ),
    }
}

fn remove_list(names: &[&str]) -> RemoveHeadersConfig {
    RemoveHeadersConfig {
        items: List(
            names
                .iter()
                .map(|h| RemoveHeader {
                    header: (*h).to_owned(),
                })
                .collect(),
        ),
    }
}

#[test]
fn custom_headers_override_both_ways() {
    let p = ResponseHeadersPolicyConfig {
        custom_headers_config: Some(custom(&[
            ("Cache-Control", "no-store", true),
            ("X-Team", "edge", false),
            ("X-New", "added", false),
        ])),
        ..policy()
    };
    let got = run(
        &p,
        &get(None),
        &[("cache-control", "max-age=60"), ("x-team", "origin")],
    );
    assert_eq!(
        got,
        want(&[
            ("cache-control", "no-store"),
            ("x-team", "origin"),
            ("x-new", "added"),
        ])
    );
}

#[test]
fn override_replaces_every_value_of_a_multi_valued_header() {
    let p = ResponseHeadersPolicyConfig {
        custom_headers_config: Some(custom(&[("X-Multi", "policy", true)])),
        ..policy()
    };
    let got = run(&p, &get(None), &[("x-multi", "a"), ("x-multi", "b")]);
    assert_eq!(got, want(&[("x-multi", "policy")]));
}

#[test]
fn remove_runs_first_then_adds() {
    let p = ResponseHeadersPolicyConfig {
        remove_headers_config: Some(remove_list(&["X-Powered-By", "x-team", "X-Frame-Options"])),
        custom_headers_config: Some(custom(&[("X-Team", "edge", false)])),
        security_headers_config: Some(SecurityHeadersConfig {
            frame_options: Some(FrameOptions {
                frame_option: FrameOption::SameOrigin,
                r#override: false,
            }),
            ..SecurityHeadersConfig::default()
        }),
        ..policy()
    };
    let got = run(
        &p,
        &get(None),
        &[
            ("x-powered-by", "Express"),
            ("x-team", "origin"),
            ("x-frame-options", "DENY"),
            ("etag", "\"1\""),
        ],
    );
    // Removed and added ⇒ present with the policy's value, even with Override false.
    assert_eq!(
        got,
        want(&[
            ("x-team", "edge"),
            ("x-frame-options", "SAMEORIGIN"),
            ("etag", "\"1\""),
        ])
    );
}

#[test]
fn removing_server_or_date_brings_back_cloudfronts_own() {
    let p = ResponseHeadersPolicyConfig {
        remove_headers_config: Some(remove_list(&["Server", "Date"])),
        ..policy()
    };
    let mut h = headers(&[
        ("server", "gunicorn"),
        ("date", "Thu, 01 Jan 1970 00:00:00 GMT"),
    ]);
    apply(&p, &get(None), &mut h, None);
    assert_eq!(h.get("server").unwrap(), "CloudFront");
    let date = h.get("date").unwrap().to_str().unwrap();
    assert_ne!(date, "Thu, 01 Jan 1970 00:00:00 GMT");
    assert!(httpdate::parse_http_date(date).is_ok());
    // Nothing to remove: nothing emitted.
    let mut h = HeaderMap::new();
    apply(&p, &get(None), &mut h, None);
    assert!(h.is_empty());
}

#[test]
fn framing_headers_are_never_removed() {
    let p = ResponseHeadersPolicyConfig {
        remove_headers_config: Some(remove_list(&["Content-Length", "Transfer-Encoding"])),
        ..policy()
    };
    let got = run(&p, &get(None), &[("content-length", "5")]);
    assert_eq!(got, want(&[("content-length", "5")]));
}

// --- Server-Timing ------------------------------------------------------------------------

fn timing(cache: CacheTiming, sample: f64) -> ServerTiming<'static> {
    let upstream = cache != CacheTiming::Hit;
    ServerTiming {
        cache,
        pop: "LHR50-P1",
        request_id: "abc==",
        upstream_connect_ms: upstream.then_some(12),
        upstream_first_byte_ms: upstream.then_some(40),
        downstream_first_byte_ms: 45,
        sample,
    }
}

fn with_timing(enabled: bool, rate: Option<f64>) -> ResponseHeadersPolicyConfig {
    ResponseHeadersPolicyConfig {
        server_timing_headers_config: Some(ServerTimingHeadersConfig {
            enabled,
            sampling_rate: rate,
        }),
        ..policy()
    }
}

fn server_timing_of(
    p: &ResponseHeadersPolicyConfig,
    req: &RequestFacts<'_>,
    origin_headers: &[(&str, &str)],
    t: &ServerTiming<'_>,
) -> Option<String> {
    let mut h = headers(origin_headers);
    apply(p, req, &mut h, Some(t));
    h.get("server-timing")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[test]
fn server_timing_metrics() {
    assert_eq!(
        server_timing_value(&timing(CacheTiming::Miss, 0.0)),
        "cdn-upstream-layer;desc=\"EDGE\",cdn-upstream-dns;dur=0,cdn-upstream-connect;dur=12,\
         cdn-upstream-fbl;dur=40,cdn-cache-miss,cdn-pop;desc=\"LHR50-P1\",cdn-rid;desc=\"abc==\",\
         cdn-downstream-fbl;dur=45"
    );
    assert_eq!(
        server_timing_value(&timing(CacheTiming::Hit, 0.0)),
        "cdn-cache-hit,cdn-pop;desc=\"LHR50-P1\",cdn-rid;desc=\"abc==\",\
         cdn-hit-layer;desc=\"EDGE\",cdn-downstream-fbl;dur=45"
    );
    assert!(server_timing_value(&timing(CacheTiming::Refresh, 0.0))
        .contains("cdn-cache-refresh,cdn-pop"));
}

#[test]
fn server_timing_sampling_is_by_draw() {
    let p = with_timing(true, Some(25.0));
    let t_in = timing(CacheTiming::Hit, 0.2499);
    let t_out = timing(CacheTiming::Hit, 0.25);
    assert!(server_timing_of(&p, &get(None), &[], &t_in).is_some());
    assert!(server_timing_of(&p, &get(None), &[], &t_out).is_none());
    // 0 % never, 100 % always.
    assert!(server_timing_of(
        &with_timing(true, Some(0.0)),
        &get(None),
        &[],
        &timing(CacheTiming::Hit, 0.0)
    )
    .is_none());
    assert!(server_timing_of(
        &with_timing(true, Some(100.0)),
        &get(None),
        &[],
        &timing(CacheTiming::Hit, 0.9999)
    )
    .is_some());
    // Without measurements nothing is added.
    let mut h = HeaderMap::new();
    apply(&with_timing(true, Some(100.0)), &get(None), &mut h, None);
    assert!(h.is_empty());
}

#[test]
fn pragma_server_timing_forces_it_only_when_enabled() {
    let mut facts_headers = HeaderMap::new();
    facts_headers.insert(
        "pragma",
        HeaderValue::from_static("no-cache, Server-Timing"),
    );
    let req = RequestFacts::from_headers(&Method::GET, &facts_headers);
    assert!(req.pragma_server_timing);
    let t = timing(CacheTiming::Hit, 0.99);
    assert!(server_timing_of(&with_timing(true, Some(0.0)), &req, &[], &t).is_some());
    assert!(server_timing_of(&with_timing(true, None), &req, &[], &t).is_some());
    assert!(server_timing_of(&with_timing(false, Some(100.0)), &req, &[], &t).is_none());
}

#[test]
fn server_timing_merges_with_the_origins() {
    let p = with_timing(true, Some(100.0));
    let t = timing(CacheTiming::Miss, 0.0);
    let got = server_timing_of(
        &p,
        &get(None),
        &[
            ("server-timing", "db;dur=53"),
            ("server-timing", "app;dur=47.2"),
        ],
        &t,
    )
    .unwrap();
    assert_eq!(
        got,
        format!("db;dur=53, app;dur=47.2, {}", server_timing_value(&t))
    );
    // A policy that removes the origin's Server-Timing keeps only CloudFront's.
    let p = ResponseHeadersPolicyConfig {
        remove_headers_config: Some(remove_list(&["Server-Timing"])),
        ..p
    };
    let got = server_timing_of(&p, &get(None), &[("server-timing", "db;dur=53")], &t).unwrap();
    assert_eq!(got, server_timing_value(&t));
}

// --- Request facts ------------------------------------------------------------------------

#[test]
fn request_facts_from_headers() {
    let h = headers(&[
        ("origin", ORIGIN_A),
        ("access-control-request-method", "PUT"),
        ("access-control-request-headers", "x-a"),
    ]);
    let f = RequestFacts::from_headers(&Method::OPTIONS, &h);
    assert_eq!(f.origin, Some(ORIGIN_A));
    assert_eq!(f.access_control_request_method, Some("PUT"));
    assert_eq!(f.access_control_request_headers, Some("x-a"));
    assert!(!f.pragma_server_timing);
    assert!(is_preflight(&f));
    let empty = headers(&[("origin", "")]);
    assert_eq!(
        RequestFacts::from_headers(&Method::GET, &empty).origin,
        None
    );
}

// --- Managed policies (spec §6 table) -----------------------------------------------------

fn managed(name: &str) -> &'static ResponseHeadersPolicyConfig {
    &response_headers_policy(name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .config
}

const SECURITY_TABLE: [(&str, &str); 5] = [
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("strict-transport-security", "max-age=31536000"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "SAMEORIGIN"),
    ("x-xss-protection", "1; mode=block"),
];

const PREFLIGHT_TABLE: [(&str, &str); 3] = [
    ("access-control-allow-origin", "*"),
    (
        "access-control-allow-methods",
        "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT",
    ),
    ("access-control-expose-headers", "*"),
];

#[test]
fn managed_simple_cors() {
    let p = managed("SimpleCORS");
    assert_eq!(run(p, &get(None), &[]), want(&[]));
    assert_eq!(
        run(p, &get(Some(ORIGIN_A)), &[]),
        want(&[("access-control-allow-origin", "*")])
    );
    assert_eq!(
        run(p, &preflight(ORIGIN_A), &[]),
        want(&[("access-control-allow-origin", "*")])
    );
    // Override no.
    let o = [("access-control-allow-origin", ORIGIN_A)];
    assert_eq!(run(p, &get(Some(ORIGIN_A)), &o), want(&o));
}

#[test]
fn managed_cors_with_preflight() {
    let p = managed("CORS-With-Preflight");
    assert_eq!(run(p, &get(None), &[]), want(&[]));
    assert_eq!(
        run(p, &get(Some(ORIGIN_A)), &[]),
        want(&[
            ("access-control-allow-origin", "*"),
            ("access-control-expose-headers", "*"),
        ])
    );
    assert_eq!(run(p, &preflight(ORIGIN_A), &[]), want(&PREFLIGHT_TABLE));
    // Override no.
    let o = [("access-control-allow-methods", "GET")];
    let got = run(p, &preflight(ORIGIN_A), &o);
    assert!(got.contains(&("access-control-allow-methods".to_owned(), "GET".to_owned())));
}

#[test]
fn managed_security_headers_policy() {
    let p = managed("SecurityHeadersPolicy");
    assert_eq!(run(p, &get(None), &[]), want(&SECURITY_TABLE));
    assert_eq!(run(p, &preflight(ORIGIN_A), &[]), want(&SECURITY_TABLE));
    // Only X-Content-Type-Options overrides the origin.
    let origin = [
        ("referrer-policy", "no-referrer"),
        ("strict-transport-security", "max-age=5"),
        ("x-content-type-options", "whatever"),
        ("x-frame-options", "DENY"),
        ("x-xss-protection", "0"),
    ];
    assert_eq!(
        run(p, &get(None), &origin),
        want(&[
            ("referrer-policy", "no-referrer"),
            ("strict-transport-security", "max-age=5"),
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("x-xss-protection", "0"),
        ])
    );
}

#[test]
fn managed_cors_and_security_headers_policy() {
    let p = managed("CORS-and-SecurityHeadersPolicy");
    assert_eq!(run(p, &get(None), &[]), want(&SECURITY_TABLE));
    let mut expect = SECURITY_TABLE.to_vec();
    expect.push(("access-control-allow-origin", "*"));
    assert_eq!(run(p, &get(Some(ORIGIN_A)), &[]), want(&expect));
    assert_eq!(run(p, &preflight(ORIGIN_A), &[]), want(&expect));
}

#[test]
fn managed_cors_with_preflight_and_security_headers_policy() {
    let p = managed("eaab4381-ed33-4a86-88ca-d9558dc6cd63");
    assert_eq!(
        p.name,
        "Managed-CORS-with-preflight-and-SecurityHeadersPolicy"
    );
    assert_eq!(run(p, &get(None), &[]), want(&SECURITY_TABLE));
    let mut expect = SECURITY_TABLE.to_vec();
    expect.extend_from_slice(&PREFLIGHT_TABLE);
    assert_eq!(run(p, &preflight(ORIGIN_A), &[]), want(&expect));
    let mut simple = SECURITY_TABLE.to_vec();
    simple.extend_from_slice(&[
        ("access-control-allow-origin", "*"),
        ("access-control-expose-headers", "*"),
    ]);
    assert_eq!(run(p, &get(Some(ORIGIN_A)), &[]), want(&simple));
}
