//! The edge's caching end to end against a test origin it can count, change and stop:
//! custom error responses, error caching, stale-if-error, Vary and HEAD.

mod common;

use common::origin::TestOrigin;
use common::{x_cache, Server};

const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const USE_ORIGIN_CACHE_CONTROL: &str = "83da9c7e-98b4-4e11-a168-04f0df8e2c65";
const CORS_CUSTOM_ORIGIN: &str = "59781a5b-3903-41f3-afcb-af62929ccde1";

/// An origin nothing listens on (one attempt, 1 s to connect) and a CachingDisabled
/// behavior `/dead/*` for it: the extra origin and the behavior, for [`config`].
fn dead_origin() -> (String, &'static str) {
    let port = common::free_port();
    (
        format!(
            r#", {{"Id": "dead", "DomainName": "127.0.0.1", "ConnectionAttempts": 1, "ConnectionTimeout": 1,
                   "CustomOriginConfig": {{"OriginProtocolPolicy": "http-only", "HTTPPort": {port}}}}}"#
        ),
        r#"{"PathPattern": "/dead/*", "TargetOriginId": "dead", "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"}"#,
    )
}

/// A distribution in front of `origin` (plain HTTP), CachingOptimized by default.
fn config(origin: &TestOrigin, extra_origins: &str, behaviors: &str, errors: &str) -> String {
    format!(
        r#"{{"Enabled": true,
            "Origins": [{{"Id": "origin", "DomainName": "127.0.0.1",
                          "CustomOriginConfig": {{"OriginProtocolPolicy": "http-only", "HTTPPort": {port}}}}}{extra_origins}],
            "DefaultCacheBehavior": {{"TargetOriginId": "origin", "ViewerProtocolPolicy": "allow-all",
                                     "CachePolicyId": "{CACHING_OPTIMIZED}"}},
            "CacheBehaviors": [{behaviors}],
            "CustomErrorResponses": [{errors}]}}"#,
        port = origin.addr.port()
    )
}

#[tokio::test]
async fn custom_error_responses_replace_errors_with_their_pages() {
    let server = Server::start("");
    let origin = TestOrigin::start().await;
    origin.route(
        "/missing",
        404,
        &[("content-type", "text/plain")],
        "origin's own 404",
    );
    origin.route("/empty", 404, &[], "");
    origin.route("/down", 503, &[], "overloaded");
    origin.route(
        "/errors/404.html",
        200,
        &[("content-type", "text/html"), ("x-page", "yes")],
        "<h1>custom not found</h1>",
    );
    origin.route(
        "/errors/502.html",
        200,
        &[("content-type", "text/html")],
        "<h1>origin unreachable</h1>",
    );
    let (dead, dead_behavior) = dead_origin();
    let domain = server.distribution_json(&config(
        &origin,
        &dead,
        dead_behavior,
        r#"{"ErrorCode": 404, "ResponsePagePath": "/errors/404.html", "ResponseCode": "200", "ErrorCachingMinTTL": 60},
           {"ErrorCode": 502, "ResponsePagePath": "/errors/502.html", "ResponseCode": "503"},
           {"ErrorCode": 503, "ErrorCachingMinTTL": 0}"#,
    ));

    // The origin's 404 becomes the page, with ResponseCode 200; CloudFront still calls it an
    // Error.
    for _ in 0..2 {
        let r = server.edge_get(&domain, "/missing", &[]).await;
        assert_eq!(r.status(), 200);
        assert_eq!(x_cache(&r), "Error from cloudfront");
        assert_eq!(r.headers()["content-type"], "text/html");
        assert_eq!(r.headers()["x-page"], "yes");
        assert_eq!(r.text().await.unwrap(), "<h1>custom not found</h1>");
    }
    // The error is cached for ErrorCachingMinTTL; the page is cached like any object.
    assert_eq!(origin.hits("/missing"), 1);
    assert_eq!(origin.hits("/errors/404.html"), 1);

    // An empty error body is replaced as well.
    let r = server.edge_get(&domain, "/empty", &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "<h1>custom not found</h1>");

    // HEAD: the page's status and length, no body.
    let r = reqwest::Client::new()
        .head(server.edge_http_url("/missing"))
        .header("host", &domain)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], "25");
    assert_eq!(r.text().await.unwrap(), "");

    // ErrorCachingMinTTL 0 and no page: the origin's 503 passes, and is not cached.
    for _ in 0..2 {
        let r = server.edge_get(&domain, "/down", &[]).await;
        assert_eq!(r.status(), 503);
        assert_eq!(x_cache(&r), "Error from cloudfront");
        assert_eq!(r.text().await.unwrap(), "overloaded");
    }
    assert_eq!(origin.hits("/down"), 2);

    // CloudFront's own 502 (the origin cannot be reached) gets the 502 page, fetched through
    // the default behavior, with ResponseCode 503.
    let r = server.edge_get(&domain, "/dead/x", &[]).await;
    assert_eq!(r.status(), 503);
    assert_eq!(x_cache(&r), "Error from cloudfront");
    assert_eq!(r.text().await.unwrap(), "<h1>origin unreachable</h1>");

    // The internal page fetch cannot be forged from outside: a viewer's copy of the marker
    // header is dropped and the request routes as any other.
    let r = reqwest::Client::new()
        .get(server.edge_http_url("/errors/404.html"))
        .header("host", &domain)
        .header("x-stratus-internal-fetch", "guess")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(origin
        .last_headers("/errors/404.html")
        .is_some_and(|h| !h.contains_key("x-stratus-internal-fetch")));
}

#[tokio::test]
async fn expired_objects_are_served_when_the_origin_fails() {
    let server = Server::start("");
    let mut origin = TestOrigin::start().await;
    origin.route("/obj", 200, &[("cache-control", "max-age=1")], "v1");
    origin.route(
        "/strict",
        200,
        &[("cache-control", "max-age=1, stale-if-error=0")],
        "strict v1",
    );
    let domain = server.distribution_json(&config(&origin, "", "", ""));
    for path in ["/obj", "/strict"] {
        assert_eq!(
            x_cache(&server.edge_get(&domain, path, &[]).await),
            "Miss from cloudfront"
        );
        assert_eq!(
            x_cache(&server.edge_get(&domain, path, &[]).await),
            "Hit from cloudfront"
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;

    // Expired, and the origin answers 500: the stale copy is served.
    origin.route("/obj", 500, &[], "broken");
    let r = server.edge_get(&domain, "/obj", &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "v1");
    assert_eq!(origin.hits("/obj"), 2, "the origin was asked first");
    // …and then not again for the error-caching period (10 s): the stale copy is served.
    let r = server.edge_get(&domain, "/obj", &[]).await;
    assert_eq!(r.text().await.unwrap(), "v1");
    assert_eq!(origin.hits("/obj"), 2, "held off for ErrorCachingMinTTL");

    // The origin is gone: still the stale copy, unless it said stale-if-error=0.
    origin.stop();
    let r = server.edge_get(&domain, "/obj", &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "v1");
    let r = server.edge_get(&domain, "/strict", &[]).await;
    assert_eq!(r.status(), 502);
    assert_eq!(x_cache(&r), "Error from cloudfront");
}

#[tokio::test]
async fn vary_keeps_only_forwarded_names_and_head_fills_the_cache() {
    let server = Server::start("");
    let origin = TestOrigin::start().await;
    origin.route(
        "/v",
        200,
        &[
            ("cache-control", "max-age=60"),
            ("vary", "Accept-Encoding, X-Dropped, Origin"),
        ],
        "varied",
    );
    origin.route(
        "/star/a",
        200,
        &[("cache-control", "max-age=60"), ("vary", "*")],
        "star",
    );
    origin.route(
        "/star/b",
        200,
        &[("cache-control", "max-age=60")],
        "no star",
    );
    origin.route(
        "/h",
        200,
        &[
            ("cache-control", "max-age=60"),
            ("content-type", "text/plain"),
        ],
        "head then get",
    );
    let domain = server.distribution_json(&config(
        &origin,
        "",
        &format!(
            r#"{{"PathPattern": "/v", "TargetOriginId": "origin", "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": "{CACHING_OPTIMIZED}", "OriginRequestPolicyId": "{CORS_CUSTOM_ORIGIN}"}},
               {{"PathPattern": "/star/*", "TargetOriginId": "origin", "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": "{USE_ORIGIN_CACHE_CONTROL}"}}"#
        ),
        "",
    ));
    let client = reqwest::Client::new();
    let send = |path: &str, dropped: &str| {
        client
            .get(server.edge_http_url(path))
            .header("host", &domain)
            .header("x-dropped", dropped)
            .send()
    };

    // Vary keeps Accept-Encoding and the forwarded Origin; X-Dropped is neither in the key nor
    // forwarded, so it is dropped and does not split the cache.
    let r = send("/v", "one").await.unwrap();
    assert_eq!(r.headers()["vary"], "Accept-Encoding, Origin");
    assert_eq!(x_cache(&r), "Miss from cloudfront");
    let r = send("/v", "two").await.unwrap();
    assert_eq!(x_cache(&r), "Hit from cloudfront");
    assert_eq!(r.headers()["vary"], "Accept-Encoding, Origin");
    assert_eq!(origin.hits("/v"), 1);

    // `Vary: *` under a MinTTL-0 policy: every request goes to the origin.
    for _ in 0..2 {
        send("/star/a", "x").await.unwrap();
        send("/star/b", "x").await.unwrap();
    }
    assert_eq!(origin.hits("/star/a"), 2);
    assert_eq!(origin.hits("/star/b"), 1);

    // HEAD on a miss fetches the object with GET and caches it; the viewer gets the length
    // and no body; a GET after it is a hit.
    let r = client
        .head(server.edge_http_url("/h"))
        .header("host", &domain)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(x_cache(&r), "Miss from cloudfront");
    assert_eq!(r.headers()["content-length"], "13");
    assert_eq!(r.text().await.unwrap(), "");
    assert_eq!(origin.last_method("/h").as_deref(), Some("GET"));
    let r = send("/h", "x").await.unwrap();
    assert_eq!(x_cache(&r), "Hit from cloudfront");
    assert_eq!(r.text().await.unwrap(), "head then get");
    let r = client
        .head(server.edge_http_url("/h"))
        .header("host", &domain)
        .send()
        .await
        .unwrap();
    assert_eq!(x_cache(&r), "Hit from cloudfront");
    assert_eq!(r.headers()["content-length"], "13");
    assert_eq!(origin.hits("/h"), 1);
}

/// Two GETs of `path` through the edge (each with `header` set to its value, when given);
/// returns how many requests the origin has had for the path.
async fn twice(
    server: &Server,
    origin: &TestOrigin,
    domain: &str,
    path: &str,
    header: Option<(&str, [&str; 2])>,
) -> usize {
    let client = reqwest::Client::new();
    for n in 0..2 {
        let mut r = client
            .get(server.edge_http_url(path))
            .header("host", domain);
        if let Some((name, values)) = header {
            r = r.header(name, values[n]);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    origin.hits(path.split('?').next().unwrap_or(path))
}

/// Every managed cache policy, end to end: whether a response without `Cache-Control` and one
/// with `max-age=60` are stored (DefaultTTL, MaxTTL), and whether a query parameter, a header
/// and a cookie split the cache (the policy's key), checked by counting origin requests.
/// Expectations come from each policy's own settings in the model, so every policy the model
/// lists is exercised with its real ID.
#[tokio::test]
async fn every_managed_cache_policy_keys_and_caches_as_documented() {
    use stratus_model::cloudfront::policies::{
        managed_cache_policies, CachePolicyHeaderBehavior, CookieBehavior, QueryStringBehavior,
    };

    let server = Server::start("");
    let origin = TestOrigin::start().await;
    for (i, managed) in managed_cache_policies().iter().enumerate() {
        let (policy, label) = (&managed.config, managed.name);
        let params = &policy.parameters_in_cache_key_and_forwarded_to_origin;
        origin.route(&format!("/{i}/plain"), 200, &[], "plain");
        for part in ["cc", "q", "h", "c"] {
            origin.route(
                &format!("/{i}/{part}"),
                200,
                &[("cache-control", "max-age=60")],
                part,
            );
        }
        let domain = server.distribution_json(&format!(
            r#"{{"Enabled": true,
                "Origins": [{{"Id": "o", "DomainName": "127.0.0.1",
                  "CustomOriginConfig": {{"OriginProtocolPolicy": "http-only", "HTTPPort": {port}}}}}],
                "DefaultCacheBehavior": {{"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                  "CachePolicyId": "{id}"}}}}"#,
            port = origin.addr.port(),
            id = managed.id,
        ));
        let stores = policy.max_ttl > 0;
        let expect = |split: bool| if !stores || split { 2 } else { 1 };

        // No Cache-Control: DefaultTTL (raised to MinTTL) decides.
        let plain_stored = policy.default_ttl.max(policy.min_ttl) > 0;
        let hits = twice(&server, &origin, &domain, &format!("/{i}/plain"), None).await;
        assert_eq!(hits, expect(!plain_stored), "{label}: DefaultTTL");
        // max-age=60: stored whenever MaxTTL allows.
        let hits = twice(&server, &origin, &domain, &format!("/{i}/cc"), None).await;
        assert_eq!(hits, expect(false), "{label}: max-age");

        // A query parameter: a listed one for a whitelist, an unlisted one otherwise.
        let qs = &params.query_strings_config;
        let listed = qs.query_strings.iter().next().cloned();
        let (param, in_key) = match (qs.query_string_behavior, listed) {
            (QueryStringBehavior::Whitelist, Some(q)) => (q, true),
            (QueryStringBehavior::All, _) => ("zz".to_string(), true),
            (QueryStringBehavior::AllExcept, _) => (
                "zz".to_string(),
                !qs.query_strings.iter().any(|q| q == "zz"),
            ),
            _ => ("zz".to_string(), false),
        };
        let client = reqwest::Client::new();
        for v in ["1", "2"] {
            let r = client
                .get(server.edge_http_url(&format!("/{i}/q?{param}={v}")))
                .header("host", &domain)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
        let hits = origin.hits(&format!("/{i}/q"));
        assert_eq!(hits, expect(in_key), "{label}: query {param}");

        // A header: one the policy lists (not Host, Authorization or a CloudFront-* header,
        // which this viewer does not vary), else one no policy lists.
        let hc = &params.headers_config;
        let listed = hc
            .headers
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .find(|h| h != "host" && h != "authorization" && !h.starts_with("cloudfront-"));
        let (header, in_key) = match (hc.header_behavior, listed) {
            (CachePolicyHeaderBehavior::Whitelist, Some(h)) => (h, true),
            _ => ("x-not-in-any-policy".to_string(), false),
        };
        let path = format!("/{i}/h");
        let hits = twice(
            &server,
            &origin,
            &domain,
            &path,
            Some((&header, ["a", "b"])),
        )
        .await;
        assert_eq!(hits, expect(in_key), "{label}: header {header}");

        // A cookie.
        let cookies = &params.cookies_config;
        let in_key = match cookies.cookie_behavior {
            CookieBehavior::None => false,
            CookieBehavior::All => true,
            CookieBehavior::AllExcept => !cookies.cookies.iter().any(|c| c == "s"),
            CookieBehavior::Whitelist => cookies.cookies.iter().any(|c| c == "s"),
        };
        let path = format!("/{i}/c");
        let hits = twice(
            &server,
            &origin,
            &domain,
            &path,
            Some(("cookie", ["s=1", "s=2"])),
        )
        .await;
        assert_eq!(hits, expect(in_key), "{label}: cookie");
    }
}

/// A custom cache policy with `keyed` in it; returns its id.
fn custom_cache_policy(server: &Server, name: &str, params: &str) -> String {
    let path = server.state().join(format!("{name}.json"));
    std::fs::write(
        &path,
        format!(
            r#"{{"Name": "{name}", "MinTTL": 0, "DefaultTTL": 60, "MaxTTL": 3600,
                "ParametersInCacheKeyAndForwardedToOrigin": {params}}}"#
        ),
    )
    .unwrap();
    let out = server.cli(&[
        "cache-policy",
        "create",
        "--cache-policy-config",
        path.to_str().unwrap(),
    ]);
    out.split_whitespace().next().unwrap().to_string()
}

/// CloudFront's exceptions to three of its mechanisms, each against a custom policy:
/// concurrent misses are not collapsed when cookies are in the key; a policy that lists
/// `Accept-Encoding` itself gets no edge compression; and an invalidation matches the query
/// parameters in the key, whatever else the request carries.
#[tokio::test]
async fn collapsing_compression_and_invalidation_follow_the_policy() {
    let server = Server::start("");
    let origin = TestOrigin::start().await;
    let html = "<p>compress me</p>".repeat(200);
    for path in ["/slow", "/page", "/q"] {
        origin.route(
            path,
            200,
            &[
                ("cache-control", "max-age=60"),
                ("content-type", "text/html"),
            ],
            &html,
        );
    }
    origin.delay("/slow", std::time::Duration::from_millis(300));
    let none = r#"{"HeaderBehavior": "none"}"#;
    let cookies = custom_cache_policy(
        &server,
        "Cookies",
        &format!(
            r#"{{"EnableAcceptEncodingGzip": true, "HeadersConfig": {none},
                "CookiesConfig": {{"CookieBehavior": "all"}},
                "QueryStringsConfig": {{"QueryStringBehavior": "none"}}}}"#
        ),
    );
    let listed = custom_cache_policy(
        &server,
        "ListsAcceptEncoding",
        r#"{"EnableAcceptEncodingGzip": true, "EnableAcceptEncodingBrotli": false,
            "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": ["Accept-Encoding"]},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "whitelist", "QueryStrings": ["a"]}}"#,
    );
    let domain = server.distribution_json(&format!(
        r#"{{"Enabled": true,
            "Origins": [{{"Id": "o", "DomainName": "127.0.0.1",
              "CustomOriginConfig": {{"OriginProtocolPolicy": "http-only", "HTTPPort": {port}}}}}],
            "DefaultCacheBehavior": {{"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
              "CachePolicyId": "{listed}", "Compress": true}},
            "CacheBehaviors": [{{"PathPattern": "/slow", "TargetOriginId": "o",
              "ViewerProtocolPolicy": "allow-all", "CachePolicyId": "{cookies}"}}]}}"#,
        port = origin.addr.port(),
    ));
    let client = reqwest::Client::new();

    // Four simultaneous misses with the same cookie: four origin requests, not one.
    let send = || {
        client
            .get(server.edge_http_url("/slow"))
            .header("host", &domain)
            .header("cookie", "s=1")
            .send()
    };
    let (a, b, c, d) = tokio::join!(send(), send(), send(), send());
    for r in [a, b, c, d] {
        assert_eq!(r.unwrap().status(), 200);
    }
    assert_eq!(
        origin.hits("/slow"),
        4,
        "no collapsing with cookies in the key"
    );

    // Accept-Encoding listed in the policy: the origin's bytes, never compressed at the edge.
    let r = client
        .get(server.edge_http_url("/page"))
        .header("host", &domain)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(r.bytes().await.unwrap().len(), html.len());

    // The object keyed on a=1 is shared by /q?a=1&utm=2; invalidating /q?a=1 reaches it.
    for q in ["/q?a=1", "/q?a=1&utm=2"] {
        let r = server.edge_get(&domain, q, &[]).await;
        assert_eq!(r.status(), 200);
    }
    assert_eq!(origin.hits("/q"), 1);
    let id = server.distribution_id(&domain);
    server.cli(&["invalidate", &id, "/q?a=1"]);
    let r = server.edge_get(&domain, "/q?a=1&utm=2", &[]).await;
    assert_eq!(x_cache(&r), "Miss from cloudfront");
    assert_eq!(origin.hits("/q"), 2);
}

/// Legacy cache settings (spec §3): `ForwardedValues` with the behavior's own TTLs key on and
/// forward what they name, forward the whole query string while keying on
/// `QueryStringCacheKeys`, strip cookies and `Set-Cookie` when no cookie is forwarded, honour
/// whitelisted cookie wildcards, and cache nothing when `Headers` is `["*"]`.
#[tokio::test]
async fn legacy_forwarded_values_key_forward_and_cache_as_cloudfront() {
    let server = Server::start("");
    let origin = TestOrigin::start().await;
    origin.route(
        "/legacy",
        200,
        &[("set-cookie", "tracking=1"), ("content-type", "text/plain")],
        "legacy",
    );
    origin.route("/cookies/x", 200, &[("set-cookie", "seen=1")], "cookies");
    origin.route("/all/x", 200, &[("cache-control", "max-age=600")], "all");
    let legacy = |pattern: &str, forwarded: &str| {
        format!(
            r#"{{"PathPattern": "{pattern}", "TargetOriginId": "origin", "ViewerProtocolPolicy": "allow-all",
                 "ForwardedValues": {forwarded}, "MinTTL": 0, "DefaultTTL": 60, "MaxTTL": 600}}"#
        )
    };
    let behaviors = [
        legacy(
            "/legacy",
            r#"{"QueryString": true, "QueryStringCacheKeys": ["page"], "Headers": ["X-Device"],
                "Cookies": {"Forward": "none"}}"#,
        ),
        legacy(
            "/cookies/*",
            r#"{"QueryString": false, "Cookies": {"Forward": "whitelist", "WhitelistedNames": ["pref-*"]}}"#,
        ),
        legacy(
            "/all/*",
            r#"{"QueryString": false, "Headers": ["*"], "Cookies": {"Forward": "none"}}"#,
        ),
    ]
    .join(",");
    let domain = server.distribution_json(&config(&origin, "", &behaviors, ""));
    let (server, dom) = (&server, domain.as_str());
    let get = move |path: &'static str, headers: &'static [(&'static str, &'static str)]| {
        server.edge_get(dom, path, headers)
    };

    // Keyed on `page` and X-Device; the whole query string reaches the origin; the cookie
    // does not, and Set-Cookie is stripped.
    let r = get(
        "/legacy?page=1&utm=a",
        &[("x-device", "mobile"), ("cookie", "session=s1")],
    )
    .await;
    assert_eq!(x_cache(&r), "Miss from cloudfront");
    assert!(
        r.headers().get("set-cookie").is_none(),
        "Set-Cookie stripped"
    );
    assert_eq!(r.text().await.unwrap(), "legacy");
    assert_eq!(
        origin.last_query("/legacy").as_deref(),
        Some("page=1&utm=a")
    );
    let seen = origin.last_headers("/legacy").unwrap();
    assert_eq!(seen["x-device"], "mobile");
    assert!(seen.get("cookie").is_none(), "no cookie forwarded");

    // DefaultTTL 60 caches it: another `utm` is the same object; another `page` or device is
    // not.
    let r = get("/legacy?page=1&utm=b", &[("x-device", "mobile")]).await;
    assert_eq!(x_cache(&r), "Hit from cloudfront");
    assert!(r.headers().get("set-cookie").is_none());
    assert_eq!(origin.hits("/legacy"), 1);
    get("/legacy?page=2", &[("x-device", "mobile")]).await;
    assert_eq!(origin.hits("/legacy"), 2);
    get("/legacy?page=1", &[("x-device", "desktop")]).await;
    assert_eq!(origin.hits("/legacy"), 3);

    // A whitelisted wildcard: `pref-*` cookies are keyed and forwarded, others are not;
    // Set-Cookie passes when cookies are forwarded.
    let r = get("/cookies/x", &[("cookie", "pref-lang=en; other=1")]).await;
    assert_eq!(r.headers()["set-cookie"], "seen=1");
    let seen = origin.last_headers("/cookies/x").unwrap();
    assert_eq!(seen["cookie"], "pref-lang=en");
    get("/cookies/x", &[("cookie", "pref-lang=en; other=2")]).await;
    assert_eq!(origin.hits("/cookies/x"), 1, "`other` is not in the key");
    get("/cookies/x", &[("cookie", "pref-lang=fr")]).await;
    assert_eq!(origin.hits("/cookies/x"), 2, "`pref-lang` is");

    // Headers ["*"]: every viewer header goes to the origin and nothing is cached, whatever
    // the origin's max-age.
    for _ in 0..2 {
        let r = get("/all/x", &[("x-anything", "yes")]).await;
        assert_eq!(r.status(), 200);
    }
    assert_eq!(origin.hits("/all/x"), 2);
    assert_eq!(origin.last_headers("/all/x").unwrap()["x-anything"], "yes");
}

/// The standard access log's fields CloudFront fills per outcome (spec §9): `sc-bytes` counts
/// the header too, `time-to-first-byte` is never after `time-taken`, and
/// `x-edge-detailed-result-type` repeats the result type or names the error's kind.
#[tokio::test]
async fn access_log_bytes_timings_and_detailed_result_types() {
    let server = Server::start("");
    let origin = TestOrigin::start().await;
    origin.route(
        "/ok",
        200,
        &[("cache-control", "max-age=60")],
        "twelve bytes",
    );
    let (dead, dead_behavior) = dead_origin();
    let mut config = config(&origin, &dead, dead_behavior, "");
    config.insert_str(
        1,
        r#""Logging": {"Enabled": true, "Bucket": "logs.s3.amazonaws.com", "Prefix": "", "IncludeCookies": false}, "#,
    );
    let domain = server.distribution_json(&config);
    server.edge_get(&domain, "/ok", &[]).await;
    server.edge_get(&domain, "/ok", &[]).await;
    let r = server.edge_get(&domain, "/dead/x", &[]).await;
    assert_eq!(r.status(), 502);
    let r = reqwest::Client::new()
        .post(server.edge_http_url("/ok"))
        .header("host", &domain)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let lines = server.access_log(&domain, 4).await;
    assert_eq!(lines.len(), 4, "{lines:?}");
    // Fields (0-based): 3 sc-bytes, 8 sc-status, 13 x-edge-result-type, 18 time-taken,
    // 27 time-to-first-byte, 28 x-edge-detailed-result-type, 30 sc-content-len.
    // Lines are written as requests finish, not always in request order (CloudFront's are not
    // chronological either): find each by its URI and status.
    let line = |uri: &str, status: &str| {
        lines
            .iter()
            .filter(|l| l[7] == uri && l[8] == status)
            .collect::<Vec<_>>()
    };
    let ok = line("/ok", "200");
    assert_eq!(ok.len(), 2, "{lines:?}");
    let miss = ok.iter().find(|l| l[13] == "Miss").expect("a Miss line");
    let hit = ok.iter().find(|l| l[13] == "Hit").expect("a Hit line");
    let (dead, refused) = (line("/dead/x", "502")[0], line("/ok", "403")[0]);
    assert_eq!(miss[28], "Miss");
    assert_eq!(hit[28], "Hit");
    for line in [miss, hit] {
        let sent: u64 = line[3].parse().unwrap();
        assert_eq!(line[30], "12");
        // The header (status line, X-Cache, Via, X-Amz-Cf-Id…) is counted too.
        assert!(
            sent > 12 + 150,
            "sc-bytes {sent} counts the header: {line:?}"
        );
        let taken: f64 = line[18].parse().unwrap();
        let first: f64 = line[27].parse().unwrap();
        assert!(first <= taken, "first byte {first} after the last {taken}");
    }
    assert_eq!(dead[8], "502");
    assert_eq!(
        (dead[13].as_str(), dead[28].as_str()),
        ("Error", "OriginConnectError")
    );
    assert_eq!(refused[8], "403");
    assert_eq!(
        (refused[13].as_str(), refused[28].as_str()),
        ("Error", "InvalidRequestMethod")
    );
}

/// RFC 5861 `stale-while-revalidate` (spec §4, "Stale-serving"): within the window an expired
/// object is served at once while the edge refreshes it from the origin in the background;
/// the next request gets the refreshed copy.
#[tokio::test]
async fn stale_while_revalidate_serves_the_old_copy_and_refreshes_it() {
    let server = Server::start("");
    let origin = TestOrigin::start().await;
    let cc = [("cache-control", "max-age=1, stale-while-revalidate=60")];
    origin.route("/swr", 200, &cc, "v1");
    let domain = server.distribution_json(&config(&origin, "", "", ""));
    assert_eq!(
        server
            .edge_get(&domain, "/swr", &[])
            .await
            .text()
            .await
            .unwrap(),
        "v1"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;

    // Expired, within the window: the old copy, though the origin now has another.
    origin.route("/swr", 200, &cc, "v2");
    let r = server.edge_get(&domain, "/swr", &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.text().await.unwrap(),
        "v1",
        "served stale while revalidating"
    );

    // The refresh reaches the origin in the background; then the new copy is served.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while origin.hits("/swr") < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(origin.hits("/swr"), 2, "one background refresh");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let body = loop {
        let body = server
            .edge_get(&domain, "/swr", &[])
            .await
            .text()
            .await
            .unwrap();
        if body == "v2" || std::time::Instant::now() > deadline {
            break body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(body, "v2");
    let hits = origin.hits("/swr");
    let r = server.edge_get(&domain, "/swr", &[]).await;
    assert_eq!(x_cache(&r), "Hit from cloudfront");
    assert_eq!(origin.hits("/swr"), hits, "the refreshed copy is fresh");
}

/// One response read off a raw HTTP/1.1 connection: its head (status line and fields, lower
/// case names) and its body (by `Content-Length`; none for HEAD).
async fn read_response(
    conn: &mut tokio::net::TcpStream,
    buf: &mut Vec<u8>,
    head_request: bool,
) -> (String, Vec<(String, String)>, Vec<u8>) {
    use tokio::io::AsyncReadExt;
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).await.unwrap();
        assert!(
            n > 0,
            "closed before a response: {:?}",
            String::from_utf8_lossy(buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..end].to_vec()).unwrap();
    let mut lines = head.trim_end().split("\r\n");
    let status = lines.next().unwrap().to_string();
    let fields: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.to_ascii_lowercase(), v.trim().to_string())
        })
        .collect();
    let len: usize = fields
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let len = if head_request { 0 } else { len };
    while buf.len() < end + len {
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).await.unwrap();
        assert!(n > 0, "closed inside a body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[end..end + len].to_vec();
    buf.drain(..end + len);
    (status, fields, body)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Fresh hits over plain HTTP/1.1 are answered by the accept loop's hit lane; everything else
/// by pingora on the same connection. Pipelined hits come back in order; a miss in between is
/// pingora's and the connection returns to the lane after it; `Connection: close` closes; and
/// a lane hit carries exactly the fields pingora's path gives the same object.
#[tokio::test]
async fn hit_lane_keeps_http_semantics_and_pingoras_headers() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = Server::start("");
    let origin = TestOrigin::start().await;
    for (path, body) in [("/a", "alpha"), ("/b", "bravo"), ("/c", "charlie")] {
        origin.route(
            path,
            200,
            &[
                ("cache-control", "max-age=60"),
                ("content-type", "text/plain"),
            ],
            body,
        );
    }
    let domain = server.distribution_json(&config(&origin, "", "", ""));
    for path in ["/a", "/c"] {
        server.edge_get(&domain, path, &[]).await;
    }
    let get = |path: &str, extra: &str| {
        format!("GET {path} HTTP/1.1\r\nHost: {domain}\r\n{extra}\r\n").into_bytes()
    };
    let mut conn = tokio::net::TcpStream::connect(server.edge_http)
        .await
        .unwrap();
    let mut buf = Vec::new();

    // How many hits the lane answered (from the metrics endpoint).
    let lane_hits = || async {
        server
            .metrics()
            .await
            .lines()
            .find_map(|l| l.strip_prefix("stratus_edge_lane_hits_total "))
            .map_or(0, |n| n.trim().parse::<u64>().unwrap())
    };

    // Two hits pipelined in one write: both answered by the lane, in order.
    let mut two = get("/a", "");
    two.extend(get("/c", ""));
    conn.write_all(&two).await.unwrap();
    for want in ["alpha", "charlie"] {
        let (status, fields, body) = read_response(&mut conn, &mut buf, false).await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert_eq!(field(&fields, "x-cache"), Some("Hit from cloudfront"));
        assert_eq!(field(&fields, "connection"), Some("keep-alive"));
        assert_eq!(body, want.as_bytes());
    }
    assert_eq!(lane_hits().await, 2);
    // A miss goes to pingora (and the origin); the same connection then serves hits again.
    conn.write_all(&get("/b", "")).await.unwrap();
    let (_, fields, body) = read_response(&mut conn, &mut buf, false).await;
    assert_eq!(field(&fields, "x-cache"), Some("Miss from cloudfront"));
    assert_eq!(body, b"bravo");
    conn.write_all(&get("/b", "")).await.unwrap();
    let (_, lane, body) = read_response(&mut conn, &mut buf, false).await;
    assert_eq!(field(&lane, "x-cache"), Some("Hit from cloudfront"));
    assert_eq!(body, b"bravo");
    assert_eq!(origin.hits("/b"), 1);

    // HEAD: the length, no body; the next response follows at once.
    conn.write_all(&format!("HEAD /a HTTP/1.1\r\nHost: {domain}\r\n\r\n").into_bytes())
        .await
        .unwrap();
    let (_, fields, _) = read_response(&mut conn, &mut buf, true).await;
    assert_eq!(field(&fields, "content-length"), Some("5"));
    assert_eq!(field(&fields, "x-cache"), Some("Hit from cloudfront"));

    // The same hit through pingora (a `Connection` token the lane leaves alone): the same
    // fields in the same order, but for the per-request ones.
    conn.write_all(&get("/b", "Connection: keep-alive, x-hop\r\n"))
        .await
        .unwrap();
    let (_, via_pingora, body) = read_response(&mut conn, &mut buf, false).await;
    assert_eq!(body, b"bravo");
    assert_eq!(
        lane_hits().await,
        4,
        "the lane answered /b and HEAD /a, not this one"
    );
    let stable = |fields: &[(String, String)]| -> Vec<(String, String)> {
        fields
            .iter()
            .filter(|(n, _)| !matches!(n.as_str(), "date" | "age" | "x-amz-cf-id"))
            .cloned()
            .collect()
    };
    assert_eq!(stable(&lane), stable(&via_pingora));
    assert_eq!(origin.hits("/b"), 1);

    // `Connection: close`: answered with `Connection: close`, then the connection ends.
    conn.write_all(&get("/a", "Connection: close\r\n"))
        .await
        .unwrap();
    let (_, fields, body) = read_response(&mut conn, &mut buf, false).await;
    assert_eq!(field(&fields, "connection"), Some("close"));
    assert_eq!(body, b"alpha");
    let mut rest = Vec::new();
    let n = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        conn.read_to_end(&mut rest),
    )
    .await
    .expect("the edge closes the connection")
    .unwrap();
    assert_eq!(n, 0);
}
