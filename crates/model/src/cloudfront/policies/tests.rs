//! Fixtures the policy tests share, and the tests that cut across policy kinds: wire shapes of
//! every kind, managed policies through the API shape, and the name rule all kinds share.

use super::*;

// ---- fixtures ----

pub(crate) fn err(kind: &'static str, message: &str) -> ValidationError {
    ValidationError {
        kind,
        message: message.to_owned(),
    }
}

pub(crate) fn strings(n: usize, len: usize) -> List<String> {
    List((0..n).map(|i| format!("{i:0len$}")).collect())
}

pub(crate) fn cache_policy_config() -> CachePolicyConfig {
    CachePolicyConfig {
        name: "fn-url-cache".into(),
        comment: None,
        min_ttl: 0,
        default_ttl: 60,
        max_ttl: 3600,
        parameters_in_cache_key_and_forwarded_to_origin: ParametersInCacheKeyAndForwardedToOrigin {
            enable_accept_encoding_gzip: true,
            ..Default::default()
        },
    }
}

pub(crate) fn origin_request_policy_config() -> OriginRequestPolicyConfig {
    OriginRequestPolicyConfig {
        name: "fn-url-origin".into(),
        comment: None,
        headers_config: OriginRequestPolicyHeadersConfig::default(),
        cookies_config: CookiesConfig::default(),
        query_strings_config: QueryStringsConfig::default(),
    }
}

pub(crate) fn response_headers_policy_config() -> ResponseHeadersPolicyConfig {
    ResponseHeadersPolicyConfig {
        name: "fn-url-headers".into(),
        comment: None,
        cors_config: None,
        security_headers_config: None,
        custom_headers_config: None,
        remove_headers_config: None,
        server_timing_headers_config: None,
    }
}

pub(crate) const CACHE_API: &str = r#"{
        "Name": "fn-url-cache",
        "Comment": "Lambda URL",
        "MinTTL": 0, "DefaultTTL": 60, "MaxTTL": 3600,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": true,
            "EnableAcceptEncodingBrotli": true,
            "HeadersConfig": {"HeaderBehavior": "whitelist",
                "Headers": {"Quantity": 2, "Items": ["Authorization", "CloudFront-Viewer-Country"]}},
            "CookiesConfig": {"CookieBehavior": "allExcept",
                "Cookies": {"Quantity": 1, "Items": ["tracking"]}},
            "QueryStringsConfig": {"QueryStringBehavior": "whitelist",
                "QueryStrings": {"Quantity": 2, "Items": ["page", "lang"]}}
        }
    }"#;

pub(crate) const CACHE_CFN: &str = r#"{
        "Name": "fn-url-cache",
        "Comment": "Lambda URL",
        "MinTTL": 0, "DefaultTTL": 60, "MaxTTL": 3600,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": true,
            "EnableAcceptEncodingBrotli": true,
            "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": ["Authorization", "CloudFront-Viewer-Country"]},
            "CookiesConfig": {"CookieBehavior": "allExcept", "Cookies": ["tracking"]},
            "QueryStringsConfig": {"QueryStringBehavior": "whitelist", "QueryStrings": ["page", "lang"]}
        }
    }"#;

pub(crate) const ORP_API: &str = r#"{
        "Name": "fn-url-origin",
        "Comment": "everything but Host",
        "HeadersConfig": {"HeaderBehavior": "allExcept", "Headers": {"Quantity": 1, "Items": ["Host"]}},
        "CookiesConfig": {"CookieBehavior": "all"},
        "QueryStringsConfig": {"QueryStringBehavior": "all"}
    }"#;

pub(crate) const ORP_CFN: &str = r#"{
        "Name": "fn-url-origin",
        "Comment": "everything but Host",
        "HeadersConfig": {"HeaderBehavior": "allExcept", "Headers": ["Host"]},
        "CookiesConfig": {"CookieBehavior": "all"},
        "QueryStringsConfig": {"QueryStringBehavior": "all"}
    }"#;

pub(crate) const RHP_API: &str = r#"{
        "Name": "fn-url-headers",
        "Comment": "CORS and security",
        "CorsConfig": {
            "AccessControlAllowOrigins": {"Quantity": 2, "Items": ["https://app.example.com", "https://*.example.org"]},
            "AccessControlAllowHeaders": {"Quantity": 1, "Items": ["*"]},
            "AccessControlAllowMethods": {"Quantity": 3, "Items": ["GET", "POST", "OPTIONS"]},
            "AccessControlAllowCredentials": true,
            "AccessControlExposeHeaders": {"Quantity": 1, "Items": ["X-Request-Id"]},
            "AccessControlMaxAgeSec": 600,
            "OriginOverride": false
        },
        "SecurityHeadersConfig": {
            "XSSProtection": {"Override": false, "Protection": true, "ModeBlock": true},
            "FrameOptions": {"Override": true, "FrameOption": "DENY"},
            "ReferrerPolicy": {"Override": false, "ReferrerPolicy": "strict-origin-when-cross-origin"},
            "ContentSecurityPolicy": {"Override": true, "ContentSecurityPolicy": "default-src 'self'"},
            "ContentTypeOptions": {"Override": true},
            "StrictTransportSecurity": {"Override": false, "IncludeSubdomains": true, "Preload": true,
                "AccessControlMaxAgeSec": 63072000}
        },
        "CustomHeadersConfig": {"Quantity": 1, "Items": [{"Header": "X-Served-By", "Value": "stratus", "Override": true}]},
        "RemoveHeadersConfig": {"Quantity": 1, "Items": [{"Header": "Server"}]},
        "ServerTimingHeadersConfig": {"Enabled": true, "SamplingRate": 12.5}
    }"#;

pub(crate) const RHP_CFN: &str = r#"{
        "Name": "fn-url-headers",
        "Comment": "CORS and security",
        "CorsConfig": {
            "AccessControlAllowOrigins": {"Items": ["https://app.example.com", "https://*.example.org"]},
            "AccessControlAllowHeaders": {"Items": ["*"]},
            "AccessControlAllowMethods": {"Items": ["GET", "POST", "OPTIONS"]},
            "AccessControlAllowCredentials": true,
            "AccessControlExposeHeaders": {"Items": ["X-Request-Id"]},
            "AccessControlMaxAgeSec": 600,
            "OriginOverride": false
        },
        "SecurityHeadersConfig": {
            "XSSProtection": {"Override": false, "Protection": true, "ModeBlock": true},
            "FrameOptions": {"Override": true, "FrameOption": "DENY"},
            "ReferrerPolicy": {"Override": false, "ReferrerPolicy": "strict-origin-when-cross-origin"},
            "ContentSecurityPolicy": {"Override": true, "ContentSecurityPolicy": "default-src 'self'"},
            "ContentTypeOptions": {"Override": true},
            "StrictTransportSecurity": {"Override": false, "IncludeSubdomains": true, "Preload": true,
                "AccessControlMaxAgeSec": 63072000}
        },
        "CustomHeadersConfig": {"Items": [{"Header": "X-Served-By", "Value": "stratus", "Override": true}]},
        "RemoveHeadersConfig": {"Items": [{"Header": "Server"}]},
        "ServerTimingHeadersConfig": {"Enabled": true, "SamplingRate": 12.5}
    }"#;

/// Parses both shapes, checks they agree, that the API shape is what is written, and that
/// the written form reparses to the same value.
pub(crate) fn both_shapes<T>(api: &str, cfn: &str) -> T
where
    T: serde::de::DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let a: T = serde_json::from_str(api).unwrap();
    let c: T = serde_json::from_str(cfn).unwrap();
    assert_eq!(a, c);
    let written = serde_json::to_value(&a).unwrap();
    assert_eq!(
        written,
        serde_json::from_str::<serde_json::Value>(api).unwrap()
    );
    let again: T = serde_json::from_value(written).unwrap();
    assert_eq!(again, a);
    a
}

// ---- wire shapes ----

#[test]
fn managed_policies_round_trip_through_the_api_shape() {
    for m in managed_cache_policies() {
        let json = serde_json::to_string(&m.config).unwrap();
        assert_eq!(
            serde_json::from_str::<CachePolicyConfig>(&json).unwrap(),
            m.config
        );
    }
    for m in managed_origin_request_policies() {
        let json = serde_json::to_string(&m.config).unwrap();
        assert_eq!(
            serde_json::from_str::<OriginRequestPolicyConfig>(&json).unwrap(),
            m.config
        );
    }
    for m in managed_response_headers_policies() {
        let json = serde_json::to_string(&m.config).unwrap();
        assert_eq!(
            serde_json::from_str::<ResponseHeadersPolicyConfig>(&json).unwrap(),
            m.config
        );
    }
}

#[test]
fn unknown_behaviors_and_bad_quantities_do_not_parse() {
    // A cache policy cannot say "all viewer headers".
    let bad = CACHE_CFN.replace(
        r#""HeaderBehavior": "whitelist""#,
        r#""HeaderBehavior": "allViewer""#,
    );
    assert!(serde_json::from_str::<CachePolicyConfig>(&bad).is_err());
    // Behaviors are case-sensitive, as in AWS.
    let bad = ORP_CFN.replace("allExcept", "AllExcept");
    assert!(serde_json::from_str::<OriginRequestPolicyConfig>(&bad).is_err());
    let bad = CACHE_API.replace(
        r#""Quantity": 2, "Items": ["page""#,
        r#""Quantity": 3, "Items": ["page""#,
    );
    assert!(serde_json::from_str::<CachePolicyConfig>(&bad).is_err());
    let bad = RHP_API.replace(
        r#""Quantity": 1, "Items": [{"Header": "Server"}]"#,
        r#""Quantity": 2, "Items": [{"Header": "Server"}]"#,
    );
    assert!(serde_json::from_str::<ResponseHeadersPolicyConfig>(&bad).is_err());
    let bad = RHP_CFN.replace(r#""GET", "POST""#, r#""GET", "CONNECT""#);
    assert!(serde_json::from_str::<ResponseHeadersPolicyConfig>(&bad).is_err());
    let bad = RHP_CFN.replace("DENY", "ALLOW-FROM");
    assert!(serde_json::from_str::<ResponseHeadersPolicyConfig>(&bad).is_err());
}

// ---- rules every kind shares ----

#[test]
fn response_headers_policy_name_is_required() {
    let mut p = response_headers_policy_config();
    p.name.clear();
    assert_eq!(
        p.validate(),
        Err(err(
            "InvalidArgument",
            "The response headers policy name is required."
        ))
    );
    let mut p = origin_request_policy_config();
    p.name.clear();
    assert_eq!(
        p.validate(),
        Err(err(
            "InvalidArgument",
            "The origin request policy name is required."
        ))
    );
}

#[test]
fn a_bad_item_in_a_response_headers_list_says_what_is_wrong() {
    let bad = RHP_API.replace(
        r#"["GET", "POST", "OPTIONS"]"#,
        r#"["GET", "FOO", "OPTIONS"]"#,
    );
    let e = serde_json::from_str::<ResponseHeadersPolicyConfig>(&bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown variant `FOO`"), "{e}");
    let bad = RHP_API.replace(
        r#""Quantity": 3, "Items": ["GET""#,
        r#""Quantity": 2, "Items": ["GET""#,
    );
    let e = serde_json::from_str::<ResponseHeadersPolicyConfig>(&bad)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Quantity 2 does not match the 3 items given"),
        "{e}"
    );
}
