//! CloudFront's managed cache, origin request and response headers policies under their real IDs,
//! and the lookups by ID or name.

use std::sync::LazyLock;

use super::{
    names, CachePolicyConfig, CachePolicyHeaderBehavior, CachePolicyHeadersConfig,
    ContentTypeOptions, CookieBehavior, CookiesConfig, CorsConfig, CorsMethod, FrameOption,
    FrameOptions, OriginRequestPolicyConfig, OriginRequestPolicyHeaderBehavior,
    OriginRequestPolicyHeadersConfig, ParametersInCacheKeyAndForwardedToOrigin,
    QueryStringBehavior, QueryStringsConfig, ReferrerPolicy, ReferrerPolicyValue,
    ResponseHeadersPolicyConfig, SecurityHeadersConfig, StrictTransportSecurity, XssProtection,
};
use crate::cloudfront::wire::List;

/// A policy CloudFront provides to every account, read-only.
#[derive(Debug, Clone, PartialEq)]
pub struct Managed<C> {
    /// CloudFront's ID, the same in every account.
    pub id: &'static str,
    /// The name the Developer Guide uses, without the `Managed-` prefix.
    pub name: &'static str,
    /// The policy, as `Get*PolicyConfig` returns it; its `Name` is the one the API lists
    /// (`Managed-CachingOptimized`, but `UseOriginCacheControlHeaders` without a prefix).
    pub config: C,
}

/// A managed cache policy.
pub type ManagedCachePolicy = Managed<CachePolicyConfig>;
/// A managed origin request policy.
pub type ManagedOriginRequestPolicy = Managed<OriginRequestPolicyConfig>;
/// A managed response headers policy.
pub type ManagedResponseHeadersPolicy = Managed<ResponseHeadersPolicyConfig>;

trait PolicyName {
    fn policy_name(&self) -> &str;
}

impl PolicyName for CachePolicyConfig {
    fn policy_name(&self) -> &str {
        &self.name
    }
}

impl PolicyName for OriginRequestPolicyConfig {
    fn policy_name(&self) -> &str {
        &self.name
    }
}

impl PolicyName for ResponseHeadersPolicyConfig {
    fn policy_name(&self) -> &str {
        &self.name
    }
}

fn find<C: PolicyName>(all: &'static [Managed<C>], key: &str) -> Option<&'static Managed<C>> {
    all.iter().find(|m| {
        m.id == key
            || m.name == key
            || m.config.policy_name() == key
            || key.strip_prefix("Managed-") == Some(m.name)
    })
}

/// Every managed cache policy, including the four reserved for Amplify Hosting.
pub fn managed_cache_policies() -> &'static [ManagedCachePolicy] {
    &MANAGED_CACHE_POLICIES
}

/// Every managed origin request policy.
pub fn managed_origin_request_policies() -> &'static [ManagedOriginRequestPolicy] {
    &MANAGED_ORIGIN_REQUEST_POLICIES
}

/// Every managed response headers policy.
pub fn managed_response_headers_policies() -> &'static [ManagedResponseHeadersPolicy] {
    &MANAGED_RESPONSE_HEADERS_POLICIES
}

/// The managed cache policy with this ID, bare name (`CachingOptimized`) or API name
/// (`Managed-CachingOptimized`); case-sensitive.
pub fn cache_policy(name_or_id: &str) -> Option<&'static ManagedCachePolicy> {
    find(managed_cache_policies(), name_or_id)
}

/// The managed origin request policy with this ID, bare name (`AllViewerExceptHostHeader`) or
/// API name (`Managed-AllViewerExceptHostHeader`); case-sensitive.
pub fn origin_request_policy(name_or_id: &str) -> Option<&'static ManagedOriginRequestPolicy> {
    find(managed_origin_request_policies(), name_or_id)
}

/// The managed response headers policy with this ID, bare name (`SimpleCORS`) or API name
/// (`Managed-SimpleCORS`); case-sensitive.
pub fn response_headers_policy(name_or_id: &str) -> Option<&'static ManagedResponseHeadersPolicy> {
    find(managed_response_headers_policies(), name_or_id)
}

/// One row of the managed cache policy table. Header names are spelled as the API returns them.
struct CacheRow {
    id: &'static str,
    name: &'static str,
    api_name: &'static str,
    comment: &'static str,
    ttl: [u64; 3],
    gzip: bool,
    brotli: bool,
    headers: &'static [&'static str],
    cookies: CookieBehavior,
    query_strings: QueryStringBehavior,
    query_string_names: &'static [&'static str],
}

const USE_ORIGIN_CACHE_CONTROL_HEADERS: &[&str] = &[
    "x-method-override",
    "origin",
    "host",
    "x-http-method",
    "x-http-method-override",
];

const CACHE_ROWS: [CacheRow; 11] = [
    CacheRow {
        id: "658327ea-f89d-4fab-a63d-7e88639e58f6",
        name: "CachingOptimized",
        api_name: "Managed-CachingOptimized",
        comment: "Policy with caching enabled. Supports Gzip and Brotli compression.",
        ttl: [1, 86_400, 31_536_000],
        gzip: true,
        brotli: true,
        headers: &[],
        cookies: CookieBehavior::None,
        query_strings: QueryStringBehavior::None,
        query_string_names: &[],
    },
    CacheRow {
        id: "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
        name: "CachingOptimizedForUncompressedObjects",
        api_name: "Managed-CachingOptimizedForUncompressedObjects",
        comment: "Default policy when compression is disabled",
        ttl: [1, 86_400, 31_536_000],
        gzip: false,
        brotli: false,
        headers: &[],
        cookies: CookieBehavior::None,
        query_strings: QueryStringBehavior::None,
        query_string_names: &[],
    },
    CacheRow {
        id: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        name: "CachingDisabled",
        api_name: "Managed-CachingDisabled",
        comment: "Policy with caching disabled",
        ttl: [0, 0, 0],
        gzip: false,
        brotli: false,
        headers: &[],
        cookies: CookieBehavior::None,
        query_strings: QueryStringBehavior::None,
        query_string_names: &[],
    },
    CacheRow {
        id: "08627262-05a9-4f76-9ded-b50ca2e3a84f",
        name: "Elemental-MediaPackage",
        api_name: "Managed-Elemental-MediaPackage",
        comment: "Policy for Elemental MediaPackage Origin",
        ttl: [0, 86_400, 31_536_000],
        gzip: true,
        brotli: false,
        headers: &["origin"],
        cookies: CookieBehavior::None,
        query_strings: QueryStringBehavior::Whitelist,
        query_string_names: &["aws.manifestfilter", "start", "end", "m"],
    },
    CacheRow {
        id: "2e54312d-136d-493c-8eb9-b001f22f67d2",
        name: "Amplify",
        api_name: "Managed-Amplify",
        comment: "Policy for Amplify Origin",
        ttl: [2, 2, 600],
        gzip: true,
        brotli: true,
        headers: &["Authorization", "CloudFront-Viewer-Country", "Host"],
        cookies: CookieBehavior::All,
        query_strings: QueryStringBehavior::All,
        query_string_names: &[],
    },
    CacheRow {
        id: "83da9c7e-98b4-4e11-a168-04f0df8e2c65",
        name: "UseOriginCacheControlHeaders",
        api_name: "UseOriginCacheControlHeaders",
        comment: "Policy for origins that return Cache-Control headers. Query strings are not included in the cache key.",
        ttl: [0, 0, 31_536_000],
        gzip: true,
        brotli: true,
        headers: USE_ORIGIN_CACHE_CONTROL_HEADERS,
        cookies: CookieBehavior::All,
        query_strings: QueryStringBehavior::None,
        query_string_names: &[],
    },
    CacheRow {
        id: "4cc15a8a-d715-48a4-82b8-cc0b614638fe",
        name: "UseOriginCacheControlHeaders-QueryStrings",
        api_name: "UseOriginCacheControlHeaders-QueryStrings",
        comment: "Policy for origins that return Cache-Control headers and serve different content based on values present in the query string.",
        ttl: [0, 0, 31_536_000],
        gzip: true,
        brotli: true,
        headers: USE_ORIGIN_CACHE_CONTROL_HEADERS,
        cookies: CookieBehavior::All,
        query_strings: QueryStringBehavior::All,
        query_string_names: &[],
    },
    // Reserved for Amplify Hosting; settings from an export of the live managed policies.
    CacheRow {
        id: "4d1d2f1d-3a71-49ad-9e08-7ea5d843a556",
        name: "Amplify-Default",
        api_name: "Managed-Amplify-Default",
        comment: "Default Amplify cache policy",
        ttl: [0, 0, 31_536_000],
        gzip: true,
        brotli: true,
        headers: &[
            "Authorization",
            "Accept",
            "CloudFront-Viewer-Country",
            "Host",
        ],
        cookies: CookieBehavior::All,
        query_strings: QueryStringBehavior::All,
        query_string_names: &[],
    },
    CacheRow {
        id: "a6bad946-36c3-4c33-aa98-362c74a7fb13",
        name: "Amplify-DefaultNoCookies",
        api_name: "Managed-Amplify-DefaultNoCookies",
        comment: "Default Amplify cache policy without cookies",
        ttl: [0, 0, 31_536_000],
        gzip: true,
        brotli: true,
        headers: &[
            "Authorization",
            "Accept",
            "CloudFront-Viewer-Country",
            "Host",
        ],
        cookies: CookieBehavior::None,
        query_strings: QueryStringBehavior::All,
        query_string_names: &[],
    },
    CacheRow {
        id: "1c6db51a-a33f-469a-8245-dae26771f530",
        name: "Amplify-ImageOptimization",
        api_name: "Managed-Amplify-ImageOptimization",
        comment: "Amplify cache policy for image optimization",
        ttl: [0, 0, 31_536_000],
        gzip: true,
        brotli: true,
        headers: &["Authorization", "Accept", "Host"],
        cookies: CookieBehavior::None,
        query_strings: QueryStringBehavior::All,
        query_string_names: &[],
    },
    CacheRow {
        id: "7e5fad67-ee98-4ad0-b05a-394999eefc1a",
        name: "Amplify-StaticContent",
        api_name: "Managed-Amplify-StaticContent",
        comment: "Amplify cache policy for static content",
        ttl: [0, 0, 31_536_000],
        gzip: true,
        brotli: true,
        headers: &["Authorization", "Host"],
        cookies: CookieBehavior::None,
        query_strings: QueryStringBehavior::None,
        query_string_names: &[],
    },
];

static MANAGED_CACHE_POLICIES: LazyLock<Vec<ManagedCachePolicy>> = LazyLock::new(|| {
    CACHE_ROWS
        .iter()
        .map(|r| Managed {
            id: r.id,
            name: r.name,
            config: CachePolicyConfig {
                name: r.api_name.to_owned(),
                comment: Some(r.comment.to_owned()),
                min_ttl: r.ttl[0],
                default_ttl: r.ttl[1],
                max_ttl: r.ttl[2],
                parameters_in_cache_key_and_forwarded_to_origin:
                    ParametersInCacheKeyAndForwardedToOrigin {
                        enable_accept_encoding_gzip: r.gzip,
                        enable_accept_encoding_brotli: r.brotli,
                        headers_config: CachePolicyHeadersConfig {
                            header_behavior: if r.headers.is_empty() {
                                CachePolicyHeaderBehavior::None
                            } else {
                                CachePolicyHeaderBehavior::Whitelist
                            },
                            headers: names(r.headers),
                        },
                        cookies_config: CookiesConfig {
                            cookie_behavior: r.cookies,
                            cookies: List::default(),
                        },
                        query_strings_config: QueryStringsConfig {
                            query_string_behavior: r.query_strings,
                            query_strings: names(r.query_string_names),
                        },
                    },
            },
        })
        .collect()
});

/// One row of the managed origin request policy table.
struct OriginRequestRow {
    id: &'static str,
    name: &'static str,
    comment: Option<&'static str>,
    header_behavior: OriginRequestPolicyHeaderBehavior,
    headers: &'static [&'static str],
    cookies: CookieBehavior,
    query_strings: QueryStringBehavior,
}

const ORIGIN_REQUEST_ROWS: [OriginRequestRow; 8] = [
    OriginRequestRow {
        id: "216adef6-5c7f-47e4-b989-5492eafa07d3",
        name: "AllViewer",
        comment: Some("Policy to forward all parameters in viewer requests"),
        header_behavior: OriginRequestPolicyHeaderBehavior::AllViewer,
        headers: &[],
        cookies: CookieBehavior::All,
        query_strings: QueryStringBehavior::All,
    },
    OriginRequestRow {
        id: "b689b0a8-53d0-40ab-baf2-68738e2966ac",
        name: "AllViewerExceptHostHeader",
        comment: Some(
            "Policy to forward all parameters in viewer requests except for the Host header",
        ),
        header_behavior: OriginRequestPolicyHeaderBehavior::AllExcept,
        headers: &["host"],
        cookies: CookieBehavior::All,
        query_strings: QueryStringBehavior::All,
    },
    OriginRequestRow {
        id: "33f36d7e-f396-46d9-90e0-52428a34d9dc",
        name: "AllViewerAndCloudFrontHeaders-2022-06",
        comment: Some(
            "Policy to forward all parameters in viewer requests and all CloudFront headers as of June 2022",
        ),
        header_behavior: OriginRequestPolicyHeaderBehavior::AllViewerAndWhitelistCloudFront,
        headers: &[
            "CloudFront-Forwarded-Proto",
            "CloudFront-Is-Android-Viewer",
            "CloudFront-Is-Desktop-Viewer",
            "CloudFront-Is-IOS-Viewer",
            "CloudFront-Is-Mobile-Viewer",
            "CloudFront-Is-SmartTV-Viewer",
            "CloudFront-Is-Tablet-Viewer",
            "CloudFront-Viewer-Address",
            "CloudFront-Viewer-ASN",
            "CloudFront-Viewer-City",
            "CloudFront-Viewer-Country",
            "CloudFront-Viewer-Country-Name",
            "CloudFront-Viewer-Country-Region",
            "CloudFront-Viewer-Country-Region-Name",
            "CloudFront-Viewer-Http-Version",
            "CloudFront-Viewer-Latitude",
            "CloudFront-Viewer-Longitude",
            "CloudFront-Viewer-Metro-Code",
            "CloudFront-Viewer-Postal-Code",
            "CloudFront-Viewer-Time-Zone",
            "CloudFront-Viewer-TLS",
        ],
        cookies: CookieBehavior::All,
        query_strings: QueryStringBehavior::All,
    },
    OriginRequestRow {
        id: "59781a5b-3903-41f3-afcb-af62929ccde1",
        name: "CORS-CustomOrigin",
        comment: Some("Policy for custom origin with CORS"),
        header_behavior: OriginRequestPolicyHeaderBehavior::Whitelist,
        headers: &["origin"],
        cookies: CookieBehavior::None,
        query_strings: QueryStringBehavior::None,
    },
    OriginRequestRow {
        id: "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
        name: "CORS-S3Origin",
        comment: Some("Policy for S3 origin with CORS"),
        header_behavior: OriginRequestPolicyHeaderBehavior::Whitelist,
        headers: &[
            "origin",
            "access-control-request-headers",
            "access-control-request-method",
        ],
        cookies: CookieBehavior::None,
        query_strings: QueryStringBehavior::None,
    },
    OriginRequestRow {
        id: "775133bc-15f2-49f9-abea-afb2e0bf67d2",
        name: "Elemental-MediaTailor-PersonalizedManifests",
        comment: Some("Policy for Elemental MediaTailor Origin"),
        header_behavior: OriginRequestPolicyHeaderBehavior::Whitelist,
        headers: &[
            "origin",
            "access-control-request-headers",
            "x-forwarded-for",
            "access-control-request-method",
            "user-agent",
        ],
        cookies: CookieBehavior::None,
        query_strings: QueryStringBehavior::All,
    },
    OriginRequestRow {
        id: "acba4595-bd28-49b8-b9fe-13317c0390fa",
        name: "UserAgentRefererHeaders",
        comment: Some("Policy to forward user-agent and referer headers to origin"),
        header_behavior: OriginRequestPolicyHeaderBehavior::Whitelist,
        headers: &["referer", "user-agent"],
        cookies: CookieBehavior::None,
        query_strings: QueryStringBehavior::None,
    },
    OriginRequestRow {
        id: "bf0718e1-ba1e-49d1-88b1-f726733018ae",
        name: "HostHeaderOnly",
        comment: None,
        header_behavior: OriginRequestPolicyHeaderBehavior::Whitelist,
        headers: &["Host"],
        cookies: CookieBehavior::None,
        query_strings: QueryStringBehavior::None,
    },
];

static MANAGED_ORIGIN_REQUEST_POLICIES: LazyLock<Vec<ManagedOriginRequestPolicy>> =
    LazyLock::new(|| {
        ORIGIN_REQUEST_ROWS
            .iter()
            .map(|r| Managed {
                id: r.id,
                name: r.name,
                config: OriginRequestPolicyConfig {
                    name: format!("Managed-{}", r.name),
                    comment: r.comment.map(str::to_owned),
                    headers_config: OriginRequestPolicyHeadersConfig {
                        header_behavior: r.header_behavior,
                        headers: names(r.headers),
                    },
                    cookies_config: CookiesConfig {
                        cookie_behavior: r.cookies,
                        cookies: List::default(),
                    },
                    query_strings_config: QueryStringsConfig {
                        query_string_behavior: r.query_strings,
                        query_strings: List::default(),
                    },
                },
            })
            .collect()
    });

/// `Access-Control-Allow-Origin: *` for simple CORS requests, the origin's header winning.
pub(crate) fn simple_cors() -> CorsConfig {
    CorsConfig {
        access_control_allow_origins: names(&["*"]),
        access_control_allow_headers: List::default(),
        access_control_allow_methods: List::default(),
        access_control_allow_credentials: false,
        access_control_expose_headers: List::default(),
        access_control_max_age_sec: None,
        origin_override: false,
    }
}

/// Any origin, preflights included: Allow-Methods and Expose-Headers as the Developer Guide
/// lists them (it names no Allow-Headers).
fn preflight_cors() -> CorsConfig {
    CorsConfig {
        access_control_allow_methods: List(vec![
            CorsMethod::Delete,
            CorsMethod::Get,
            CorsMethod::Head,
            CorsMethod::Options,
            CorsMethod::Patch,
            CorsMethod::Post,
            CorsMethod::Put,
        ]),
        access_control_expose_headers: names(&["*"]),
        ..simple_cors()
    }
}

/// SecurityHeadersPolicy: only `X-Content-Type-Options` overrides the origin.
fn security_headers() -> SecurityHeadersConfig {
    SecurityHeadersConfig {
        content_security_policy: None,
        content_type_options: Some(ContentTypeOptions { r#override: true }),
        frame_options: Some(FrameOptions {
            frame_option: FrameOption::SameOrigin,
            r#override: false,
        }),
        referrer_policy: Some(ReferrerPolicy {
            referrer_policy: ReferrerPolicyValue::StrictOriginWhenCrossOrigin,
            r#override: false,
        }),
        strict_transport_security: Some(StrictTransportSecurity {
            access_control_max_age_sec: 31_536_000,
            include_subdomains: false,
            preload: false,
            r#override: false,
        }),
        xss_protection: Some(XssProtection {
            protection: true,
            mode_block: true,
            report_uri: None,
            r#override: false,
        }),
    }
}

fn managed_rhp(
    id: &'static str,
    name: &'static str,
    comment: &str,
    cors: Option<CorsConfig>,
    security: Option<SecurityHeadersConfig>,
) -> ManagedResponseHeadersPolicy {
    Managed {
        id,
        name,
        config: ResponseHeadersPolicyConfig {
            name: format!("Managed-{name}"),
            comment: Some(comment.to_owned()),
            cors_config: cors,
            security_headers_config: security,
            custom_headers_config: None,
            remove_headers_config: None,
            server_timing_headers_config: None,
        },
    }
}

static MANAGED_RESPONSE_HEADERS_POLICIES: LazyLock<Vec<ManagedResponseHeadersPolicy>> =
    LazyLock::new(|| {
        vec![
            managed_rhp(
                "60669652-455b-4ae9-85a4-c4c02393f86c",
                "SimpleCORS",
                "Allows all origins for simple CORS requests",
                Some(simple_cors()),
                None,
            ),
            managed_rhp(
                "5cc3b908-e619-4b99-88e5-2cf7f45965bd",
                "CORS-With-Preflight",
                "Allows all origins for CORS requests, including preflight requests",
                Some(preflight_cors()),
                None,
            ),
            managed_rhp(
                "67f7725c-6f97-4210-82d7-5512b31e9d03",
                "SecurityHeadersPolicy",
                "Adds a set of security headers to every response",
                None,
                Some(security_headers()),
            ),
            managed_rhp(
                "e61eb60c-9c35-4d20-a928-2b84e02af89c",
                "CORS-and-SecurityHeadersPolicy",
                "Allows all origins for simple CORS requests and adds security headers",
                Some(simple_cors()),
                Some(security_headers()),
            ),
            managed_rhp(
                "eaab4381-ed33-4a86-88ca-d9558dc6cd63",
                "CORS-with-preflight-and-SecurityHeadersPolicy",
                "Allows all origins for CORS requests, including preflight requests, and adds security headers",
                Some(preflight_cors()),
                Some(security_headers()),
            ),
        ]
    });

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudfront::policies::PolicyQuotas;

    fn same_names(got: &[String], want: &[&str]) -> bool {
        let mut g: Vec<String> = got.iter().map(|s| s.to_ascii_lowercase()).collect();
        let mut w: Vec<String> = want.iter().map(|s| s.to_ascii_lowercase()).collect();
        g.sort();
        w.sort();
        g == w
    }

    #[test]
    fn every_managed_policy_validates() {
        for m in managed_cache_policies() {
            assert_eq!(m.config.validate(), Ok(()), "{}", m.name);
        }
        for m in managed_origin_request_policies() {
            assert_eq!(
                m.config.validate_with(&PolicyQuotas::MANAGED),
                Ok(()),
                "{}",
                m.name
            );
            // Only the 21-header policy is above the default account quota.
            let default = m.config.validate();
            if m.name == "AllViewerAndCloudFrontHeaders-2022-06" {
                assert_eq!(
                    default.map_err(|e| e.kind),
                    Err("TooManyHeadersInOriginRequestPolicy")
                );
            } else {
                assert_eq!(default, Ok(()), "{}", m.name);
            }
        }
        for m in managed_response_headers_policies() {
            assert_eq!(m.config.validate(), Ok(()), "{}", m.name);
        }
    }

    #[test]
    fn managed_ids_and_names_are_unique() {
        let mut ids: Vec<&str> = managed_cache_policies()
            .iter()
            .map(|m| m.id)
            .chain(managed_origin_request_policies().iter().map(|m| m.id))
            .chain(managed_response_headers_policies().iter().map(|m| m.id))
            .collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert_eq!(n, 11 + 8 + 5);
    }

    /// CloudFront Developer Guide, "Use managed cache policies" (spec §4 table).
    #[test]
    fn managed_cache_policies_match_the_spec_table() {
        // (id, name, [Min, Default, Max] TTL, headers, CookieBehavior, QueryStringBehavior,
        //  query strings, Gzip, Brotli)
        type Row<'a> = (
            &'a str,
            &'a str,
            [u64; 3],
            &'a [&'a str],
            &'a str,
            &'a str,
            &'a [&'a str],
            bool,
            bool,
        );
        #[rustfmt::skip]
        const UOCCH: &[&str] = &["host", "origin", "x-http-method-override", "x-http-method", "x-method-override"];
        #[rustfmt::skip]
        let table: [Row; 11] = [
            ("658327ea-f89d-4fab-a63d-7e88639e58f6", "CachingOptimized", [1, 86400, 31536000], &[], "none", "none", &[], true, true),
            ("b2884449-e4de-46a7-ac36-70bc7f1ddd6d", "CachingOptimizedForUncompressedObjects", [1, 86400, 31536000], &[], "none", "none", &[], false, false),
            ("4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "CachingDisabled", [0, 0, 0], &[], "none", "none", &[], false, false),
            ("08627262-05a9-4f76-9ded-b50ca2e3a84f", "Elemental-MediaPackage", [0, 86400, 31536000], &["Origin"], "none", "whitelist", &["aws.manifestfilter", "start", "end", "m"], true, false),
            ("2e54312d-136d-493c-8eb9-b001f22f67d2", "Amplify", [2, 2, 600], &["Authorization", "CloudFront-Viewer-Country", "Host"], "all", "all", &[], true, true),
            ("83da9c7e-98b4-4e11-a168-04f0df8e2c65", "UseOriginCacheControlHeaders", [0, 0, 31536000], UOCCH, "all", "none", &[], true, true),
            ("4cc15a8a-d715-48a4-82b8-cc0b614638fe", "UseOriginCacheControlHeaders-QueryStrings", [0, 0, 31536000], UOCCH, "all", "all", &[], true, true),
            // Amplify Hosting's reserved policies (IDs in the spec; settings from the live export).
            ("4d1d2f1d-3a71-49ad-9e08-7ea5d843a556", "Amplify-Default", [0, 0, 31536000], &["Authorization", "Accept", "CloudFront-Viewer-Country", "Host"], "all", "all", &[], true, true),
            ("a6bad946-36c3-4c33-aa98-362c74a7fb13", "Amplify-DefaultNoCookies", [0, 0, 31536000], &["Authorization", "Accept", "CloudFront-Viewer-Country", "Host"], "none", "all", &[], true, true),
            ("1c6db51a-a33f-469a-8245-dae26771f530", "Amplify-ImageOptimization", [0, 0, 31536000], &["Authorization", "Accept", "Host"], "none", "all", &[], true, true),
            ("7e5fad67-ee98-4ad0-b05a-394999eefc1a", "Amplify-StaticContent", [0, 0, 31536000], &["Authorization", "Host"], "none", "none", &[], true, true),
        ];
        assert_eq!(managed_cache_policies().len(), table.len());
        for (id, name, ttl, headers, cookies, qs, qs_names, gzip, br) in table {
            let m = cache_policy(id).unwrap_or_else(|| panic!("{id} ({name}) missing"));
            assert_eq!(m.name, name, "{id}");
            let c = &m.config;
            assert_eq!([c.min_ttl, c.default_ttl, c.max_ttl], ttl, "{name}");
            let p = &c.parameters_in_cache_key_and_forwarded_to_origin;
            let want_hb = if headers.is_empty() {
                "none"
            } else {
                "whitelist"
            };
            assert_eq!(p.headers_config.header_behavior.as_str(), want_hb, "{name}");
            assert!(same_names(&p.headers_config.headers, headers), "{name}");
            assert_eq!(p.cookies_config.cookie_behavior.as_str(), cookies, "{name}");
            assert!(p.cookies_config.cookies.is_empty(), "{name}");
            assert_eq!(
                p.query_strings_config.query_string_behavior.as_str(),
                qs,
                "{name}"
            );
            let got_qs: Vec<&str> = p
                .query_strings_config
                .query_strings
                .iter()
                .map(String::as_str)
                .collect();
            assert_eq!(got_qs, qs_names, "{name}");
            assert_eq!(
                (
                    p.enable_accept_encoding_gzip,
                    p.enable_accept_encoding_brotli
                ),
                (gzip, br),
                "{name}"
            );
        }
    }

    /// CloudFront Developer Guide, "Use managed origin request policies" (spec §5 table).
    #[test]
    fn managed_origin_request_policies_match_the_spec_table() {
        #[rustfmt::skip]
        let cf_2022_06: &[&str] = &[
            "CloudFront-Forwarded-Proto", "CloudFront-Is-Android-Viewer", "CloudFront-Is-Desktop-Viewer",
            "CloudFront-Is-IOS-Viewer", "CloudFront-Is-Mobile-Viewer", "CloudFront-Is-SmartTV-Viewer",
            "CloudFront-Is-Tablet-Viewer", "CloudFront-Viewer-Address", "CloudFront-Viewer-ASN",
            "CloudFront-Viewer-City", "CloudFront-Viewer-Country", "CloudFront-Viewer-Country-Name",
            "CloudFront-Viewer-Country-Region", "CloudFront-Viewer-Country-Region-Name",
            "CloudFront-Viewer-Http-Version", "CloudFront-Viewer-Latitude", "CloudFront-Viewer-Longitude",
            "CloudFront-Viewer-Metro-Code", "CloudFront-Viewer-Postal-Code", "CloudFront-Viewer-Time-Zone",
            "CloudFront-Viewer-TLS",
        ];
        // (id, name, HeaderBehavior, headers, CookieBehavior, QueryStringBehavior)
        type Row<'a> = (&'a str, &'a str, &'a str, &'a [&'a str], &'a str, &'a str);
        #[rustfmt::skip]
        let table: [Row; 8] = [
            ("216adef6-5c7f-47e4-b989-5492eafa07d3", "AllViewer", "allViewer", &[], "all", "all"),
            ("b689b0a8-53d0-40ab-baf2-68738e2966ac", "AllViewerExceptHostHeader", "allExcept", &["Host"], "all", "all"),
            ("33f36d7e-f396-46d9-90e0-52428a34d9dc", "AllViewerAndCloudFrontHeaders-2022-06", "allViewerAndWhitelistCloudFront", cf_2022_06, "all", "all"),
            ("59781a5b-3903-41f3-afcb-af62929ccde1", "CORS-CustomOrigin", "whitelist", &["Origin"], "none", "none"),
            ("88a5eaf4-2fd4-4709-b370-b4c650ea3fcf", "CORS-S3Origin", "whitelist", &["Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method"], "none", "none"),
            ("775133bc-15f2-49f9-abea-afb2e0bf67d2", "Elemental-MediaTailor-PersonalizedManifests", "whitelist", &["Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method", "User-Agent", "X-Forwarded-For"], "none", "all"),
            ("acba4595-bd28-49b8-b9fe-13317c0390fa", "UserAgentRefererHeaders", "whitelist", &["User-Agent", "Referer"], "none", "none"),
            ("bf0718e1-ba1e-49d1-88b1-f726733018ae", "HostHeaderOnly", "whitelist", &["Host"], "none", "none"),
        ];
        assert_eq!(managed_origin_request_policies().len(), table.len());
        for (id, name, hb, headers, cookies, qs) in table {
            let m = origin_request_policy(id).unwrap_or_else(|| panic!("{id} ({name}) missing"));
            assert_eq!(m.name, name, "{id}");
            let c = &m.config;
            assert_eq!(c.headers_config.header_behavior.as_str(), hb, "{name}");
            assert!(same_names(&c.headers_config.headers, headers), "{name}");
            assert_eq!(c.cookies_config.cookie_behavior.as_str(), cookies, "{name}");
            assert_eq!(
                c.query_strings_config.query_string_behavior.as_str(),
                qs,
                "{name}"
            );
            assert!(
                c.cookies_config.cookies.is_empty()
                    && c.query_strings_config.query_strings.is_empty()
            );
        }
    }

    /// CloudFront Developer Guide, "Use managed response headers policies" (spec §6 table).
    #[test]
    fn managed_response_headers_policies_match_the_spec_table() {
        // (id, name, CORS: Some(with preflight?), security headers)
        #[rustfmt::skip]
        let table: [(&str, &str, Option<bool>, bool); 5] = [
            ("60669652-455b-4ae9-85a4-c4c02393f86c", "SimpleCORS", Some(false), false),
            ("5cc3b908-e619-4b99-88e5-2cf7f45965bd", "CORS-With-Preflight", Some(true), false),
            ("67f7725c-6f97-4210-82d7-5512b31e9d03", "SecurityHeadersPolicy", None, true),
            ("e61eb60c-9c35-4d20-a928-2b84e02af89c", "CORS-and-SecurityHeadersPolicy", Some(false), true),
            ("eaab4381-ed33-4a86-88ca-d9558dc6cd63", "CORS-with-preflight-and-SecurityHeadersPolicy", Some(true), true),
        ];
        assert_eq!(managed_response_headers_policies().len(), table.len());
        for (id, name, cors, security) in table {
            let m = response_headers_policy(id).unwrap_or_else(|| panic!("{id} ({name}) missing"));
            assert_eq!(m.name, name, "{id}");
            let c = &m.config;
            match (cors, &c.cors_config) {
                (None, None) => {}
                (Some(preflight), Some(cc)) => {
                    assert_eq!(
                        cc.access_control_allow_origins.0,
                        vec!["*".to_owned()],
                        "{name}"
                    );
                    assert!(
                        !cc.origin_override && !cc.access_control_allow_credentials,
                        "{name}"
                    );
                    let methods: Vec<&str> = cc
                        .access_control_allow_methods
                        .iter()
                        .map(|m| m.as_str())
                        .collect();
                    if preflight {
                        assert_eq!(
                            methods,
                            ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
                            "{name}"
                        );
                        assert_eq!(
                            cc.access_control_expose_headers.0,
                            vec!["*".to_owned()],
                            "{name}"
                        );
                    } else {
                        assert!(
                            methods.is_empty() && cc.access_control_expose_headers.is_empty(),
                            "{name}"
                        );
                    }
                }
                other => panic!("{name}: CORS {other:?}"),
            }
            match (security, &c.security_headers_config) {
                (false, None) => {}
                (true, Some(s)) => {
                    let rp = s
                        .referrer_policy
                        .as_ref()
                        .map(|r| (r.referrer_policy.as_str(), r.r#override));
                    assert_eq!(
                        rp,
                        Some(("strict-origin-when-cross-origin", false)),
                        "{name}"
                    );
                    let hsts = s.strict_transport_security.as_ref().map(|h| {
                        (
                            h.access_control_max_age_sec,
                            h.include_subdomains,
                            h.preload,
                            h.r#override,
                        )
                    });
                    assert_eq!(hsts, Some((31536000, false, false, false)), "{name}");
                    assert_eq!(
                        s.content_type_options.as_ref().map(|o| o.r#override),
                        Some(true),
                        "{name}"
                    );
                    let fo = s
                        .frame_options
                        .as_ref()
                        .map(|f| (f.frame_option.as_str(), f.r#override));
                    assert_eq!(fo, Some(("SAMEORIGIN", false)), "{name}");
                    let xss = s.xss_protection.as_ref().map(|x| {
                        (
                            x.protection,
                            x.mode_block,
                            x.report_uri.is_none(),
                            x.r#override,
                        )
                    });
                    assert_eq!(xss, Some((true, true, true, false)), "{name}");
                    assert!(s.content_security_policy.is_none(), "{name}");
                }
                other => panic!("{name}: security {other:?}"),
            }
            assert!(c.custom_headers_config.is_none() && c.remove_headers_config.is_none());
            assert!(c.server_timing_headers_config.is_none());
        }
    }

    #[test]
    fn lookups_accept_the_id_the_bare_name_and_the_managed_name() {
        for m in managed_cache_policies() {
            for key in [
                m.id.to_owned(),
                m.name.to_owned(),
                format!("Managed-{}", m.name),
                m.config.name.clone(),
            ] {
                assert_eq!(cache_policy(&key).map(|f| f.id), Some(m.id), "{key}");
            }
        }
        for m in managed_origin_request_policies() {
            for key in [
                m.id.to_owned(),
                m.name.to_owned(),
                format!("Managed-{}", m.name),
            ] {
                assert_eq!(
                    origin_request_policy(&key).map(|f| f.id),
                    Some(m.id),
                    "{key}"
                );
            }
        }
        for m in managed_response_headers_policies() {
            for key in [
                m.id.to_owned(),
                m.name.to_owned(),
                format!("Managed-{}", m.name),
            ] {
                assert_eq!(
                    response_headers_policy(&key).map(|f| f.id),
                    Some(m.id),
                    "{key}"
                );
            }
        }
        assert_eq!(
            cache_policy("Managed-CachingOptimized").map(|m| m.id),
            Some("658327ea-f89d-4fab-a63d-7e88639e58f6")
        );
        assert_eq!(
            origin_request_policy("AllViewerExceptHostHeader").map(|m| m.id),
            Some("b689b0a8-53d0-40ab-baf2-68738e2966ac")
        );
        // The API lists the two UseOriginCacheControlHeaders policies without the prefix.
        assert_eq!(
            cache_policy("83da9c7e-98b4-4e11-a168-04f0df8e2c65").map(|m| m.config.name.as_str()),
            Some("UseOriginCacheControlHeaders")
        );
        assert!(cache_policy("cachingoptimized").is_none(), "case-sensitive");
        assert!(cache_policy("Managed-cachingOptimized").is_none());
        assert!(cache_policy("Managed-").is_none());
        assert!(cache_policy("").is_none());
        assert!(
            cache_policy("b689b0a8-53d0-40ab-baf2-68738e2966ac").is_none(),
            "an ORP ID"
        );
        assert!(origin_request_policy("CachingOptimized").is_none());
        assert!(response_headers_policy("AllViewer").is_none());
    }
}
