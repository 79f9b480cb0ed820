//! Custom cache, origin request and response headers policies end to end: created with the
//! CLI, used by distributions (by name through the options, by id in a DistributionConfig),
//! applied by the running edge in front of a test origin it can count, and kept whole (in-use,
//! managed and duplicate policies refused with CloudFront's error names).

mod common;

use std::path::{Path, PathBuf};

use common::origin::TestOrigin;
use common::{cli, cli_err, host_of, x_cache, Server};

const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/// The cache policy of the scenario, wrapped as `aws cloudfront get-cache-policy` prints it.
fn cache_policy(name: &str) -> String {
    format!(
        r#"{{"ETag": "E2QWRUHEXAMPLE",
            "CachePolicy": {{"Id": "ignored", "LastModifiedTime": "2024-05-01T10:00:00+00:00",
              "CachePolicyConfig": {{
                "Name": "{name}", "Comment": "v in the key", "MinTTL": 0, "DefaultTTL": 60, "MaxTTL": 3600,
                "ParametersInCacheKeyAndForwardedToOrigin": {{
                  "EnableAcceptEncodingGzip": true, "EnableAcceptEncodingBrotli": true,
                  "HeadersConfig": {{"HeaderBehavior": "none"}},
                  "CookiesConfig": {{"CookieBehavior": "none"}},
                  "QueryStringsConfig": {{"QueryStringBehavior": "whitelist",
                                          "QueryStrings": {{"Quantity": 1, "Items": ["v"]}}}}}}}}}}}}"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `… create --<kind>-config FILE` → (id, name).
fn create(state: &Path, kind: &str, file: &Path) -> (String, String) {
    let flag = format!("--{kind}-config");
    let out = cli(state, &[kind, "create", &flag, file.to_str().unwrap()]);
    let mut words = out.split_whitespace();
    let id = words.next().expect("id").to_string();
    let name = words.next().expect("name").to_string();
    (id, name)
}

/// `<kind> create` that must fail: its error output.
fn create_err(state: &Path, kind: &str, file: &Path) -> String {
    let flag = format!("--{kind}-config");
    cli_err(state, &[kind, "create", &flag, file.to_str().unwrap()])
}

/// `… list` → (id, name, type) per line.
fn list(state: &Path, kind: &str) -> Vec<(String, String, String)> {
    cli(state, &[kind, "list"])
        .lines()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(w.len(), 3, "{l}");
            (w[0].to_string(), w[1].to_string(), w[2].to_string())
        })
        .collect()
}

/// `distribution create …` → (id, domain).
fn create_distribution(server: &Server, args: &[&str]) -> (String, String) {
    let mut all = vec!["distribution", "create"];
    all.extend_from_slice(args);
    let out = server.cli(&all);
    let mut words = out.split_whitespace();
    let id = words.next().expect("id").to_string();
    let url = words.next().expect("URL");
    (id, host_of(url))
}

#[tokio::test]
async fn custom_policies_shape_the_cache_key_the_origin_request_and_the_response() {
    let server = Server::start("");
    let state = server.state();
    let origin = TestOrigin::start().await;
    origin.route("/p", 200, &[("content-type", "text/plain")], "p");
    origin.route("/t", 200, &[("content-type", "text/plain")], "t");

    // A custom cache policy, listed as custom beside the managed ones.
    let file = write(state, "cache.json", &cache_policy("VOnly"));
    let (cache_id, name) = create(state, "cache-policy", &file);
    assert_eq!(name, "VOnly");
    assert_eq!(cache_id.len(), 36, "{cache_id}");
    let listed = list(state, "cache-policy");
    assert!(
        listed.contains(&(cache_id.clone(), "VOnly".into(), "custom".into())),
        "{listed:?}"
    );
    assert!(
        listed.contains(&(
            CACHING_OPTIMIZED.into(),
            "Managed-CachingOptimized".into(),
            "managed".into()
        )),
        "{listed:?}"
    );
    assert_eq!(listed.iter().filter(|l| l.2 == "custom").count(), 1);

    // A distribution using it by name, served at once by the running edge.
    let origin_url = format!("http://127.0.0.1:{}", origin.addr.port());
    let (first_id, first) = create_distribution(
        &server,
        &[
            "--origin",
            &origin_url,
            "--origin-protocol-policy",
            "http-only",
            "--viewer-protocol-policy",
            "allow-all",
            "--cache-policy",
            "VOnly",
        ],
    );

    // Only `v` is in the cache key: `x` does not split the entry, `v` does.
    let r = server.edge_get(&first, "/p?v=1&x=1", &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(x_cache(&r), "Miss from cloudfront");
    assert_eq!(origin.hits("/p"), 1);
    let r = server.edge_get(&first, "/p?v=1&x=2", &[]).await;
    assert_eq!(x_cache(&r), "Hit from cloudfront");
    assert_eq!(r.text().await.unwrap(), "p");
    assert_eq!(origin.hits("/p"), 1);
    let r = server.edge_get(&first, "/p?v=2", &[]).await;
    assert_eq!(x_cache(&r), "Miss from cloudfront");
    assert_eq!(origin.hits("/p"), 2);

    // In use: not deleted, still listed.
    let e = cli_err(state, &["cache-policy", "delete", "VOnly"]);
    assert!(e.contains("CachePolicyInUse: "), "{e}");
    assert!(e.contains(&first_id), "{e}");
    assert!(list(state, "cache-policy").iter().any(|l| l.0 == cache_id));

    // A custom origin request policy forwarding X-Tenant, and a custom response headers
    // policy, named by id in a DistributionConfig with the custom cache policy.
    let file = write(
        state,
        "orp.json",
        r#"{"Name": "Tenant", "HeadersConfig": {"HeaderBehavior": "whitelist",
              "Headers": {"Quantity": 1, "Items": ["X-Tenant"]}},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"}}"#,
    );
    let (orp_id, _) = create(state, "origin-request-policy", &file);
    let file = write(
        state,
        "rhp.json",
        r#"{"ETag": "E1", "ResponseHeadersPolicyConfig": {"Name": "Stamp",
              "CustomHeadersConfig": {"Quantity": 1, "Items": [
                {"Header": "X-Policy", "Value": "custom", "Override": true}]}}}"#,
    );
    let (rhp_id, _) = create(state, "response-headers-policy", &file);
    assert!(list(state, "origin-request-policy").contains(&(
        orp_id.clone(),
        "Tenant".into(),
        "custom".into()
    )));
    assert!(list(state, "response-headers-policy").contains(&(
        rhp_id.clone(),
        "Stamp".into(),
        "custom".into()
    )));
    let config = |cache: &str, orp: &str, rhp: &str| {
        format!(
            r#"{{"Enabled": true,
                "Origins": [{{"Id": "o", "DomainName": "127.0.0.1",
                              "CustomOriginConfig": {{"OriginProtocolPolicy": "http-only", "HTTPPort": {port}}}}}],
                "DefaultCacheBehavior": {{"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                                         "CachePolicyId": "{cache}", "OriginRequestPolicyId": "{orp}",
                                         "ResponseHeadersPolicyId": "{rhp}"}}}}"#,
            port = origin.addr.port()
        )
    };
    let second = server.distribution_json(&config(&cache_id, &orp_id, &rhp_id));
    let r = server
        .edge_get(&second, "/t", &[("x-tenant", "acme"), ("x-other", "no")])
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-policy"], "custom");
    let seen = origin.last_headers("/t").unwrap();
    assert_eq!(seen["x-tenant"], "acme");
    assert!(!seen.contains_key("x-other"), "{seen:?}");

    // A DistributionConfig naming a policy that does not exist is refused before anything is
    // stored; the edge keeps serving what it served.
    let before = server.cli(&["distribution", "list"]);
    let unknown = "00000000-0000-4000-8000-000000000000";
    for (bad, name) in [
        (config(unknown, &orp_id, &rhp_id), "NoSuchCachePolicy"),
        (
            config(&cache_id, unknown, &rhp_id),
            "NoSuchOriginRequestPolicy",
        ),
        (
            config(&cache_id, &orp_id, unknown),
            "NoSuchResponseHeadersPolicy",
        ),
    ] {
        let file = write(state, "bad.json", &bad);
        let e = cli_err(
            state,
            &[
                "distribution",
                "create",
                "--distribution-config",
                file.to_str().unwrap(),
            ],
        );
        assert!(e.contains(&format!("{name}: ")), "{e}");
    }
    let e = cli_err(
        state,
        &[
            "distribution",
            "create",
            "--origin",
            &origin_url,
            "--cache-policy",
            "Nope",
        ],
    );
    assert!(e.contains("NoSuchCachePolicy: "), "{e}");
    assert_eq!(server.cli(&["distribution", "list"]), before);
    let r = server.edge_get(&first, "/p?v=1", &[]).await;
    assert_eq!(x_cache(&r), "Hit from cloudfront");
    assert_eq!(origin.hits("/p"), 2);

    // Used by the second distribution still; free once both are gone.
    server.cli(&["distribution", "delete", &first_id]);
    let e = cli_err(state, &["cache-policy", "delete", &cache_id]);
    assert!(e.contains("CachePolicyInUse: "), "{e}");
    let e = cli_err(state, &["origin-request-policy", "delete", "Tenant"]);
    assert!(e.contains("OriginRequestPolicyInUse: "), "{e}");
    let e = cli_err(state, &["response-headers-policy", "delete", &rhp_id]);
    assert!(e.contains("ResponseHeadersPolicyInUse: "), "{e}");
    let second_id = server.distribution_id(&second);
    server.cli(&["distribution", "delete", &second_id]);
    let out = server.cli(&["cache-policy", "delete", "VOnly"]);
    assert!(out.contains(&cache_id), "{out}");
    server.cli(&["origin-request-policy", "delete", "Tenant"]);
    server.cli(&["response-headers-policy", "delete", "Stamp"]);
    for kind in [
        "cache-policy",
        "origin-request-policy",
        "response-headers-policy",
    ] {
        assert!(list(state, kind).iter().all(|l| l.2 == "managed"), "{kind}");
    }
}

#[test]
fn bad_policies_get_cloudfronts_error_names() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path();

    // A name is taken once per kind, and the managed names are taken.
    let file = write(state, "dup.json", &cache_policy("Dup"));
    create(state, "cache-policy", &file);
    let e = create_err(state, "cache-policy", &file);
    assert!(e.contains("CachePolicyAlreadyExists: "), "{e}");
    let file = write(
        state,
        "managed.json",
        &cache_policy("Managed-CachingOptimized"),
    );
    let e = create_err(state, "cache-policy", &file);
    assert!(e.contains("CachePolicyAlreadyExists: "), "{e}");

    // Rules and shapes: AWS's error names and what is wrong.
    let ttl = cache_policy("Ttl").replace(r#""MinTTL": 0"#, r#""MinTTL": 7200"#);
    let file = write(state, "ttl.json", &ttl);
    let e = create_err(state, "cache-policy", &file);
    assert!(
        e.contains("InvalidArgument: MinTTL, MaxTTL and DefaultTTL should follow order"),
        "{e}"
    );
    let file = write(state, "broken.json", "{\"Name\": ");
    let e = create_err(state, "cache-policy", &file);
    assert!(
        e.contains("InvalidArgument: The CachePolicyConfig is not valid JSON"),
        "{e}"
    );
    let file = write(
        state,
        "orp.json",
        r#"{"Name": "NoHeaders", "HeadersConfig": {"HeaderBehavior": "whitelist"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"}}"#,
    );
    let e = create_err(state, "origin-request-policy", &file);
    assert!(
        e.contains("InvalidArgument: HeadersConfig.Headers must list at least one header"),
        "{e}"
    );
    let file = write(
        state,
        "rhp.json",
        r#"{"Name": "Quantities", "CustomHeadersConfig": {"Quantity": 2, "Items": [
              {"Header": "X-A", "Value": "a", "Override": true}]}}"#,
    );
    let e = create_err(state, "response-headers-policy", &file);
    assert!(e.contains("InconsistentQuantities: "), "{e}");
    let names: Vec<String> = list(state, "cache-policy")
        .into_iter()
        .filter(|l| l.2 == "custom")
        .map(|l| l.1)
        .collect();
    assert_eq!(names, ["Dup"]);

    // Managed policies are not deleted; unknown ones do not exist.
    let e = cli_err(state, &["cache-policy", "delete", "CachingOptimized"]);
    assert!(e.contains("IllegalDelete: "), "{e}");
    let e = cli_err(
        state,
        &["response-headers-policy", "delete", "Managed-SimpleCORS"],
    );
    assert!(e.contains("IllegalDelete: "), "{e}");
    let e = cli_err(state, &["origin-request-policy", "delete", "Dup"]);
    assert!(e.contains("NoSuchOriginRequestPolicy: "), "{e}");
}
