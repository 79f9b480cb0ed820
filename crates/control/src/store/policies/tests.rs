use std::sync::Arc;

use super::*;
use crate::sync::{apply_edge, check_new_distribution, custom_policies, EdgeTable};

const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("state.db")).await.unwrap();
    (dir, store)
}

fn cache_policy(name: &str) -> PolicyConfig {
    PolicyConfig::from_json(
        PolicyKind::Cache,
        &format!(
            r#"{{"Name": "{name}", "MinTTL": 0, "DefaultTTL": 60, "MaxTTL": 3600,
                "ParametersInCacheKeyAndForwardedToOrigin": {{
                    "EnableAcceptEncodingGzip": true, "EnableAcceptEncodingBrotli": true,
                    "HeadersConfig": {{"HeaderBehavior": "none"}},
                    "CookiesConfig": {{"CookieBehavior": "none"}},
                    "QueryStringsConfig": {{"QueryStringBehavior": "whitelist",
                                            "QueryStrings": {{"Quantity": 1, "Items": ["v"]}}}}}}}}"#
        ),
    )
    .unwrap()
}

fn origin_request_policy(name: &str) -> PolicyConfig {
    PolicyConfig::from_json(
        PolicyKind::OriginRequest,
        &format!(
            r#"{{"Name": "{name}",
                "HeadersConfig": {{"HeaderBehavior": "whitelist", "Headers": ["X-Tenant"]}},
                "CookiesConfig": {{"CookieBehavior": "none"}},
                "QueryStringsConfig": {{"QueryStringBehavior": "none"}}}}"#
        ),
    )
    .unwrap()
}

fn response_headers_policy(name: &str) -> PolicyConfig {
    PolicyConfig::from_json(
        PolicyKind::ResponseHeaders,
        &format!(
            r#"{{"Name": "{name}", "CustomHeadersConfig": {{"Quantity": 1, "Items": [
                {{"Header": "X-Policy", "Value": "custom", "Override": true}}]}}}}"#
        ),
    )
    .unwrap()
}

/// A distribution whose default behavior names these policy ids.
fn distribution(
    cache: &str,
    origin_request: Option<&str>,
    response: Option<&str>,
) -> DistributionConfig {
    let mut behavior = serde_json::json!({
        "TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all", "CachePolicyId": cache,
    });
    if let Some(id) = origin_request {
        behavior["OriginRequestPolicyId"] = id.into();
    }
    if let Some(id) = response {
        behavior["ResponseHeadersPolicyId"] = id.into();
    }
    DistributionConfig::from_value(serde_json::json!({
        "Enabled": true,
        "Origins": [{"Id": "o", "DomainName": "example.test",
                     "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}}],
        "DefaultCacheBehavior": behavior,
    }))
    .unwrap()
}

fn is_uuid_v4(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 4) && id.len() == 36
}

#[tokio::test]
async fn policies_are_created_listed_found_and_deleted() {
    let (_dir, store) = store().await;
    let a = store
        .create_policy(&cache_policy("b-policy"))
        .await
        .unwrap();
    let b = store
        .create_policy(&cache_policy("a-policy"))
        .await
        .unwrap();
    assert!(is_uuid_v4(&a.id), "{}", a.id);
    assert_ne!(a.id, b.id);
    assert!(a.etag.starts_with('E'));
    assert_eq!(a.config, cache_policy("b-policy"));

    // Listed by name, per kind.
    let names: Vec<String> = store
        .policies(PolicyKind::Cache)
        .await
        .unwrap()
        .iter()
        .map(|r| r.config.name().to_string())
        .collect();
    assert_eq!(names, ["a-policy", "b-policy"]);
    assert!(store
        .policies(PolicyKind::OriginRequest)
        .await
        .unwrap()
        .is_empty());

    // Found by id or by name, of its kind only; the stored JSON reads back the same.
    assert_eq!(
        store.policy(PolicyKind::Cache, &a.id).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        store.policy(PolicyKind::Cache, "b-policy").await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        store
            .policy(PolicyKind::OriginRequest, &a.id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.policy(PolicyKind::Cache, "nope").await.unwrap(), None);

    // The same name in another kind is fine.
    let o = store
        .create_policy(&origin_request_policy("b-policy"))
        .await
        .unwrap();
    let r = store
        .create_policy(&response_headers_policy("b-policy"))
        .await
        .unwrap();
    assert_eq!(o.config.kind(), PolicyKind::OriginRequest);
    assert_eq!(r.config.kind(), PolicyKind::ResponseHeaders);

    // Deleted by name or id; then gone.
    assert_eq!(
        store
            .delete_policy(PolicyKind::Cache, "b-policy")
            .await
            .unwrap()
            .id,
        a.id
    );
    assert_eq!(store.policy(PolicyKind::Cache, &a.id).await.unwrap(), None);
    store.delete_policy(PolicyKind::Cache, &b.id).await.unwrap();
    assert!(store.policies(PolicyKind::Cache).await.unwrap().is_empty());
    let e = store
        .delete_policy(PolicyKind::Cache, &a.id)
        .await
        .unwrap_err();
    assert_eq!((e.aws_type(), e.status()), ("NoSuchCachePolicy", 404));
    // Deleting a cache policy never touches the other kinds.
    assert_eq!(
        store.policies(PolicyKind::OriginRequest).await.unwrap(),
        [o]
    );
    assert_eq!(
        store.policies(PolicyKind::ResponseHeaders).await.unwrap(),
        [r]
    );
}

#[tokio::test]
async fn a_name_already_taken_is_refused() {
    let (_dir, store) = store().await;
    store.create_policy(&cache_policy("mine")).await.unwrap();
    let e = store
        .create_policy(&cache_policy("mine"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.aws_type(), e.status()),
        ("CachePolicyAlreadyExists", 409)
    );
    assert!(
        e.to_string().starts_with("CachePolicyAlreadyExists: "),
        "{e}"
    );
    assert!(e.to_string().contains("mine"), "{e}");
    assert_eq!(store.policies(PolicyKind::Cache).await.unwrap().len(), 1);

    // Managed names, bare or as the API lists them, are taken too.
    for name in ["CachingOptimized", "Managed-CachingDisabled"] {
        let e = store.create_policy(&cache_policy(name)).await.unwrap_err();
        assert_eq!(e.aws_type(), "CachePolicyAlreadyExists", "{name}");
    }
    let e = store
        .create_policy(&origin_request_policy("Managed-AllViewer"))
        .await
        .unwrap_err();
    assert_eq!(e.aws_type(), "OriginRequestPolicyAlreadyExists");
    let e = store
        .create_policy(&response_headers_policy("SimpleCORS"))
        .await
        .unwrap_err();
    assert_eq!(e.aws_type(), "ResponseHeadersPolicyAlreadyExists");
    store
        .create_policy(&origin_request_policy("mine"))
        .await
        .unwrap();
    let e = store
        .create_policy(&origin_request_policy("mine"))
        .await
        .unwrap_err();
    assert_eq!(e.aws_type(), "OriginRequestPolicyAlreadyExists");
}

#[tokio::test]
async fn an_invalid_config_is_refused_and_not_stored() {
    let (_dir, store) = store().await;
    let mut config = cache_policy("ttl");
    if let PolicyConfig::Cache(c) = &mut config {
        (c.min_ttl, c.default_ttl, c.max_ttl) = (100, 100, 10);
    }
    let e = store.create_policy(&config).await.unwrap_err();
    assert_eq!((e.aws_type(), e.status()), ("InvalidArgument", 400));
    assert!(e.to_string().contains("MinTTL"), "{e}");
    assert!(store.policies(PolicyKind::Cache).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_policy_in_use_is_not_deleted_and_a_managed_one_never() {
    let (_dir, store) = store().await;
    let c = store.create_policy(&cache_policy("used")).await.unwrap();
    let o = store
        .create_policy(&origin_request_policy("used"))
        .await
        .unwrap();
    let r = store
        .create_policy(&response_headers_policy("used"))
        .await
        .unwrap();
    let config = distribution(&c.id, Some(&o.id), Some(&r.id));
    store
        .create_distribution("E1ABCDEFGHIJKL", "d1.cloudfront.localhost", &config)
        .await
        .unwrap();
    for (kind, id, name) in [
        (PolicyKind::Cache, &c.id, "CachePolicyInUse"),
        (PolicyKind::OriginRequest, &o.id, "OriginRequestPolicyInUse"),
        (
            PolicyKind::ResponseHeaders,
            &r.id,
            "ResponseHeadersPolicyInUse",
        ),
    ] {
        let e = store.delete_policy(kind, id).await.unwrap_err();
        assert_eq!((e.aws_type(), e.status()), (name, 409));
        assert!(e.to_string().contains("E1ABCDEFGHIJKL"), "{e}");
        // By name as well.
        let e = store.delete_policy(kind, "used").await.unwrap_err();
        assert_eq!(e.aws_type(), name);
        assert!(store.policy(kind, id).await.unwrap().is_some());
    }

    // A policy used by an ordered behavior only is in use as well.
    let other = store
        .create_policy(&cache_policy("path-only"))
        .await
        .unwrap();
    let mut config = distribution(CACHING_OPTIMIZED, None, None);
    let mut with_path: serde_json::Value = serde_json::to_value(&config).unwrap();
    with_path["CacheBehaviors"] = serde_json::json!({"Quantity": 1, "Items": [
        {"PathPattern": "/api/*", "TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
         "CachePolicyId": other.id}]});
    config = DistributionConfig::from_value(with_path).unwrap();
    store
        .create_distribution("E2ABCDEFGHIJKL", "d2.cloudfront.localhost", &config)
        .await
        .unwrap();
    let e = store
        .delete_policy(PolicyKind::Cache, "path-only")
        .await
        .unwrap_err();
    assert_eq!(e.aws_type(), "CachePolicyInUse");

    // Once no distribution uses them, they delete.
    assert!(store.delete_distribution("E1ABCDEFGHIJKL").await.unwrap());
    for kind in PolicyKind::ALL {
        store.delete_policy(kind, "used").await.unwrap();
    }
    assert!(store.delete_distribution("E2ABCDEFGHIJKL").await.unwrap());
    store
        .delete_policy(PolicyKind::Cache, &other.id)
        .await
        .unwrap();

    // Managed policies, by id or either name: IllegalDelete, whether in use or not.
    for (kind, key) in [
        (PolicyKind::Cache, CACHING_OPTIMIZED),
        (PolicyKind::Cache, "Managed-CachingOptimized"),
        (PolicyKind::OriginRequest, "AllViewerExceptHostHeader"),
        (PolicyKind::ResponseHeaders, "Managed-SecurityHeadersPolicy"),
    ] {
        let e = store.delete_policy(kind, key).await.unwrap_err();
        assert_eq!((e.aws_type(), e.status()), ("IllegalDelete", 400), "{key}");
    }
}

#[tokio::test]
async fn a_distribution_naming_an_unknown_policy_is_not_stored() {
    let (_dir, store) = store().await;
    let c = store.create_policy(&cache_policy("known")).await.unwrap();
    let unknown = "00000000-0000-4000-8000-000000000000";
    for (config, name) in [
        (distribution(unknown, None, None), "NoSuchCachePolicy"),
        (
            distribution(&c.id, Some(unknown), None),
            "NoSuchOriginRequestPolicy",
        ),
        (
            distribution(&c.id, None, Some(unknown)),
            "NoSuchResponseHeadersPolicy",
        ),
        // An id of another kind is unknown in this one.
        (
            distribution(&c.id, Some(&c.id), None),
            "NoSuchOriginRequestPolicy",
        ),
    ] {
        let e = store
            .create_distribution("E1ABCDEFGHIJKL", "d1.cloudfront.localhost", &config)
            .await
            .unwrap_err();
        assert_eq!((e.aws_type(), e.status()), (name, 404));
        // The dry run the CLI does first says the same.
        let e =
            check_new_distribution(&store, "E1ABCDEFGHIJKL", "d1.cloudfront.localhost", &config)
                .await
                .unwrap_err();
        assert_eq!(e.aws_type(), name);
    }
    assert!(store.distributions().await.unwrap().is_empty());
    // A stored custom policy and a managed one are fine.
    let config = distribution(&c.id, Some("AllViewerExceptHostHeader"), None);
    check_new_distribution(&store, "E1ABCDEFGHIJKL", "d1.cloudfront.localhost", &config)
        .await
        .unwrap();
    store
        .create_distribution("E1ABCDEFGHIJKL", "d1.cloudfront.localhost", &config)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_edge_compiles_distributions_with_stored_policies() {
    let (_dir, store) = store().await;
    let c = store.create_policy(&cache_policy("edge")).await.unwrap();
    let o = store
        .create_policy(&origin_request_policy("edge"))
        .await
        .unwrap();
    let r = store
        .create_policy(&response_headers_policy("edge"))
        .await
        .unwrap();
    let loaded = custom_policies(&store).await.unwrap();
    assert_eq!(loaded.cache.len(), 1);
    assert_eq!(loaded.cache[&c.id].name, "edge");
    assert_eq!(loaded.origin_request[&o.id].name, "edge");
    assert_eq!(loaded.response_headers[&r.id].name, "edge");

    store
        .create_distribution(
            "E1ABCDEFGHIJKL",
            "d1.cloudfront.localhost",
            &distribution(&c.id, Some(&o.id), Some(&r.id)),
        )
        .await
        .unwrap();
    let edge: EdgeTable = Arc::default();
    apply_edge(&store, &edge).await.unwrap();
    let table = edge.load();
    let d = table.distribution("d1.cloudfront.localhost").unwrap();
    let b = d.behavior("/anything");
    let PolicyConfig::Cache(expected) = cache_policy("edge") else {
        unreachable!()
    };
    assert_eq!(*b.cache_policy, expected);
    assert_eq!(
        (b.ttl.min_ttl, b.ttl.default_ttl, b.ttl.max_ttl),
        (0, 60, 3600)
    );
    assert_eq!(b.origin_request_policy.as_ref().unwrap().name, "edge");
    assert_eq!(b.response_headers_policy.as_ref().unwrap().name, "edge");
}

#[test]
fn configs_read_bare_or_wrapped_as_the_aws_cli_prints_them() {
    let bare = r#"{"Name": "p", "MinTTL": 1, "DefaultTTL": 2, "MaxTTL": 3}"#;
    let expected = PolicyConfig::from_json(PolicyKind::Cache, bare).unwrap();
    assert_eq!(expected.name(), "p");
    // get-cache-policy
    let got = format!(
        r#"{{"ETag": "E1", "CachePolicy": {{"Id": "x", "LastModifiedTime": "2024-01-01T00:00:00Z",
             "CachePolicyConfig": {bare}}}}}"#
    );
    assert_eq!(
        PolicyConfig::from_json(PolicyKind::Cache, &got),
        Ok(expected.clone())
    );
    // get-cache-policy-config
    let got = format!(r#"{{"ETag": "E1", "CachePolicyConfig": {bare}}}"#);
    assert_eq!(
        PolicyConfig::from_json(PolicyKind::Cache, &got),
        Ok(expected)
    );
    // get-origin-request-policy, get-response-headers-policy-config
    let orp = r#"{"Name": "o", "HeadersConfig": {"HeaderBehavior": "none"},
                  "CookiesConfig": {"CookieBehavior": "none"},
                  "QueryStringsConfig": {"QueryStringBehavior": "all"}}"#;
    let got =
        format!(r#"{{"OriginRequestPolicy": {{"Id": "x", "OriginRequestPolicyConfig": {orp}}}}}"#);
    assert_eq!(
        PolicyConfig::from_json(PolicyKind::OriginRequest, &got)
            .unwrap()
            .name(),
        "o"
    );
    let got = r#"{"ETag": "E", "ResponseHeadersPolicyConfig": {"Name": "r"}}"#;
    assert_eq!(
        PolicyConfig::from_json(PolicyKind::ResponseHeaders, got)
            .unwrap()
            .name(),
        "r"
    );
}

#[test]
fn unreadable_configs_get_cloudfronts_error_names() {
    let e = PolicyConfig::from_json(PolicyKind::Cache, "{oops").unwrap_err();
    assert_eq!(e.kind, "InvalidArgument");
    assert!(e.message.contains("not valid JSON"), "{}", e.message);
    let e =
        PolicyConfig::from_json(PolicyKind::Cache, r#"{"Name": "p", "MinTTL": -1}"#).unwrap_err();
    assert_eq!(e.kind, "InvalidArgument");
    assert!(
        e.message
            .starts_with("The CachePolicyConfig could not be read"),
        "{}",
        e.message
    );
    let e = PolicyConfig::from_json(PolicyKind::OriginRequest, r#"{"Name": "o"}"#).unwrap_err();
    assert_eq!(e.kind, "InvalidArgument");
    assert!(e.message.contains("HeadersConfig"), "{}", e.message);
    let e = PolicyConfig::from_json(
        PolicyKind::Cache,
        r#"{"Name": "p", "MinTTL": 0, "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": false,
            "QueryStringsConfig": {"QueryStringBehavior": "whitelist",
                                   "QueryStrings": {"Quantity": 2, "Items": ["v"]}}}}"#,
    )
    .unwrap_err();
    assert_eq!(e.kind, "InconsistentQuantities", "{}", e.message);
}
