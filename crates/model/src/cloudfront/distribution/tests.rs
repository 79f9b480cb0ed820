//! Fixture round trips through both shapes, and the helpers the other modules' tests share.

use serde_json::{json, Value};

use super::*;

const API_FIXTURE: &str =
    include_str!("../../../tests/fixtures/cloudfront/get-distribution-config.json");
const CFN_FIXTURE: &str =
    include_str!("../../../tests/fixtures/cloudfront/distribution-template.json");

pub(super) const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
pub(super) const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
pub(super) const ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
pub(super) const FN_URL_HOST: &str = "k3ub5gufr7pqmfq2qjhxyn2wom0zzbsd.lambda-url.us-east-1.on.aws";

/// `aws cloudfront get-distribution-config` output → its `DistributionConfig`.
fn api_json() -> Value {
    let whole: Value = serde_json::from_str(API_FIXTURE).unwrap();
    whole["DistributionConfig"].clone()
}

/// The template → the distribution's `Properties.DistributionConfig`.
fn cfn_json() -> Value {
    let whole: Value = serde_json::from_str(CFN_FIXTURE).unwrap();
    whole["Resources"]["Distribution"]["Properties"]["DistributionConfig"].clone()
}

fn round_trip(json: Value) -> DistributionConfig {
    let parsed: DistributionConfig = serde_json::from_value(json).unwrap();
    let written = serde_json::to_string(&parsed).unwrap();
    let reparsed: DistributionConfig = serde_json::from_str(&written).unwrap();
    assert_eq!(reparsed, parsed, "{written}");
    parsed
}

/// The spec's minimal template (§14): one Function URL origin, CachingOptimized.
pub(super) fn minimal() -> DistributionConfig {
    serde_json::from_value(json!({
        "Enabled": true,
        "Comment": "Lambda function URL origin",
        "HttpVersion": "http2",
        "Origins": [{
            "Id": "lambda-url",
            "DomainName": FN_URL_HOST,
            "CustomOriginConfig": {
                "OriginProtocolPolicy": "https-only",
                "OriginSSLProtocols": ["TLSv1.2"]
            }
        }],
        "DefaultCacheBehavior": {
            "TargetOriginId": "lambda-url",
            "ViewerProtocolPolicy": "redirect-to-https",
            "Compress": true,
            "CachePolicyId": CACHING_OPTIMIZED
        }
    }))
    .unwrap()
}

pub(super) fn origin(id: &str) -> Origin {
    serde_json::from_value(json!({
        "Id": id,
        "DomainName": format!("{id}.lambda-url.us-east-1.on.aws"),
        "CustomOriginConfig": { "OriginProtocolPolicy": "https-only" }
    }))
    .unwrap()
}

pub(super) fn behavior(pattern: &str, target: &str) -> CacheBehavior {
    serde_json::from_value(json!({
        "PathPattern": pattern,
        "TargetOriginId": target,
        "ViewerProtocolPolicy": "allow-all",
        "CachePolicyId": CACHING_DISABLED
    }))
    .unwrap()
}

pub(super) fn group(id: &str, members: &[&str], codes: &[u16]) -> OriginGroup {
    serde_json::from_value(json!({
        "Id": id,
        "FailoverCriteria": { "StatusCodes": codes },
        "Members": members.iter().map(|m| json!({ "OriginId": m })).collect::<Vec<_>>()
    }))
    .unwrap()
}

pub(super) fn error_response(json: Value) -> CustomErrorResponse {
    serde_json::from_value(json).unwrap()
}

pub(super) fn legacy_values(forward: &str, names: &[&str]) -> ForwardedValues {
    serde_json::from_value(json!({
        "QueryString": false,
        "Cookies": { "Forward": forward, "WhitelistedNames": names }
    }))
    .unwrap()
}

#[track_caller]
pub(super) fn assert_refused(config: &DistributionConfig, kind: &str, needle: &str) {
    let e = config.validate().expect_err("should be refused");
    assert_eq!(e.kind, kind, "{e}");
    assert!(e.message.contains(needle), "{e}");
}

pub(super) fn custom(config: &mut DistributionConfig) -> &mut CustomOriginConfig {
    config.origins.0[0].custom_origin_config.as_mut().unwrap()
}

// --- Shapes --------------------------------------------------------------------------------

#[test]
fn api_shape_round_trips_with_its_values() {
    let c = round_trip(api_json());
    c.validate().unwrap();
    assert_eq!(c.caller_reference.as_deref(), Some("cli-1735689600-fn-url"));
    assert_eq!(c.aliases.0, ["app.example.com"]);
    assert!(c.is_ipv6_enabled);
    assert_eq!(c.http_version, HttpVersion::Http2And3);
    assert_eq!(c.price_class, PriceClass::PriceClass100);
    assert_eq!(c.logging, None, "Enabled: false means no logging");

    let o = c.origin("fn-url").unwrap();
    assert_eq!(o.domain_name, FN_URL_HOST);
    assert_eq!(o.custom_headers[0].header_name, "X-Origin-Verify");
    assert_eq!(o.origin_access_control_id, None, "\"\" is none");
    let custom = o.custom_origin_config.as_ref().unwrap();
    assert_eq!(
        custom.origin_protocol_policy,
        OriginProtocolPolicy::HttpsOnly
    );
    assert_eq!(custom.origin_ssl_protocols.0, [SslProtocol::TlsV1_2]);
    let west = c.origin("fn-url-west").unwrap();
    assert_eq!((west.connection_attempts, west.connection_timeout), (2, 5));
    let group = c.origin_group("fn-url-failover").unwrap();
    assert_eq!(
        (group.primary(), group.secondary()),
        (Some("fn-url"), Some("fn-url-west"))
    );

    let d = &c.default_cache_behavior;
    assert_eq!(
        d.viewer_protocol_policy,
        ViewerProtocolPolicy::RedirectToHttps
    );
    assert_eq!(d.allowed_methods, AllowedMethods::All);
    assert_eq!(d.cached_methods, CachedMethods::GetHead);
    assert_eq!(d.cache_policy_id.as_deref(), Some(CACHING_OPTIMIZED));
    assert_eq!(
        d.origin_request_policy_id.as_deref(),
        Some(ALL_VIEWER_EXCEPT_HOST)
    );
    assert!(d.compress);
    assert_eq!(d.field_level_encryption_id, None);

    let patterns: Vec<_> = c
        .cache_behaviors
        .iter()
        .map(|b| b.path_pattern.as_str())
        .collect();
    assert_eq!(patterns, ["/api/*", "/static/*"]);
    let api = &c.cache_behaviors[0].behavior;
    assert_eq!(api.cache_policy_id.as_deref(), Some(CACHING_DISABLED));
    assert_eq!(api.function_associations[0]["EventType"], "viewer-request");
    let statics = &c.cache_behaviors[1].behavior;
    assert_eq!(statics.allowed_methods, AllowedMethods::GetHeadOptions);
    assert_eq!(statics.cached_methods, CachedMethods::GetHeadOptions);

    let e = &c.custom_error_responses[0];
    assert_eq!((e.error_code, e.response_code), (404, Some(404)));
    assert_eq!(e.response_page_path.as_deref(), Some("/errors/404.html"));

    let v = &c.viewer_certificate;
    assert!(!v.cloud_front_default_certificate);
    assert!(v
        .acm_certificate_arn
        .as_deref()
        .unwrap()
        .starts_with("arn:aws:acm:us-east-1:"));
    assert_eq!(v.ssl_support_method, Some(SslSupportMethod::SniOnly));
    assert_eq!(
        v.minimum_protocol_version,
        Some(MinimumProtocolVersion::TlsV1_2_2021)
    );
}

#[test]
fn cloudformation_shape_round_trips() {
    let c = round_trip(cfn_json());
    c.validate().unwrap();
    assert_eq!(c.caller_reference, None);
    assert_eq!(
        c.origins[0].domain_name, FN_URL_HOST,
        "https:// and / removed"
    );
}

#[test]
fn both_shapes_read_to_the_same_model() {
    let mut api: DistributionConfig = serde_json::from_value(api_json()).unwrap();
    let cfn: DistributionConfig = serde_json::from_value(cfn_json()).unwrap();
    // CallerReference exists only in the API.
    api.caller_reference = None;
    assert_eq!(api, cfn);
}

#[test]
fn written_in_the_api_shape() {
    let c: DistributionConfig = serde_json::from_value(cfn_json()).unwrap();
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(
        v["Aliases"],
        json!({"Quantity": 1, "Items": ["app.example.com"]})
    );
    assert_eq!(v["Origins"]["Quantity"], 2);
    assert_eq!(v["IsIPV6Enabled"], true);
    assert_eq!(v["WebACLId"], "");
    let origin = &v["Origins"]["Items"][0];
    assert_eq!(
        origin["CustomHeaders"]["Items"][0]["HeaderName"],
        "X-Origin-Verify"
    );
    assert_eq!(origin["CustomOriginConfig"]["HTTPSPort"], 443);
    assert_eq!(
        origin["CustomOriginConfig"]["OriginSslProtocols"],
        json!({"Quantity": 1, "Items": ["TLSv1.2"]})
    );
    let methods = &v["DefaultCacheBehavior"]["AllowedMethods"];
    assert_eq!(methods["Quantity"], 7);
    assert_eq!(
        methods["CachedMethods"],
        json!({"Quantity": 2, "Items": ["GET", "HEAD"]})
    );
    assert!(v["DefaultCacheBehavior"].get("CachedMethods").is_none());
    assert_eq!(
        v["DefaultCacheBehavior"]["TrustedKeyGroups"],
        json!({"Enabled": false, "Quantity": 0})
    );
    assert_eq!(v["CustomErrorResponses"]["Items"][0]["ResponseCode"], "404");
    assert_eq!(v["ViewerCertificate"]["SSLSupportMethod"], "sni-only");
    assert!(v["ViewerCertificate"]["ACMCertificateArn"].is_string());
}

#[test]
fn defaults_are_cloudfronts() {
    let c = minimal();
    c.validate().unwrap();
    let o = &c.origins[0];
    assert_eq!((o.connection_attempts, o.connection_timeout), (3, 10));
    assert_eq!(o.origin_path, "");
    let custom = o.custom_origin_config.as_ref().unwrap();
    assert_eq!((custom.http_port, custom.https_port), (80, 443));
    assert_eq!(
        (custom.origin_read_timeout, custom.origin_keepalive_timeout),
        (30, 5)
    );
    let d = &c.default_cache_behavior;
    assert_eq!(d.allowed_methods, AllowedMethods::GetHead);
    assert_eq!(d.cached_methods, CachedMethods::GetHead);
    assert_eq!(
        (d.min_ttl, d.default_ttl, d.max_ttl),
        (0, 86_400, 31_536_000)
    );
    assert!(d.trusted_key_groups.is_empty());
    assert_eq!(c.price_class, PriceClass::All);
    assert!(!c.is_ipv6_enabled);
    assert_eq!(c.viewer_certificate, ViewerCertificate::default());
    assert!(c.viewer_certificate.cloud_front_default_certificate);
    let e = error_response(json!({"ErrorCode": 503}));
    assert_eq!((e.error_caching_min_ttl, e.response_code), (10, None));
    let bare: CustomOriginConfig =
        serde_json::from_value(json!({"OriginProtocolPolicy": "match-viewer"})).unwrap();
    assert_eq!(
        bare.origin_ssl_protocols.0,
        [SslProtocol::TlsV1, SslProtocol::SslV3]
    );
    assert_eq!(HttpVersion::default(), HttpVersion::Http1_1);
}

#[test]
fn fields_not_modelled_are_accepted_and_dropped() {
    let mut json = cfn_json();
    json["Restrictions"] = json!({"GeoRestriction": {"RestrictionType": "none"}});
    json["ContinuousDeploymentPolicyId"] = json!("");
    json["SomeFutureField"] = json!({"Anything": [1, 2]});
    json["Origins"][0]["OriginShield"] =
        json!({"Enabled": true, "OriginShieldRegion": "us-east-1"});
    json["Origins"][0]["CustomOriginConfig"]["IpAddressType"] = json!("dualstack");
    json["DefaultCacheBehavior"]["GrpcConfig"] = json!({"Enabled": false});
    let with_extras: DistributionConfig = serde_json::from_value(json).unwrap();
    let plain: DistributionConfig = serde_json::from_value(cfn_json()).unwrap();
    assert_eq!(with_extras.origins, plain.origins);
    assert_eq!(
        with_extras.default_cache_behavior.grpc_config,
        Some(json!({"Enabled": false}))
    );
}

#[test]
fn logging_is_kept_only_when_on() {
    let mut json = cfn_json();
    json["Logging"] = json!({"Bucket": "logs.s3.amazonaws.com", "Prefix": "cf/"});
    let c = round_trip(json);
    let logging = c.logging.as_ref().unwrap();
    assert_eq!(
        (logging.bucket.as_str(), logging.include_cookies),
        ("logs.s3.amazonaws.com", false)
    );
    assert_eq!(
        serde_json::to_value(&c).unwrap()["Logging"]["Enabled"],
        true
    );
}

#[test]
fn from_json_answers_with_cloudfront_error_names() {
    let mut json = api_json();
    json["Aliases"]["Quantity"] = json!(2);
    let e = DistributionConfig::from_value(json).unwrap_err();
    assert_eq!(e.kind, "InconsistentQuantities", "{e}");

    let mut json = api_json();
    json.as_object_mut().unwrap().remove("Enabled");
    let e = DistributionConfig::from_json(&json.to_string()).unwrap_err();
    assert_eq!(e.kind, "InvalidArgument");
    assert!(e.message.contains("Enabled"), "{e}");

    let mut json = api_json();
    json["DefaultCacheBehavior"]["AllowedMethods"]["Quantity"] = json!(6);
    let e = DistributionConfig::from_value(json).unwrap_err();
    assert_eq!(e.kind, "InconsistentQuantities", "{e}");

    let mut json = api_json();
    json["DefaultCacheBehavior"]["TargetOriginId"] = json!("nowhere");
    let e = DistributionConfig::from_value(json).unwrap_err();
    assert_eq!(e.kind, "NoSuchOrigin");

    assert!(
        DistributionConfig::from_json(CFN_FIXTURE).is_err(),
        "a whole template is not a config"
    );
    DistributionConfig::from_value(cfn_json()).unwrap();
}
