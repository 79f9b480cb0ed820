//! The edge end to end: CloudFront in front of a Function URL, through pingora's proxy.

mod common;

use common::{fixture, host_of, x_cache, Server};
use serde_json::Value;

#[tokio::test]
async fn the_default_distribution_fronts_the_default_function() {
    let server = Server::start("");
    let list = server.cli(&["distribution", "list"]);
    let url = list
        .split_whitespace()
        .nth(1)
        .expect("the seed's distribution")
        .to_string();
    let host = host_of(&url);
    assert!(host.ends_with(".cloudfront.localhost"), "{host}");

    // redirect-to-https: 301 to the HTTPS listener's port, CloudFront's headers.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = plain
        .get(format!("http://{}/a/b?c=1", server.edge_http))
        .header("host", &host)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 301);
    assert_eq!(
        r.headers()["location"],
        format!("https://{host}:{}/a/b?c=1", server.edge_https.port()).as_str()
    );
    assert_eq!(r.headers()["x-cache"], "Redirect from cloudfront");
    assert_eq!(r.headers()["server"], "CloudFront");

    // HTTPS: the function answers through the edge.
    let r = server.edge_client(&host).get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    let h = r.headers().clone();
    assert_eq!(h["x-cache"], "Miss from cloudfront");
    assert_eq!(h["x-amz-cf-pop"], "LOC50-C1");
    let cf_id = h["x-amz-cf-id"].to_str().unwrap();
    assert_eq!(cf_id.len(), 56);
    assert!(cf_id.ends_with("=="));
    let via = h["via"].to_str().unwrap();
    assert!(
        via.starts_with("1.1 ") && via.ends_with(".cloudfront.net (CloudFront)"),
        "{via}"
    );
    assert!(
        h.contains_key("x-amzn-requestid"),
        "the Function URL's own headers pass through"
    );
    assert_eq!(r.text().await.unwrap(), "\"Hello from Lambda!\"");

    // Certificates by SNI: the distribution's name got the `*.cloudfront.localhost`
    // certificate above; a hello without SNI (an IP address) gets the default one, valid for
    // the loopback addresses, and CloudFront's 403 for a Host that names no distribution.
    let ca = std::fs::read(server.state().join("tls/ca.pem")).unwrap();
    let by_ip = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .build()
        .unwrap();
    let r = by_ip
        .get(format!("https://127.0.0.1:{}/", server.edge_https.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The default certificate does not cover distribution names: the request above verified
    // only because SNI chose the wildcard certificate. A name nothing covers fails.
    let other = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .resolve("www.example.test", server.edge_https)
        .build()
        .unwrap();
    let e = other
        .get(format!(
            "https://www.example.test:{}/",
            server.edge_https.port()
        ))
        .send()
        .await;
    assert!(e.is_err(), "no certificate covers www.example.test");
}

async fn echo_url(server: &Server) -> String {
    server
        .function_with_url(
            "echo",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &fixture("node-echo").display().to_string(),
            ],
            &[],
        )
        .await
}

#[tokio::test]
async fn the_origin_sees_cloudfronts_origin_request() {
    let server = Server::start("");
    let function_url = echo_url(&server).await;
    let origin_host = host_of(&function_url);
    let domain = server.distribution(&[
        "--origin",
        &function_url,
        "--origin-request-policy",
        "AllViewerExceptHostHeader",
        "--origin-header",
        "X-Origin-Verify=s3cret",
        "--viewer-protocol-policy",
        "https-only",
    ]);
    let r = server
        .edge_client(&domain)
        .get(format!(
            "https://{domain}:{}/some/path?a=1&b=2",
            server.edge_https.port()
        ))
        .header("user-agent", "stratus-test")
        .header("x-viewer", "v")
        .header("x-origin-verify", "forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cf_id = r.headers()["x-amz-cf-id"].to_str().unwrap().to_string();
    let v: Value = r.json().await.unwrap();
    let e = &v["event"];
    let headers = &e["headers"];
    // CloudFront: Host is the origin's domain (the policy does not forward the viewer's).
    assert_eq!(headers["host"], origin_host.as_str());
    assert_eq!(e["requestContext"]["domainName"], origin_host.as_str());
    // The custom origin header arrives and wins over a viewer's forged copy.
    assert_eq!(headers["x-origin-verify"], "s3cret");
    // AllViewer…: viewer headers, the query string and the path reach the origin.
    assert_eq!(headers["x-viewer"], "v");
    assert_eq!(headers["user-agent"], "stratus-test");
    assert_eq!(e["rawPath"], "/some/path");
    assert_eq!(e["rawQueryString"], "a=1&b=2");
    assert_eq!(headers["x-amz-cf-id"], cf_id.as_str());
    assert!(headers["via"]
        .as_str()
        .unwrap()
        .ends_with(".cloudfront.net (CloudFront)"));
    assert!(headers["x-forwarded-for"]
        .as_str()
        .unwrap()
        .contains("127.0.0.1"));

    // https-only over HTTP: 403 from CloudFront.
    let r = reqwest::Client::new()
        .get(format!("http://{}/", server.edge_http))
        .header("host", &domain)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["x-cache"], "Error from cloudfront");
}

#[tokio::test]
async fn forwarding_the_viewers_host_gets_the_function_urls_403() {
    // The famous one: an origin request policy that forwards the viewer's Host sends the
    // distribution's name to the Function URL, which answers 403 (and logs the fix).
    let server = Server::start("");
    let function_url = echo_url(&server).await;
    let domain = server.distribution(&[
        "--origin",
        &function_url,
        "--origin-request-policy",
        "AllViewer",
    ]);
    let r = server
        .edge_client(&domain)
        .get(format!("https://{domain}:{}/", server.edge_https.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["x-amzn-errortype"], "AccessDeniedException");
    assert_eq!(r.text().await.unwrap(), r#"{"Message":null}"#);
    assert!(server
        .stderr()
        .contains("Managed-AllViewerExceptHostHeader"));
}

#[tokio::test]
async fn cloudfront_answers_what_it_answers_itself() {
    let server = Server::start("");
    let function_url = echo_url(&server).await;
    let domain = server.distribution(&[
        "--origin",
        &function_url,
        "--viewer-protocol-policy",
        "allow-all",
    ]);
    let client = reqwest::Client::new();
    let edge = server.edge_http;

    // A Host that names no distribution.
    let r = client
        .get(format!("http://{edge}/"))
        .header("host", "nobody.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["x-cache"], "Error from cloudfront");
    let page = r.text().await.unwrap();
    assert!(
        page.contains("<H1>403 ERROR</H1>")
            && page.contains("Generated by cloudfront (CloudFront)")
    );

    // A method outside AllowedMethods (GET, HEAD).
    let r = client
        .post(format!("http://{edge}/"))
        .header("host", &domain)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("not configured to allow the HTTP request method"));

    // allow-all serves plain HTTP.
    let r = client
        .get(format!("http://{edge}/x"))
        .header("host", &domain)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["event"]["rawPath"], "/x");
}

#[tokio::test]
async fn an_unreachable_origin_is_cloudfronts_502() {
    let server = Server::start("");
    // A loopback port that was free a moment ago: nothing listens there.
    let port = common::free_port();
    let config = server.state().join("dist.json");
    std::fs::write(
        &config,
        r#"{"Enabled": true,
            "Origins": [{"Id": "dead", "DomainName": "127.0.0.1",
                         "CustomOriginConfig": {"OriginProtocolPolicy": "http-only", "HTTPPort": PORT},
                         "ConnectionAttempts": 1, "ConnectionTimeout": 2}],
            "DefaultCacheBehavior": {"TargetOriginId": "dead", "ViewerProtocolPolicy": "allow-all",
                                     "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"}}"#
            .replace("PORT", &port.to_string()),
    )
    .unwrap();
    let domain = server.distribution(&["--distribution-config", config.to_str().unwrap()]);
    let r = reqwest::Client::new()
        .get(format!("http://{}/", server.edge_http))
        .header("host", &domain)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(r.headers()["x-cache"], "Error from cloudfront");
    assert!(r.text().await.unwrap().contains("<H1>502 ERROR</H1>"));
}

#[test]
fn distribution_configs_are_validated_with_cloudfronts_errors() {
    let state = tempfile::tempdir().unwrap();
    let path = state.path().join("bad.json");
    std::fs::write(
        &path,
        r#"{"Enabled": true,
            "Origins": [{"Id": "o", "DomainName": "example.test",
                         "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}}],
            "DefaultCacheBehavior": {"TargetOriginId": "nope", "ViewerProtocolPolicy": "allow-all",
                                     "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}"#,
    )
    .unwrap();
    let e = common::cli_err(
        state.path(),
        &[
            "distribution",
            "create",
            "--distribution-config",
            path.to_str().unwrap(),
        ],
    );
    assert!(e.contains("NoSuchOrigin"), "{e}");
    let e = common::cli_err(
        state.path(),
        &[
            "distribution",
            "create",
            "--origin",
            "x.test",
            "--cache-policy",
            "Nope",
        ],
    );
    assert!(
        e.contains("NoSuchCachePolicy: no managed or custom cache policy is called Nope"),
        "{e}"
    );
}

fn behaviors_dir() -> String {
    fixture("node-behaviors").display().to_string()
}

#[tokio::test]
async fn caching_optimized_serves_hits_from_the_edge() {
    let server = Server::start("");
    let function_url = server
        .function_with_url(
            "cached",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &fixture("node-echo").display().to_string(),
            ],
            &[],
        )
        .await;
    let domain = server.distribution(&[
        "--origin",
        &function_url,
        "--cache-policy",
        "CachingOptimized",
        "--access-log",
    ]);
    let client = server.edge_client(&domain);
    let url = format!("https://{domain}:{}/page", server.edge_https.port());
    let first = client.get(&url).send().await.unwrap();
    assert_eq!(first.headers()["x-cache"], "Miss from cloudfront");
    let first_body: Value = first.json().await.unwrap();
    let second = client.get(&url).send().await.unwrap();
    assert_eq!(second.headers()["x-cache"], "Hit from cloudfront");
    assert!(second.headers().contains_key("age"), "hits carry Age");
    let second_body: Value = second.json().await.unwrap();
    assert_eq!(
        first_body["requestId"], second_body["requestId"],
        "the same stored response"
    );
    // CachingOptimized keys on the path only: another query string is the same object…
    let third = client.get(format!("{url}?utm=1")).send().await.unwrap();
    assert_eq!(third.headers()["x-cache"], "Hit from cloudfront");
    // …and another path is not.
    let other = client.get(format!("{url}2")).send().await.unwrap();
    assert_eq!(other.headers()["x-cache"], "Miss from cloudfront");
    // The standard access log has CloudFront's header lines and one line per request.
    let lines = server.access_log(&domain, 4).await;
    let id = server.distribution_id(&domain);
    let access =
        std::fs::read_to_string(server.state().join(format!("logs/cloudfront/{id}.log"))).unwrap();
    assert!(
        access.starts_with("#Version: 1.0\n#Fields: date time x-edge-location"),
        "{access}"
    );
    assert_eq!(lines.len(), 4, "{access}");
    assert_eq!(lines[0][13], "Miss", "x-edge-result-type: {:?}", lines[0]);
    assert_eq!(lines[1][13], "Hit");
    assert_eq!(lines[0][7], "/page", "cs-uri-stem");
    assert_eq!(lines[0][8], "200", "sc-status");
    assert_eq!(lines[2][11], "utm=1", "cs-uri-query");
    // The origin saw two requests.
    assert_eq!(server.log_count("cached", "START RequestId", 2).await, 2);
}

#[tokio::test]
async fn concurrent_misses_collapse_into_one_origin_request() {
    let server = Server::start("");
    let function_url = server
        .function_with_url(
            "slowly",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &behaviors_dir(),
                "--timeout",
                "10",
            ],
            &[],
        )
        .await;
    let domain = server.distribution(&["--origin", &function_url]);
    let client = server.edge_client(&domain);
    // CachingOptimized forwards no query string: /sleep sleeps its default second.
    let url = format!("https://{domain}:{}/sleep", server.edge_https.port());
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let c = client.clone();
        let u = url.clone();
        tasks.push(tokio::spawn(async move {
            let r = c.get(u).send().await.unwrap();
            (
                r.status().as_u16(),
                r.headers()["x-cache"].to_str().unwrap().to_string(),
            )
        }));
    }
    let mut misses = 0;
    for t in tasks {
        let (status, x_cache) = t.await.unwrap();
        assert_eq!(status, 200);
        if x_cache.starts_with("Miss") {
            misses += 1;
        }
    }
    assert_eq!(
        misses, 1,
        "one request went to the origin, the rest waited for it"
    );
    assert_eq!(server.log_count("slowly", "START RequestId", 1).await, 1);
}

#[tokio::test]
async fn uncacheable_responses_and_caching_disabled_always_reach_the_origin() {
    let server = Server::start("");
    let function_url = server
        .function_with_url(
            "fresh",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &fixture("node-echo").display().to_string(),
            ],
            &[],
        )
        .await;
    let disabled = server.distribution(&[
        "--origin",
        &function_url,
        "--cache-policy",
        "CachingDisabled",
    ]);
    let client = server.edge_client(&disabled);
    let url = format!("https://{disabled}:{}/x", server.edge_https.port());
    for _ in 0..2 {
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.headers()["x-cache"], "Miss from cloudfront");
    }
    // No `Logging` in its configuration: CloudFront writes no standard log for it.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let id = server.distribution_id(&disabled);
    assert!(
        !server
            .state()
            .join(format!("logs/cloudfront/{id}.log"))
            .exists(),
        "a distribution without Logging has no access log"
    );
    // Under CachingOptimized (MinTTL 1), errors are cached as CloudFront caches them; a 502
    // from the function is cached for the error caching minimum.
    let behaviors = server
        .function_with_url(
            "errs",
            &["--runtime", "nodejs20.x", "--code", &behaviors_dir()],
            &[],
        )
        .await;
    let optimized = server.distribution(&["--origin", &behaviors]);
    let client = server.edge_client(&optimized);
    let url = format!("https://{optimized}:{}/throw", server.edge_https.port());
    // CloudFront labels errors `Error from cloudfront`, served from the cache or not.
    for _ in 0..2 {
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 502);
        assert_eq!(r.headers()["x-cache"], "Error from cloudfront");
    }
    assert_eq!(
        server.log_count("errs", "START RequestId", 1).await,
        1,
        "CloudFront caches a 502 for 10 s: the function ran once"
    );
}

#[tokio::test]
async fn invalidations_with_wildcards_turn_hits_into_misses() {
    let server = Server::start("");
    let function_url = server
        .function_with_url(
            "inv",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &fixture("node-echo").display().to_string(),
            ],
            &[],
        )
        .await;
    let out = server.cli(&["distribution", "create", "--origin", &function_url]);
    let id = out.split_whitespace().next().unwrap().to_string();
    let domain = host_of(out.split_whitespace().nth(1).unwrap());
    let client = server.edge_client(&domain);
    let base = format!("https://{domain}:{}", server.edge_https.port());
    for path in ["/images/a.png", "/images/b/c.png", "/css/site.css"] {
        assert_eq!(
            x_cache(&client.get(format!("{base}{path}")).send().await.unwrap()),
            "Miss from cloudfront"
        );
        assert_eq!(
            x_cache(&client.get(format!("{base}{path}")).send().await.unwrap()),
            "Hit from cloudfront"
        );
    }
    let out = server.cli(&["invalidate", &id, "/images/*"]);
    assert!(out.starts_with('I') && out.contains("Completed"), "{out}");
    for path in ["/images/a.png", "/images/b/c.png"] {
        assert_eq!(
            x_cache(&client.get(format!("{base}{path}")).send().await.unwrap()),
            "Miss from cloudfront",
            "{path}"
        );
        assert_eq!(
            x_cache(&client.get(format!("{base}{path}")).send().await.unwrap()),
            "Hit from cloudfront",
            "{path} refilled"
        );
    }
    assert_eq!(
        x_cache(
            &client
                .get(format!("{base}/css/site.css"))
                .send()
                .await
                .unwrap()
        ),
        "Hit from cloudfront"
    );
    let e = common::cli_err(server.state(), &["invalidate", &id, "/a*/b"]);
    assert!(e.contains("a * may only be the last character"), "{e}");
    let e = common::cli_err(server.state(), &["invalidate", "ENOPE", "/x"]);
    assert!(e.contains("NoSuchDistribution"), "{e}");
}

#[tokio::test]
async fn default_root_object_and_request_size_limits() {
    let server = Server::start("");
    let function_url = server
        .function_with_url(
            "root",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &fixture("node-echo").display().to_string(),
            ],
            &[],
        )
        .await;
    let origin = host_of(&function_url);
    let port = function_url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/');
    let config = server.state().join("root.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"Enabled": true, "DefaultRootObject": "index.html",
                "Origins": [{{"Id": "fn", "DomainName": "{origin}",
                             "CustomOriginConfig": {{"OriginProtocolPolicy": "https-only", "HTTPSPort": {port}}}}}],
                "DefaultCacheBehavior": {{"TargetOriginId": "fn", "ViewerProtocolPolicy": "allow-all",
                                         "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"}}}}"#
        ),
    )
    .unwrap();
    let domain = server.distribution(&["--distribution-config", config.to_str().unwrap()]);
    let client = reqwest::Client::new();
    let get = |path: &str| {
        client
            .get(format!("http://{}{path}", server.edge_http))
            .header("host", &domain)
            .send()
    };
    let v: Value = get("/").await.unwrap().json().await.unwrap();
    assert_eq!(
        v["event"]["rawPath"], "/index.html",
        "/ serves the default root object"
    );
    let v: Value = get("/docs/").await.unwrap().json().await.unwrap();
    assert_eq!(v["event"]["rawPath"], "/docs/", "not for subdirectories");

    // CloudFront: a URL over 8,192 bytes or a head over 20,480 is a 413.
    let r = get(&format!("/{}", "a".repeat(8_200))).await.unwrap();
    assert_eq!(r.status(), 413);
    let r = client
        .get(format!("http://{}/", server.edge_http))
        .header("host", &domain)
        .header("x-big", "b".repeat(21_000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // Still serving.
    assert_eq!(get("/x").await.unwrap().status(), 200);
}

#[tokio::test]
async fn origin_groups_fail_over_on_listed_statuses_and_connection_failures() {
    let server = Server::start("");
    let failing = server
        .function_with_url(
            "failing",
            &["--runtime", "nodejs20.x", "--code", &behaviors_dir()],
            &[],
        )
        .await;
    let backup = server
        .function_with_url(
            "backup",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &fixture("node-echo").display().to_string(),
            ],
            &[],
        )
        .await;
    let port = failing
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let dead_port = common::free_port();
    let config = server.state().join("group.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"Enabled": true,
                "Origins": [
                  {{"Id": "primary", "DomainName": "{p}", "CustomOriginConfig": {{"OriginProtocolPolicy": "https-only", "HTTPSPort": {port}}}}},
                  {{"Id": "backup", "DomainName": "{b}", "CustomOriginConfig": {{"OriginProtocolPolicy": "https-only", "HTTPSPort": {port}}}}},
                  {{"Id": "dead", "DomainName": "127.0.0.1", "ConnectionAttempts": 1, "ConnectionTimeout": 1,
                    "CustomOriginConfig": {{"OriginProtocolPolicy": "http-only", "HTTPPort": {dead_port}}}}}],
                "OriginGroups": {{"Quantity": 2, "Items": [
                  {{"Id": "group", "FailoverCriteria": {{"StatusCodes": {{"Quantity": 2, "Items": [500, 502]}}}},
                    "Members": {{"Quantity": 2, "Items": [{{"OriginId": "primary"}}, {{"OriginId": "backup"}}]}}}},
                  {{"Id": "group2", "FailoverCriteria": {{"StatusCodes": {{"Quantity": 1, "Items": [503]}}}},
                    "Members": {{"Quantity": 2, "Items": [{{"OriginId": "dead"}}, {{"OriginId": "backup"}}]}}}}]}},
                "DefaultCacheBehavior": {{"TargetOriginId": "group", "ViewerProtocolPolicy": "allow-all",
                                         "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                                         "AllowedMethods": ["GET","HEAD","OPTIONS","PUT","POST","PATCH","DELETE"]}},
                "CacheBehaviors": [{{"PathPattern": "/dead/*", "TargetOriginId": "group2", "ViewerProtocolPolicy": "allow-all",
                                    "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"}}]}}"#,
            p = host_of(&failing),
            b = host_of(&backup),
        ),
    )
    .unwrap();
    let domain = server.distribution(&["--distribution-config", config.to_str().unwrap()]);
    let client = reqwest::Client::new();
    let edge = server.edge_http;
    // The primary's 502 (the function throws) sends the request to the secondary.
    let r = client
        .get(format!("http://{edge}/throw"))
        .header("host", &domain)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["event"]["rawPath"], "/throw", "answered by the backup");
    // A primary that cannot be connected to fails over too.
    let r = client
        .get(format!("http://{edge}/dead/x"))
        .header("host", &domain)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // CloudFront never fails over other methods: the primary's 502 reaches the viewer.
    let r = client
        .post(format!("http://{edge}/throw"))
        .header("host", &domain)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
}

#[tokio::test]
async fn compress_serves_brotli_or_gzip_under_cloudfronts_rules() {
    let server = Server::start("");
    let function_url = server
        .function_with_url(
            "pages",
            &["--runtime", "nodejs20.x", "--code", &behaviors_dir()],
            &[],
        )
        .await;
    let domain = server.distribution(&[
        "--origin",
        &function_url,
        "--compress",
        "--viewer-protocol-policy",
        "allow-all",
    ]);
    let client = reqwest::Client::new();
    let get = |path: &'static str, ae: Option<&'static str>| {
        let mut r = client
            .get(format!("http://{}{path}", server.edge_http))
            .header("host", &domain);
        if let Some(ae) = ae {
            r = r.header("accept-encoding", ae);
        }
        r.send()
    };
    let r = get("/large.html", Some("gzip, deflate, br")).await.unwrap();
    assert_eq!(
        r.headers()["content-encoding"],
        "br",
        "Brotli preferred when both are accepted"
    );
    assert!(r.headers()["vary"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("accept-encoding"));
    let br = r.bytes().await.unwrap();
    let br_len = br.len();
    assert!(br_len < 7_200 / 4, "compressed: {br_len} bytes");
    // CloudFront caches the compressed object: the hit is those stored bytes, whose length is
    // known (an object compressed on the way out could only be sent chunked).
    let r = get("/large.html", Some("br, gzip")).await.unwrap();
    assert_eq!(r.headers()["x-cache"], "Hit from cloudfront");
    assert_eq!(r.headers()["content-encoding"], "br");
    assert_eq!(r.headers()["content-length"], br_len.to_string().as_str());
    assert_eq!(r.bytes().await.unwrap(), br);
    // The normalised Accept-Encoding is part of the key: each encoding is a variant of its
    // own, as on CloudFront.
    let r = get("/large.html", Some("gzip")).await.unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert_eq!(r.headers()["x-cache"], "Miss from cloudfront");
    let r = get("/large.html", None).await.unwrap();
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(r.headers()["x-cache"], "Miss from cloudfront");
    assert_eq!(r.bytes().await.unwrap().len(), 7_200);
    let r = get("/large.html", Some("gzip;q=1, identity"))
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert_eq!(r.headers()["x-cache"], "Hit from cloudfront");
    // Under 1,000 bytes: left alone.
    let r = get("/html", Some("gzip, br")).await.unwrap();
    assert!(r.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn response_headers_policies_apply_to_hits_and_misses() {
    let server = Server::start("");
    let function_url = server
        .function_with_url(
            "rh",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &fixture("node-echo").display().to_string(),
            ],
            &[],
        )
        .await;
    let secure = server.distribution(&[
        "--origin",
        &function_url,
        "--viewer-protocol-policy",
        "allow-all",
        "--response-headers-policy",
        "CORS-and-SecurityHeadersPolicy",
    ]);
    let client = reqwest::Client::new();
    for expected_cache in ["Miss from cloudfront", "Hit from cloudfront"] {
        let r = client
            .get(format!("http://{}/page", server.edge_http))
            .header("host", &secure)
            .header("origin", "https://app.example")
            .send()
            .await
            .unwrap();
        let h = r.headers();
        assert_eq!(h["x-cache"], expected_cache);
        assert_eq!(h["strict-transport-security"], "max-age=31536000");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "SAMEORIGIN");
        assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
        assert_eq!(h["x-xss-protection"], "1; mode=block");
        assert_eq!(h["access-control-allow-origin"], "*");
    }
    // Without Origin, no CORS headers; security headers still.
    let r = client
        .get(format!("http://{}/page", server.edge_http))
        .header("host", &secure)
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    assert!(r.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn the_debug_header_says_why_a_response_was_or_was_not_cached() {
    let server = Server::start("debug_headers = true\n");
    let function_url = server
        .function_with_url(
            "dbg",
            &["--runtime", "nodejs20.x", "--code", &behaviors_dir()],
            &[],
        )
        .await;
    let domain = server.distribution(&[
        "--origin",
        &function_url,
        "--viewer-protocol-policy",
        "allow-all",
    ]);
    let client = reqwest::Client::new();
    let get = |path: &'static str| {
        client
            .get(format!("http://{}{path}", server.edge_http))
            .header("host", &domain)
            .send()
    };
    let debug =
        |r: &reqwest::Response| r.headers()["x-stratus-cache"].to_str().unwrap().to_string();
    // No Cache-Control from the function: CachingOptimized's DefaultTTL decides.
    let d = debug(&get("/pid").await.unwrap());
    assert!(d.contains("stored for 86400 s: DefaultTtl"), "{d}");
    assert!(debug(&get("/pid").await.unwrap()).contains("served from the cache"));
    // A 418 is not a status CloudFront caches.
    let d = debug(&get("/teapot").await.unwrap());
    assert!(d.contains("not stored: StatusNotCacheable"), "{d}");

    // A miss says which part of its key differed from a stored variant of the path (a policy
    // keying on query strings, in front of a plain origin: it also keys on Host, which a
    // Function URL would refuse).
    let origin = common::origin::TestOrigin::start().await;
    origin.route("/q", 200, &[("cache-control", "max-age=60")], "q");
    let keyed = server.distribution(&[
        "--origin",
        &format!("http://127.0.0.1:{}", origin.addr.port()),
        "--origin-protocol-policy",
        "http-only",
        "--viewer-protocol-policy",
        "allow-all",
        "--cache-policy",
        "UseOriginCacheControlHeaders-QueryStrings",
    ]);
    let get = |path: &'static str| {
        client
            .get(format!("http://{}{path}", server.edge_http))
            .header("host", &keyed)
            .send()
    };
    let d = debug(&get("/q?v=1").await.unwrap());
    assert!(d.contains("no variant of this path was stored"), "{d}");
    assert!(d.contains("stored for 60 s: MaxAge"), "{d}");
    let d = debug(&get("/q?v=2").await.unwrap());
    assert!(
        d.contains("key differs from a stored variant in query"),
        "{d}"
    );
}

#[tokio::test]
async fn bad_input_on_the_edge_gets_an_error_and_the_edge_keeps_serving() {
    use std::io::{Read, Write};
    let server = Server::start("");
    let domain = {
        let list = server.cli(&["distribution", "list"]);
        host_of(list.split_whitespace().nth(1).unwrap())
    };
    let raw = |addr: std::net::SocketAddr, bytes: Vec<u8>| {
        std::thread::spawn(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let _ = s.write_all(&bytes);
            let mut out = Vec::new();
            let _ = s.read_to_end(&mut out);
            String::from_utf8_lossy(&out).into_owned()
        })
        .join()
        .unwrap()
    };
    let edge = server.edge_http;
    let garbage = raw(edge, b"\x00\x01\x02 not http\r\n\r\n".to_vec());
    assert!(
        garbage.is_empty() || garbage.starts_with("HTTP/1.1 400"),
        "{garbage:?}"
    );
    let bad_line = raw(edge, b"GET /a b c HTTP/9.9\r\nHost: x\r\n\r\n".to_vec());
    assert!(
        bad_line.is_empty() || bad_line.starts_with("HTTP/1.1 4"),
        "{bad_line:?}"
    );
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: {domain}\r\nX-Big: {}\r\n\r\n",
        "a".repeat(30_000)
    );
    let r = raw(edge, huge.into_bytes());
    assert!(
        r.is_empty() || r.starts_with("HTTP/1.1 413") || r.starts_with("HTTP/1.1 400"),
        "{:?}",
        &r[..r.len().min(60)]
    );
    let tls_junk = raw(server.edge_https, b"\x16\x03\x01\x00\x05hello".to_vec());
    // A broken ClientHello: a TLS alert record (0x15) or a closed connection, never HTTP.
    assert!(
        tls_junk.is_empty() || tls_junk.starts_with('\u{15}'),
        "{tls_junk:?}"
    );
    // The edge still answers, over both listeners.
    let r = server
        .edge_client(&domain)
        .get(format!("https://{domain}:{}/", server.edge_https.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn revalidation_is_a_refresh_hit_and_ranges_come_from_the_cached_object() {
    let server = Server::start("");
    let function_url = server
        .function_with_url(
            "validators",
            &["--runtime", "nodejs20.x", "--code", &behaviors_dir()],
            &[],
        )
        .await;
    let domain = server.distribution(&[
        "--origin",
        &function_url,
        "--viewer-protocol-policy",
        "allow-all",
    ]);
    let client = reqwest::Client::new();
    let get = |range: Option<&'static str>| {
        let mut r = client
            .get(format!("http://{}/etag", server.edge_http))
            .header("host", &domain);
        if let Some(range) = range {
            r = r.header("range", range);
        }
        r.send()
    };
    let r = get(None).await.unwrap();
    assert_eq!(r.headers()["x-cache"], "Miss from cloudfront");
    assert_eq!(r.text().await.unwrap(), "versioned body 0123456789");
    // A range of the cached object, served by the edge.
    let r = get(Some("bytes=0-8")).await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["x-cache"], "Hit from cloudfront");
    assert_eq!(r.headers()["content-range"], "bytes 0-8/25");
    assert_eq!(r.text().await.unwrap(), "versioned");
    // After max-age=1 the edge revalidates with If-None-Match; the origin's 304 refreshes it.
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let r = get(None).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-cache"], "RefreshHit from cloudfront");
    assert_eq!(r.text().await.unwrap(), "versioned body 0123456789");
}

#[tokio::test]
async fn prometheus_metrics_count_requests_by_distribution_and_result() {
    let server = Server::start("");
    let list = server.cli(&["distribution", "list"]);
    let id = list.split_whitespace().next().unwrap().to_string();
    let url = list.split_whitespace().nth(1).unwrap().to_string();
    let client = server.edge_client(&host_of(&url));
    assert_eq!(
        client.get(&url).send().await.unwrap().headers()["x-cache"],
        "Miss from cloudfront"
    );
    assert_eq!(
        client.get(&url).send().await.unwrap().headers()["x-cache"],
        "Hit from cloudfront"
    );
    let metrics = server.metrics().await;
    let hit = format!(r#"stratus_edge_requests_total{{distribution="{id}",result="Hit"}} 1"#);
    let miss = format!(r#"stratus_edge_requests_total{{distribution="{id}",result="Miss"}} 1"#);
    assert!(metrics.contains(&hit), "{metrics}");
    assert!(metrics.contains(&miss), "{metrics}");
    assert!(
        metrics.contains(
            r#"stratus_function_invocations_total{function="hello",outcome="success"} 1"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains("stratus_edge_cache_bytes "), "{metrics}");
    // Origin latency per origin: one origin request (the miss).
    let origin_count = format!(
        r#"stratus_edge_origin_latency_seconds_count{{distribution="{id}",origin="function-url"}} 1"#
    );
    assert!(metrics.contains(&origin_count), "{metrics}");
}
