//! Cache, origin request and response headers policies (`AWS::CloudFront::CachePolicy`,
//! `AWS::CloudFront::OriginRequestPolicy`, `AWS::CloudFront::ResponseHeadersPolicy`) with AWS's
//! field names, their validation, and CloudFront's managed policies under their real IDs.
//!
//! Every config reads both the API's JSON (what `aws cloudfront get-cache-policy-config` and its
//! siblings print: lists as `{Quantity, Items}`) and CloudFormation's (plain arrays, or `{Items}`
//! without `Quantity` in response headers policies) into the same value, and writes the API's
//! shape.
//!
//! This module owns shapes and rules only. The edge compiles validated policies into its cache
//! key and header rules; nothing here runs on the request path.

use std::sync::LazyLock;

use serde::{Deserialize, Deserializer, Serialize};

use super::wire::List;
use crate::ValidationError;

// AWS error names, from the "Errors" sections of CreateCachePolicy, CreateOriginRequestPolicy
// and CreateResponseHeadersPolicy in the CloudFront API Reference.
const INVALID_ARGUMENT: &str = "InvalidArgument";
const TOO_MANY_HEADERS_IN_CACHE_POLICY: &str = "TooManyHeadersInCachePolicy";
const TOO_MANY_COOKIES_IN_CACHE_POLICY: &str = "TooManyCookiesInCachePolicy";
const TOO_MANY_QUERY_STRINGS_IN_CACHE_POLICY: &str = "TooManyQueryStringsInCachePolicy";
const TOO_MANY_HEADERS_IN_ORIGIN_REQUEST_POLICY: &str = "TooManyHeadersInOriginRequestPolicy";
const TOO_MANY_COOKIES_IN_ORIGIN_REQUEST_POLICY: &str = "TooManyCookiesInOriginRequestPolicy";
const TOO_MANY_QUERY_STRINGS_IN_ORIGIN_REQUEST_POLICY: &str =
    "TooManyQueryStringsInOriginRequestPolicy";
const TOO_MANY_CUSTOM_HEADERS_IN_RESPONSE_HEADERS_POLICY: &str =
    "TooManyCustomHeadersInResponseHeadersPolicy";
const TOO_MANY_REMOVE_HEADERS_IN_RESPONSE_HEADERS_POLICY: &str =
    "TooManyRemoveHeadersInResponseHeadersPolicy";
const TOO_LONG_CSP_IN_RESPONSE_HEADERS_POLICY: &str = "TooLongCSPInResponseHeadersPolicy";

/// CloudFront: the header, cookie and query string names of one policy total at most 1,024
/// characters.
pub const MAX_TOTAL_NAME_CHARS: usize = 1024;

/// CloudFront: a `Content-Security-Policy` value in a response headers policy is at most 1,783
/// characters.
pub const MAX_CSP_CHARS: usize = 1783;

/// CloudFront: a policy comment is at most 128 characters.
pub const MAX_COMMENT_CHARS: usize = 128;

/// Cache key headers CloudFront refuses in a cache policy (they may only be forwarded by an
/// origin request policy).
const ORIGIN_REQUEST_ONLY_HEADERS: [&str; 4] = [
    "CloudFront-Viewer-Address",
    "CloudFront-Viewer-ASN",
    "CloudFront-Viewer-JA3-Fingerprint",
    "CloudFront-Viewer-TLS",
];

/// Response headers a policy may not remove: the headers edge functions may not touch, plus
/// the hop-by-hop and framing headers CloudFront owns.
const UNREMOVABLE_HEADERS: [&str; 28] = [
    "Connection",
    "Content-Encoding",
    "Content-Length",
    "Expect",
    "Host",
    "Keep-Alive",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
    "Via",
    "Warning",
    "X-Accel-Buffering",
    "X-Accel-Charset",
    "X-Accel-Limit-Rate",
    "X-Accel-Redirect",
    "X-Amzn-Auth",
    "X-Amzn-Cf-Billing",
    "X-Amzn-Cf-Id",
    "X-Amzn-Cf-Xff",
    "X-Amzn-Errortype",
    "X-Amzn-Fle-Profile",
    "X-Amzn-Header-Count",
    "X-Amzn-Header-Order",
    "X-Amzn-Lambda-Integration-Tag",
    "X-Amzn-RequestId",
    "X-Cache",
    "X-Forwarded-Proto",
    "X-Real-IP",
];

/// Prefixes of response headers a policy may not remove (`Proxy-*`, `X-Accel-*`, `X-Amz-Cf-*`,
/// `X-Edge-*`).
const UNREMOVABLE_PREFIXES: [&str; 4] = ["Proxy-", "X-Accel-", "X-Amz-Cf-", "X-Edge-"];

/// Per-policy quotas. CloudFront's defaults are [`PolicyQuotas::DEFAULT`]; AWS raises some on
/// request, and its own managed policies are not bound by them (one names 21 headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyQuotas {
    /// Names in one header, cookie or query string list of a cache or origin request policy.
    /// Default: 10.
    pub names_per_list: usize,
    /// Custom headers in a response headers policy. Default: 10.
    pub custom_headers: usize,
    /// Headers in a response headers policy's `RemoveHeadersConfig`. Default: 10.
    pub remove_headers: usize,
}

impl PolicyQuotas {
    /// CloudFront's default quotas.
    pub const DEFAULT: PolicyQuotas = PolicyQuotas {
        names_per_list: 10,
        custom_headers: 10,
        remove_headers: 10,
    };

    /// No count limits: what AWS's managed policies are held to. Every other rule still applies.
    pub const MANAGED: PolicyQuotas = PolicyQuotas {
        names_per_list: usize::MAX,
        custom_headers: usize::MAX,
        remove_headers: usize::MAX,
    };
}

impl Default for PolicyQuotas {
    fn default() -> Self {
        Self::DEFAULT
    }
}

// ---------------------------------------------------------------------------------------------
// Cache policies
// ---------------------------------------------------------------------------------------------

/// `CachePolicyConfig`: what goes into the cache key (and so to the origin) and the TTL bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", from = "CachePolicyConfigWire")]
pub struct CachePolicyConfig {
    /// Unique per account; required.
    pub name: String,
    /// Free text, at most 128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Seconds; the floor for origin freshness headers, and what objects marked `no-cache`,
    /// `no-store` or `private` are kept for.
    #[serde(rename = "MinTTL")]
    pub min_ttl: u64,
    /// Seconds; used when the origin sends no freshness header. API default: 86,400, or `MinTTL`
    /// if larger.
    #[serde(rename = "DefaultTTL")]
    pub default_ttl: u64,
    /// Seconds; the ceiling for origin freshness headers. API default: 31,536,000, or
    /// `DefaultTTL` if larger.
    #[serde(rename = "MaxTTL")]
    pub max_ttl: u64,
    /// Cache key contents and compression normalisation.
    pub parameters_in_cache_key_and_forwarded_to_origin: ParametersInCacheKeyAndForwardedToOrigin,
}

/// The API lets `DefaultTTL`, `MaxTTL` and the key parameters be omitted; CloudFormation
/// requires them. Defaults as the API Reference gives them.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CachePolicyConfigWire {
    name: String,
    #[serde(default)]
    comment: Option<String>,
    #[serde(rename = "MinTTL")]
    min_ttl: u64,
    #[serde(rename = "DefaultTTL", default)]
    default_ttl: Option<u64>,
    #[serde(rename = "MaxTTL", default)]
    max_ttl: Option<u64>,
    #[serde(default)]
    parameters_in_cache_key_and_forwarded_to_origin: ParametersInCacheKeyAndForwardedToOrigin,
}

impl From<CachePolicyConfigWire> for CachePolicyConfig {
    fn from(w: CachePolicyConfigWire) -> Self {
        // CloudFront API: DefaultTTL defaults to 86400, or MinTTL when that is larger; MaxTTL
        // defaults to 31536000, or DefaultTTL when that is larger.
        let default_ttl = w.default_ttl.unwrap_or(86_400.max(w.min_ttl));
        let max_ttl = w.max_ttl.unwrap_or(31_536_000.max(default_ttl));
        Self {
            name: w.name,
            comment: w.comment,
            min_ttl: w.min_ttl,
            default_ttl,
            max_ttl,
            parameters_in_cache_key_and_forwarded_to_origin: w
                .parameters_in_cache_key_and_forwarded_to_origin,
        }
    }
}

/// `ParametersInCacheKeyAndForwardedToOrigin`. Everything named here is in the cache key and is
/// also sent to the origin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParametersInCacheKeyAndForwardedToOrigin {
    /// Normalise `Accept-Encoding` to `gzip` in the key and origin request.
    pub enable_accept_encoding_gzip: bool,
    /// Normalise `Accept-Encoding` to `br` in the key and origin request. Default: false.
    #[serde(default)]
    pub enable_accept_encoding_brotli: bool,
    /// Headers in the key.
    #[serde(default)]
    pub headers_config: CachePolicyHeadersConfig,
    /// Cookies in the key.
    #[serde(default)]
    pub cookies_config: CookiesConfig,
    /// Query strings in the key.
    #[serde(default)]
    pub query_strings_config: QueryStringsConfig,
}

/// `HeaderBehavior` of a cache policy: a cache policy cannot say "all headers".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CachePolicyHeaderBehavior {
    /// `none`: no viewer header in the key.
    #[default]
    None,
    /// `whitelist`: the listed headers' values are in the key.
    Whitelist,
}

impl CachePolicyHeaderBehavior {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Whitelist => "whitelist",
        }
    }

    fn names(self) -> Names {
        match self {
            Self::None => Names::Refused,
            Self::Whitelist => Names::Required,
        }
    }
}

/// `HeadersConfig` of a cache policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CachePolicyHeadersConfig {
    /// Which headers are in the key.
    pub header_behavior: CachePolicyHeaderBehavior,
    /// Header names (case-insensitive); only with `whitelist`.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub headers: List<String>,
}

/// `CookieBehavior`, the same set in cache and origin request policies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CookieBehavior {
    /// `none`: no cookies.
    #[default]
    None,
    /// `whitelist`: only the listed cookies.
    Whitelist,
    /// `allExcept`: every cookie but the listed ones.
    AllExcept,
    /// `all`: every cookie.
    All,
}

impl CookieBehavior {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Whitelist => "whitelist",
            Self::AllExcept => "allExcept",
            Self::All => "all",
        }
    }

    fn names(self) -> Names {
        match self {
            Self::None | Self::All => Names::Refused,
            Self::Whitelist | Self::AllExcept => Names::Required,
        }
    }
}

/// `CookiesConfig`, the same shape in cache and origin request policies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CookiesConfig {
    /// Which cookies.
    pub cookie_behavior: CookieBehavior,
    /// Cookie names (case-sensitive); only with `whitelist` and `allExcept`.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub cookies: List<String>,
}

/// `QueryStringBehavior`, the same set in cache and origin request policies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum QueryStringBehavior {
    /// `none`: no query string.
    #[default]
    None,
    /// `whitelist`: only the listed parameters.
    Whitelist,
    /// `allExcept`: every parameter but the listed ones.
    AllExcept,
    /// `all`: the whole query string.
    All,
}

impl QueryStringBehavior {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Whitelist => "whitelist",
            Self::AllExcept => "allExcept",
            Self::All => "all",
        }
    }

    fn names(self) -> Names {
        match self {
            Self::None | Self::All => Names::Refused,
            Self::Whitelist | Self::AllExcept => Names::Required,
        }
    }
}

/// `QueryStringsConfig`, the same shape in cache and origin request policies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryStringsConfig {
    /// Which parameters.
    pub query_string_behavior: QueryStringBehavior,
    /// Parameter names (case-sensitive); only with `whitelist` and `allExcept`.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub query_strings: List<String>,
}

impl CachePolicyConfig {
    /// Checks CloudFront's rules with its default quotas.
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.validate_with(&PolicyQuotas::DEFAULT)
    }

    /// Checks CloudFront's rules with the given quotas.
    pub fn validate_with(&self, quotas: &PolicyQuotas) -> Result<(), ValidationError> {
        check_name_and_comment("cache", &self.name, self.comment.as_deref())?;
        // CloudFront: MinTTL <= DefaultTTL <= MaxTTL (the distribution-level InvalidTTLOrder
        // message; CreateCachePolicy reports it as InvalidArgument).
        if !(self.min_ttl <= self.default_ttl && self.default_ttl <= self.max_ttl) {
            return Err(invalid(
                "MinTTL, MaxTTL and DefaultTTL should follow order MinTTL less than or equal to DefaultTTL less than or equal to MaxTTL",
            ));
        }
        let p = &self.parameters_in_cache_key_and_forwarded_to_origin;
        let headers = &p.headers_config;
        check_names(
            &NameList {
                names: &headers.headers,
                field: "HeadersConfig.Headers",
                behavior_field: "HeaderBehavior",
                behavior: headers.header_behavior.as_str(),
                rule: headers.header_behavior.names(),
                noun: "header",
                too_many: TOO_MANY_HEADERS_IN_CACHE_POLICY,
                policy: "cache",
            },
            quotas,
        )?;
        // CloudFront: these viewer headers may be forwarded but never be part of a cache key.
        if let Some(h) = headers.headers.iter().find(|h| {
            ORIGIN_REQUEST_ONLY_HEADERS
                .iter()
                .any(|r| r.eq_ignore_ascii_case(h))
        }) {
            return Err(invalid(format!(
                "The header {h} cannot be included in a cache policy; use an origin request policy to forward it."
            )));
        }
        check_cookies(
            &p.cookies_config,
            TOO_MANY_COOKIES_IN_CACHE_POLICY,
            "cache",
            quotas,
        )?;
        check_query_strings(
            &p.query_strings_config,
            TOO_MANY_QUERY_STRINGS_IN_CACHE_POLICY,
            "cache",
            quotas,
        )?;
        check_total_chars(
            "cache",
            [
                &headers.headers,
                &p.cookies_config.cookies,
                &p.query_strings_config.query_strings,
            ],
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Origin request policies
// ---------------------------------------------------------------------------------------------

/// `OriginRequestPolicyConfig`: what goes to the origin on a miss without entering the cache key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OriginRequestPolicyConfig {
    /// Unique per account; required.
    pub name: String,
    /// Free text, at most 128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Headers forwarded.
    pub headers_config: OriginRequestPolicyHeadersConfig,
    /// Cookies forwarded.
    pub cookies_config: CookiesConfig,
    /// Query strings forwarded.
    pub query_strings_config: QueryStringsConfig,
}

/// `HeaderBehavior` of an origin request policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OriginRequestPolicyHeaderBehavior {
    /// `none`: no viewer headers (beyond the cache policy's).
    #[default]
    None,
    /// `whitelist`: the listed viewer headers.
    Whitelist,
    /// `allViewer`: every viewer header (not CloudFront's generated `CloudFront-*` headers).
    AllViewer,
    /// `allViewerAndWhitelistCloudFront`: every viewer header plus the listed CloudFront-generated
    /// headers.
    AllViewerAndWhitelistCloudFront,
    /// `allExcept`: every viewer header but the listed ones.
    AllExcept,
}

impl OriginRequestPolicyHeaderBehavior {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Whitelist => "whitelist",
            Self::AllViewer => "allViewer",
            Self::AllViewerAndWhitelistCloudFront => "allViewerAndWhitelistCloudFront",
            Self::AllExcept => "allExcept",
        }
    }

    fn names(self) -> Names {
        match self {
            Self::None | Self::AllViewer => Names::Refused,
            Self::Whitelist | Self::AllViewerAndWhitelistCloudFront | Self::AllExcept => {
                Names::Required
            }
        }
    }
}

/// `HeadersConfig` of an origin request policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OriginRequestPolicyHeadersConfig {
    /// Which headers go to the origin.
    pub header_behavior: OriginRequestPolicyHeaderBehavior,
    /// Header names (case-insensitive); with `whitelist`, `allExcept` and
    /// `allViewerAndWhitelistCloudFront`.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub headers: List<String>,
}

impl OriginRequestPolicyConfig {
    /// Checks CloudFront's rules with its default quotas.
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.validate_with(&PolicyQuotas::DEFAULT)
    }

    /// Checks CloudFront's rules with the given quotas.
    pub fn validate_with(&self, quotas: &PolicyQuotas) -> Result<(), ValidationError> {
        check_name_and_comment("origin request", &self.name, self.comment.as_deref())?;
        let headers = &self.headers_config;
        check_names(
            &NameList {
                names: &headers.headers,
                field: "HeadersConfig.Headers",
                behavior_field: "HeaderBehavior",
                behavior: headers.header_behavior.as_str(),
                rule: headers.header_behavior.names(),
                noun: "header",
                too_many: TOO_MANY_HEADERS_IN_ORIGIN_REQUEST_POLICY,
                policy: "origin request",
            },
            quotas,
        )?;
        match headers.header_behavior {
            // The list adds CloudFront-generated headers to all viewer headers.
            OriginRequestPolicyHeaderBehavior::AllViewerAndWhitelistCloudFront => {
                if let Some(h) = headers.headers.iter().find(|h| !is_cloudfront_header(h)) {
                    return Err(invalid(format!(
                        "The header {h} is not a CloudFront header; with allViewerAndWhitelistCloudFront, HeadersConfig.Headers lists only CloudFront-* headers."
                    )));
                }
            }
            // CloudFront: Authorization reaches the origin only through a cache policy or an
            // origin request policy that forwards all viewer headers.
            OriginRequestPolicyHeaderBehavior::Whitelist => {
                if let Some(h) = headers
                    .headers
                    .iter()
                    .find(|h| h.eq_ignore_ascii_case("Authorization"))
                {
                    return Err(invalid(format!(
                        "The header {h} cannot be whitelisted in an origin request policy; include it in the cache policy to forward it."
                    )));
                }
            }
            _ => {}
        }
        check_cookies(
            &self.cookies_config,
            TOO_MANY_COOKIES_IN_ORIGIN_REQUEST_POLICY,
            "origin request",
            quotas,
        )?;
        check_query_strings(
            &self.query_strings_config,
            TOO_MANY_QUERY_STRINGS_IN_ORIGIN_REQUEST_POLICY,
            "origin request",
            quotas,
        )?;
        check_total_chars(
            "origin request",
            [
                &headers.headers,
                &self.cookies_config.cookies,
                &self.query_strings_config.query_strings,
            ],
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Response headers policies
// ---------------------------------------------------------------------------------------------

/// `ResponseHeadersPolicyConfig`: headers CloudFront adds to or removes from viewer responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResponseHeadersPolicyConfig {
    /// Unique per account; required.
    pub name: String,
    /// Free text, at most 128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// CORS headers, added to CORS requests only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors_config: Option<CorsConfig>,
    /// The six security headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_headers_config: Option<SecurityHeadersConfig>,
    /// Arbitrary headers to add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_headers_config: Option<CustomHeadersConfig>,
    /// Origin headers to drop (removal runs before additions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_headers_config: Option<RemoveHeadersConfig>,
    /// The `Server-Timing` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_timing_headers_config: Option<ServerTimingHeadersConfig>,
}

/// An `Access-Control-Allow-Methods` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CorsMethod {
    /// `GET`
    Get,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
    /// `PATCH`
    Patch,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `ALL`: every method.
    All,
}

impl CorsMethod {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Delete => "DELETE",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
            Self::Patch => "PATCH",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::All => "ALL",
        }
    }
}

/// `CorsConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CorsConfig {
    /// `Access-Control-Allow-Origin` candidates: origins, `*`, or `*` as the leftmost label
    /// (`https://*.example.org`).
    #[serde(deserialize_with = "items")]
    pub access_control_allow_origins: List<String>,
    /// `Access-Control-Allow-Headers` (names or `*`), on preflight responses.
    #[serde(deserialize_with = "items")]
    pub access_control_allow_headers: List<String>,
    /// `Access-Control-Allow-Methods`, on preflight responses.
    #[serde(deserialize_with = "items")]
    pub access_control_allow_methods: List<CorsMethod>,
    /// `Access-Control-Allow-Credentials: true` when set.
    pub access_control_allow_credentials: bool,
    /// `Access-Control-Expose-Headers` (names or `*`). Default: none.
    #[serde(default, deserialize_with = "items", skip_serializing_if = "is_empty")]
    pub access_control_expose_headers: List<String>,
    /// `Access-Control-Max-Age` seconds, on preflight responses. Default: not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_control_max_age_sec: Option<u64>,
    /// Replace the origin's CORS headers instead of deferring to them.
    pub origin_override: bool,
}

/// `SecurityHeadersConfig`: each block present adds its header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityHeadersConfig {
    /// `Content-Security-Policy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_security_policy: Option<ContentSecurityPolicy>,
    /// `X-Content-Type-Options: nosniff`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type_options: Option<ContentTypeOptions>,
    /// `X-Frame-Options`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_options: Option<FrameOptions>,
    /// `Referrer-Policy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer_policy: Option<ReferrerPolicy>,
    /// `Strict-Transport-Security`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict_transport_security: Option<StrictTransportSecurity>,
    /// `X-XSS-Protection`.
    #[serde(
        rename = "XSSProtection",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub xss_protection: Option<XssProtection>,
}

/// `ContentSecurityPolicy` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContentSecurityPolicy {
    /// The header value, at most 1,783 characters.
    pub content_security_policy: String,
    /// Replace the origin's header instead of deferring to it.
    #[serde(rename = "Override")]
    pub r#override: bool,
}

/// `ContentTypeOptions` block (`X-Content-Type-Options: nosniff`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContentTypeOptions {
    /// Replace the origin's header instead of deferring to it.
    #[serde(rename = "Override")]
    pub r#override: bool,
}

/// An `X-Frame-Options` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FrameOption {
    /// `DENY`
    Deny,
    /// `SAMEORIGIN`
    SameOrigin,
}

impl FrameOption {
    /// AWS's spelling, also the header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deny => "DENY",
            Self::SameOrigin => "SAMEORIGIN",
        }
    }
}

/// `FrameOptions` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FrameOptions {
    /// The header value.
    pub frame_option: FrameOption,
    /// Replace the origin's header instead of deferring to it.
    #[serde(rename = "Override")]
    pub r#override: bool,
}

/// A `Referrer-Policy` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferrerPolicyValue {
    /// `no-referrer`
    NoReferrer,
    /// `no-referrer-when-downgrade`
    NoReferrerWhenDowngrade,
    /// `origin`
    Origin,
    /// `origin-when-cross-origin`
    OriginWhenCrossOrigin,
    /// `same-origin`
    SameOrigin,
    /// `strict-origin`
    StrictOrigin,
    /// `strict-origin-when-cross-origin`
    StrictOriginWhenCrossOrigin,
    /// `unsafe-url`
    UnsafeUrl,
}

impl ReferrerPolicyValue {
    /// AWS's spelling, also the header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoReferrer => "no-referrer",
            Self::NoReferrerWhenDowngrade => "no-referrer-when-downgrade",
            Self::Origin => "origin",
            Self::OriginWhenCrossOrigin => "origin-when-cross-origin",
            Self::SameOrigin => "same-origin",
            Self::StrictOrigin => "strict-origin",
            Self::StrictOriginWhenCrossOrigin => "strict-origin-when-cross-origin",
            Self::UnsafeUrl => "unsafe-url",
        }
    }
}

/// `ReferrerPolicy` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReferrerPolicy {
    /// The header value.
    pub referrer_policy: ReferrerPolicyValue,
    /// Replace the origin's header instead of deferring to it.
    #[serde(rename = "Override")]
    pub r#override: bool,
}

/// `StrictTransportSecurity` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StrictTransportSecurity {
    /// `max-age` seconds.
    pub access_control_max_age_sec: u64,
    /// Adds `includeSubDomains`. Default: false.
    #[serde(default)]
    pub include_subdomains: bool,
    /// Adds `preload`. Default: false.
    #[serde(default)]
    pub preload: bool,
    /// Replace the origin's header instead of deferring to it.
    #[serde(rename = "Override")]
    pub r#override: bool,
}

/// `XSSProtection` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct XssProtection {
    /// `1` when true, `0` when false.
    pub protection: bool,
    /// Adds `mode=block`. Default: false. Exclusive with `ReportUri`.
    #[serde(default)]
    pub mode_block: bool,
    /// Adds `report=<uri>`. Exclusive with `ModeBlock`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_uri: Option<String>,
    /// Replace the origin's header instead of deferring to it.
    #[serde(rename = "Override")]
    pub r#override: bool,
}

/// `CustomHeadersConfig`: `{Quantity, Items}` in the API, `{Items}` in CloudFormation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomHeadersConfig {
    /// The headers, at most 10 by default.
    #[serde(deserialize_with = "items")]
    pub items: List<CustomHeader>,
}

/// One custom response header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomHeader {
    /// Header name.
    pub header: String,
    /// Header value.
    pub value: String,
    /// Replace the origin's header instead of deferring to it.
    #[serde(rename = "Override")]
    pub r#override: bool,
}

/// `RemoveHeadersConfig`: `{Quantity, Items}` in the API, `{Items}` in CloudFormation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RemoveHeadersConfig {
    /// The headers to drop from the origin's response.
    #[serde(deserialize_with = "items")]
    pub items: List<RemoveHeader>,
}

/// One header to remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveHeader {
    /// Header name (case-insensitive).
    pub header: String,
}

/// `ServerTimingHeadersConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerTimingHeadersConfig {
    /// Add `Server-Timing` to responses.
    pub enabled: bool,
    /// Percentage of responses that get it, 0–100 with up to four decimals. `Pragma:
    /// server-timing` forces it regardless.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling_rate: Option<f64>,
}

impl ResponseHeadersPolicyConfig {
    /// Checks CloudFront's rules with its default quotas.
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.validate_with(&PolicyQuotas::DEFAULT)
    }

    /// Checks CloudFront's rules with the given quotas.
    pub fn validate_with(&self, quotas: &PolicyQuotas) -> Result<(), ValidationError> {
        check_name_and_comment("response headers", &self.name, self.comment.as_deref())?;
        if let Some(cors) = &self.cors_config {
            // CloudFront: `*` is an origin on its own or the leftmost label of a domain.
            if let Some(o) = cors
                .access_control_allow_origins
                .iter()
                .find(|o| !allow_origin_ok(o))
            {
                return Err(invalid(format!(
                    "The origin {o} in CorsConfig.AccessControlAllowOrigins is invalid: * is allowed only on its own or as the leftmost label of a domain (*.example.com)."
                )));
            }
        }
        if let Some(sec) = &self.security_headers_config {
            if let Some(csp) = &sec.content_security_policy {
                let len = csp.content_security_policy.chars().count();
                if len > MAX_CSP_CHARS {
                    return Err(ValidationError {
                        kind: TOO_LONG_CSP_IN_RESPONSE_HEADERS_POLICY,
                        message: format!(
                            "The length of the Content-Security-Policy header value in the response headers policy ({len}) exceeds the maximum ({MAX_CSP_CHARS})."
                        ),
                    });
                }
            }
            if let Some(xss) = &sec.xss_protection {
                if xss.mode_block && xss.report_uri.is_some() {
                    return Err(invalid(
                        "XSSProtection cannot set both ModeBlock and ReportUri.",
                    ));
                }
            }
        }
        if let Some(custom) = &self.custom_headers_config {
            let n = custom.items.len();
            if n > quotas.custom_headers {
                return Err(ValidationError {
                    kind: TOO_MANY_CUSTOM_HEADERS_IN_RESPONSE_HEADERS_POLICY,
                    message: format!(
                        "The number of custom headers in the response headers policy ({n}) exceeds the maximum ({}).",
                        quotas.custom_headers
                    ),
                });
            }
            if custom.items.iter().any(|h| h.header.is_empty()) {
                return Err(invalid("A header name in CustomHeadersConfig is empty."));
            }
        }
        if let Some(remove) = &self.remove_headers_config {
            let n = remove.items.len();
            if n > quotas.remove_headers {
                return Err(ValidationError {
                    kind: TOO_MANY_REMOVE_HEADERS_IN_RESPONSE_HEADERS_POLICY,
                    message: format!(
                        "The number of headers in RemoveHeadersConfig in the response headers policy ({n}) exceeds the maximum ({}).",
                        quotas.remove_headers
                    ),
                });
            }
            if let Some(h) = remove.items.iter().find(|h| !removable(&h.header)) {
                return Err(invalid(format!(
                    "The header {} cannot be removed by a response headers policy.",
                    h.header
                )));
            }
        }
        if let Some(st) = &self.server_timing_headers_config {
            if let Some(rate) = st.sampling_rate {
                let scaled = rate * 10_000.0;
                if !(0.0..=100.0).contains(&rate) || (scaled - scaled.round()).abs() > 1e-6 {
                    return Err(invalid(format!(
                        "ServerTimingHeadersConfig.SamplingRate {rate} is invalid: it must be from 0 to 100 with at most four decimal places."
                    )));
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Shared rules
// ---------------------------------------------------------------------------------------------

/// Whether a behavior takes a name list.
#[derive(Debug, Clone, Copy)]
enum Names {
    Required,
    Refused,
}

/// One name list and what to call it in errors.
struct NameList<'a> {
    names: &'a [String],
    field: &'a str,
    behavior_field: &'a str,
    behavior: &'a str,
    rule: Names,
    noun: &'a str,
    too_many: &'static str,
    policy: &'a str,
}

fn invalid(message: impl Into<String>) -> ValidationError {
    ValidationError {
        kind: INVALID_ARGUMENT,
        message: message.into(),
    }
}

fn check_name_and_comment(
    policy: &str,
    name: &str,
    comment: Option<&str>,
) -> Result<(), ValidationError> {
    if name.trim().is_empty() {
        return Err(invalid(format!("The {policy} policy name is required.")));
    }
    if let Some(c) = comment {
        let len = c.chars().count();
        if len > MAX_COMMENT_CHARS {
            return Err(invalid(format!(
                "The {policy} policy comment is {len} characters long; the maximum is {MAX_COMMENT_CHARS}."
            )));
        }
    }
    Ok(())
}

fn check_names(list: &NameList<'_>, quotas: &PolicyQuotas) -> Result<(), ValidationError> {
    let NameList {
        names,
        field,
        behavior_field,
        behavior,
        noun,
        policy,
        ..
    } = *list;
    match list.rule {
        Names::Required if names.is_empty() => {
            return Err(invalid(format!(
                "{field} must list at least one {noun} when {behavior_field} is {behavior}."
            )));
        }
        Names::Refused if !names.is_empty() => {
            return Err(invalid(format!(
                "{field} must be empty when {behavior_field} is {behavior}."
            )));
        }
        _ => {}
    }
    if names.len() > quotas.names_per_list {
        return Err(ValidationError {
            kind: list.too_many,
            message: format!(
                "The number of {noun}s in the {policy} policy ({}) exceeds the maximum ({}).",
                names.len(),
                quotas.names_per_list
            ),
        });
    }
    if names.iter().any(|n| n.trim().is_empty()) {
        return Err(invalid(format!("A {noun} name in {field} is empty.")));
    }
    Ok(())
}

fn check_cookies(
    c: &CookiesConfig,
    too_many: &'static str,
    policy: &str,
    quotas: &PolicyQuotas,
) -> Result<(), ValidationError> {
    check_names(
        &NameList {
            names: &c.cookies,
            field: "CookiesConfig.Cookies",
            behavior_field: "CookieBehavior",
            behavior: c.cookie_behavior.as_str(),
            rule: c.cookie_behavior.names(),
            noun: "cookie",
            too_many,
            policy,
        },
        quotas,
    )
}

fn check_query_strings(
    q: &QueryStringsConfig,
    too_many: &'static str,
    policy: &str,
    quotas: &PolicyQuotas,
) -> Result<(), ValidationError> {
    check_names(
        &NameList {
            names: &q.query_strings,
            field: "QueryStringsConfig.QueryStrings",
            behavior_field: "QueryStringBehavior",
            behavior: q.query_string_behavior.as_str(),
            rule: q.query_string_behavior.names(),
            noun: "query string",
            too_many,
            policy,
        },
        quotas,
    )
}

fn check_total_chars(policy: &str, lists: [&List<String>; 3]) -> Result<(), ValidationError> {
    let total: usize = lists
        .iter()
        .flat_map(|l| l.iter())
        .map(|n| n.chars().count())
        .sum();
    if total > MAX_TOTAL_NAME_CHARS {
        return Err(invalid(format!(
            "The header, cookie and query string names in the {policy} policy total {total} characters; the maximum is {MAX_TOTAL_NAME_CHARS}."
        )));
    }
    Ok(())
}

fn is_cloudfront_header(name: &str) -> bool {
    name.get(..11)
        .is_some_and(|p| p.eq_ignore_ascii_case("CloudFront-"))
        && name.len() > 11
}

fn allow_origin_ok(origin: &str) -> bool {
    if origin == "*" || !origin.contains('*') {
        return true;
    }
    let (scheme, host) = origin.split_once("://").unwrap_or(("", origin));
    !scheme.contains('*')
        && host
            .strip_prefix("*.")
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('*'))
}

fn removable(header: &str) -> bool {
    let starts_with = |p: &str| {
        header
            .get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    };
    !UNREMOVABLE_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(header))
        && !UNREMOVABLE_PREFIXES.iter().any(|p| starts_with(p))
}

fn is_empty<T>(l: &List<T>) -> bool {
    l.0.is_empty()
}

/// Reads a list as the API (`{Quantity, Items}`), CloudFormation's response headers policy
/// (`{Items}`) or a plain array writes it. A `Quantity` that disagrees with `Items` is refused.
fn items<'de, D, T>(d: D) -> Result<List<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Shape<T> {
        Plain(Vec<T>),
        Wrapped {
            #[serde(rename = "Quantity", default)]
            quantity: Option<usize>,
            #[serde(rename = "Items", default = "Vec::new")]
            items: Vec<T>,
        },
    }
    match Shape::<T>::deserialize(d)? {
        Shape::Plain(v) => Ok(List(v)),
        Shape::Wrapped { quantity, items } => match quantity {
            Some(q) if q != items.len() => Err(serde::de::Error::custom(format!(
                "Quantity {q} does not match the {} items given",
                items.len()
            ))),
            _ => Ok(List(items)),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Managed policies
// ---------------------------------------------------------------------------------------------

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

fn names(list: &[&str]) -> List<String> {
    List(list.iter().map(|s| (*s).to_owned()).collect())
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
fn simple_cors() -> CorsConfig {
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

    fn err(kind: &'static str, message: &str) -> ValidationError {
        ValidationError {
            kind,
            message: message.to_owned(),
        }
    }

    fn strings(n: usize, len: usize) -> List<String> {
        List((0..n).map(|i| format!("{i:0len$}")).collect())
    }

    fn same_names(got: &[String], want: &[&str]) -> bool {
        let mut g: Vec<String> = got.iter().map(|s| s.to_ascii_lowercase()).collect();
        let mut w: Vec<String> = want.iter().map(|s| s.to_ascii_lowercase()).collect();
        g.sort();
        w.sort();
        g == w
    }

    fn cache_policy_config() -> CachePolicyConfig {
        CachePolicyConfig {
            name: "fn-url-cache".into(),
            comment: None,
            min_ttl: 0,
            default_ttl: 60,
            max_ttl: 3600,
            parameters_in_cache_key_and_forwarded_to_origin:
                ParametersInCacheKeyAndForwardedToOrigin {
                    enable_accept_encoding_gzip: true,
                    ..Default::default()
                },
        }
    }

    fn origin_request_policy_config() -> OriginRequestPolicyConfig {
        OriginRequestPolicyConfig {
            name: "fn-url-origin".into(),
            comment: None,
            headers_config: OriginRequestPolicyHeadersConfig::default(),
            cookies_config: CookiesConfig::default(),
            query_strings_config: QueryStringsConfig::default(),
        }
    }

    fn response_headers_policy_config() -> ResponseHeadersPolicyConfig {
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

    // ---- managed policies ----

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

    // ---- wire shapes ----

    const CACHE_API: &str = r#"{
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

    const CACHE_CFN: &str = r#"{
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

    const ORP_API: &str = r#"{
        "Name": "fn-url-origin",
        "Comment": "everything but Host",
        "HeadersConfig": {"HeaderBehavior": "allExcept", "Headers": {"Quantity": 1, "Items": ["Host"]}},
        "CookiesConfig": {"CookieBehavior": "all"},
        "QueryStringsConfig": {"QueryStringBehavior": "all"}
    }"#;

    const ORP_CFN: &str = r#"{
        "Name": "fn-url-origin",
        "Comment": "everything but Host",
        "HeadersConfig": {"HeaderBehavior": "allExcept", "Headers": ["Host"]},
        "CookiesConfig": {"CookieBehavior": "all"},
        "QueryStringsConfig": {"QueryStringBehavior": "all"}
    }"#;

    const RHP_API: &str = r#"{
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

    const RHP_CFN: &str = r#"{
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
    fn both_shapes<T>(api: &str, cfn: &str) -> T
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

    #[test]
    fn cache_policy_api_and_cfn_shapes_agree_and_round_trip() {
        let p: CachePolicyConfig = both_shapes(CACHE_API, CACHE_CFN);
        assert_eq!(p.validate(), Ok(()));
        let k = &p.parameters_in_cache_key_and_forwarded_to_origin;
        assert_eq!(k.cookies_config.cookie_behavior, CookieBehavior::AllExcept);
        assert_eq!(k.query_strings_config.query_strings.0, ["page", "lang"]);
    }

    #[test]
    fn origin_request_policy_api_and_cfn_shapes_agree_and_round_trip() {
        let p: OriginRequestPolicyConfig = both_shapes(ORP_API, ORP_CFN);
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(
            p.headers_config.header_behavior,
            OriginRequestPolicyHeaderBehavior::AllExcept
        );
    }

    #[test]
    fn response_headers_policy_api_and_cfn_shapes_agree_and_round_trip() {
        let p: ResponseHeadersPolicyConfig = both_shapes(RHP_API, RHP_CFN);
        assert_eq!(p.validate(), Ok(()));
        let cors = p.cors_config.as_ref().unwrap();
        assert_eq!(
            cors.access_control_allow_methods.0,
            [CorsMethod::Get, CorsMethod::Post, CorsMethod::Options]
        );
        assert_eq!(
            p.custom_headers_config.as_ref().unwrap().items[0].value,
            "stratus"
        );
    }

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
    fn api_ttl_defaults_apply_when_omitted() {
        let base = r#""ParametersInCacheKeyAndForwardedToOrigin": {"EnableAcceptEncodingGzip": false,
            "HeadersConfig": {"HeaderBehavior": "none"}, "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"}}"#;
        let p: CachePolicyConfig =
            serde_json::from_str(&format!(r#"{{"Name": "a", "MinTTL": 5, {base}}}"#)).unwrap();
        assert_eq!(
            (p.min_ttl, p.default_ttl, p.max_ttl),
            (5, 86_400, 31_536_000)
        );
        let p: CachePolicyConfig =
            serde_json::from_str(&format!(r#"{{"Name": "a", "MinTTL": 100000, {base}}}"#)).unwrap();
        assert_eq!((p.default_ttl, p.max_ttl), (100_000, 31_536_000));
        let p: CachePolicyConfig = serde_json::from_str(&format!(
            r#"{{"Name": "a", "MinTTL": 0, "DefaultTTL": 40000000, {base}}}"#
        ))
        .unwrap();
        assert_eq!(p.max_ttl, 40_000_000);
        let p: CachePolicyConfig = serde_json::from_str(r#"{"Name": "a", "MinTTL": 0}"#).unwrap();
        assert_eq!(
            p.parameters_in_cache_key_and_forwarded_to_origin,
            ParametersInCacheKeyAndForwardedToOrigin::default()
        );
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

    // ---- cache policy rules ----

    #[test]
    fn cache_policy_name_is_required_and_comment_bounded() {
        let mut p = cache_policy_config();
        p.name = " ".into();
        assert_eq!(
            p.validate(),
            Err(err("InvalidArgument", "The cache policy name is required."))
        );
        let mut p = cache_policy_config();
        p.comment = Some("c".repeat(128));
        assert_eq!(p.validate(), Ok(()));
        p.comment = Some("c".repeat(129));
        assert_eq!(
            p.validate(),
            Err(err(
                "InvalidArgument",
                "The cache policy comment is 129 characters long; the maximum is 128."
            ))
        );
    }

    #[test]
    fn cache_policy_ttls_must_be_ordered() {
        let order = err(
            "InvalidArgument",
            "MinTTL, MaxTTL and DefaultTTL should follow order MinTTL less than or equal to DefaultTTL less than or equal to MaxTTL",
        );
        for (min, default, max, ok) in [
            (0, 0, 0, true),
            (5, 5, 5, true),
            (1, 0, 10, false),
            (0, 11, 10, false),
            (2, 3, 1, false),
        ] {
            let mut p = cache_policy_config();
            (p.min_ttl, p.default_ttl, p.max_ttl) = (min, default, max);
            assert_eq!(
                p.validate(),
                if ok { Ok(()) } else { Err(order.clone()) },
                "{min}/{default}/{max}"
            );
        }
    }

    #[test]
    fn cache_policy_allows_ten_headers_not_eleven() {
        let mut p = cache_policy_config();
        let h = &mut p
            .parameters_in_cache_key_and_forwarded_to_origin
            .headers_config;
        h.header_behavior = CachePolicyHeaderBehavior::Whitelist;
        h.headers = strings(10, 3);
        assert_eq!(p.validate(), Ok(()));
        p.parameters_in_cache_key_and_forwarded_to_origin
            .headers_config
            .headers = strings(11, 3);
        assert_eq!(
            p.validate(),
            Err(err(
                "TooManyHeadersInCachePolicy",
                "The number of headers in the cache policy (11) exceeds the maximum (10)."
            ))
        );
        // A raised quota lets it through.
        let raised = PolicyQuotas {
            names_per_list: 11,
            ..PolicyQuotas::DEFAULT
        };
        assert_eq!(p.validate_with(&raised), Ok(()));
    }

    #[test]
    fn cache_policy_allows_ten_cookies_not_eleven() {
        let mut p = cache_policy_config();
        let c = &mut p
            .parameters_in_cache_key_and_forwarded_to_origin
            .cookies_config;
        c.cookie_behavior = CookieBehavior::AllExcept;
        c.cookies = strings(11, 3);
        assert_eq!(
            p.validate(),
            Err(err(
                "TooManyCookiesInCachePolicy",
                "The number of cookies in the cache policy (11) exceeds the maximum (10)."
            ))
        );
    }

    #[test]
    fn cache_policy_allows_ten_query_strings_not_eleven() {
        let mut p = cache_policy_config();
        let q = &mut p
            .parameters_in_cache_key_and_forwarded_to_origin
            .query_strings_config;
        q.query_string_behavior = QueryStringBehavior::Whitelist;
        q.query_strings = strings(11, 3);
        assert_eq!(
            p.validate(),
            Err(err(
                "TooManyQueryStringsInCachePolicy",
                "The number of query strings in the cache policy (11) exceeds the maximum (10)."
            ))
        );
    }

    #[test]
    fn cache_policy_names_total_at_most_1024_characters() {
        let mut p = cache_policy_config();
        let k = &mut p.parameters_in_cache_key_and_forwarded_to_origin;
        k.headers_config.header_behavior = CachePolicyHeaderBehavior::Whitelist;
        k.headers_config.headers = strings(4, 200);
        k.query_strings_config.query_string_behavior = QueryStringBehavior::AllExcept;
        k.query_strings_config.query_strings = strings(1, 224);
        assert_eq!(p.validate(), Ok(()), "exactly 1,024");
        p.parameters_in_cache_key_and_forwarded_to_origin
            .query_strings_config
            .query_strings = strings(1, 225);
        assert_eq!(
            p.validate(),
            Err(err(
                "InvalidArgument",
                "The header, cookie and query string names in the cache policy total 1025 characters; the maximum is 1024."
            ))
        );
    }

    #[test]
    fn cache_policy_names_are_required_for_whitelist_and_all_except() {
        let mut p = cache_policy_config();
        p.parameters_in_cache_key_and_forwarded_to_origin
            .headers_config
            .header_behavior = CachePolicyHeaderBehavior::Whitelist;
        assert_eq!(
            p.validate(),
            Err(err("InvalidArgument", "HeadersConfig.Headers must list at least one header when HeaderBehavior is whitelist."))
        );
        let mut p = cache_policy_config();
        p.parameters_in_cache_key_and_forwarded_to_origin
            .cookies_config
            .cookie_behavior = CookieBehavior::AllExcept;
        assert_eq!(
            p.validate(),
            Err(err("InvalidArgument", "CookiesConfig.Cookies must list at least one cookie when CookieBehavior is allExcept."))
        );
        let mut p = cache_policy_config();
        p.parameters_in_cache_key_and_forwarded_to_origin
            .query_strings_config
            .query_string_behavior = QueryStringBehavior::Whitelist;
        assert_eq!(
            p.validate(),
            Err(err(
                "InvalidArgument",
                "QueryStringsConfig.QueryStrings must list at least one query string when QueryStringBehavior is whitelist."
            ))
        );
        let mut p = cache_policy_config();
        let h = &mut p
            .parameters_in_cache_key_and_forwarded_to_origin
            .headers_config;
        h.header_behavior = CachePolicyHeaderBehavior::Whitelist;
        h.headers = names(&["Accept", ""]);
        assert_eq!(
            p.validate(),
            Err(err(
                "InvalidArgument",
                "A header name in HeadersConfig.Headers is empty."
            ))
        );
    }

    #[test]
    fn cache_policy_names_are_refused_for_none_and_all() {
        let mut p = cache_policy_config();
        p.parameters_in_cache_key_and_forwarded_to_origin
            .headers_config
            .headers = names(&["Accept"]);
        assert_eq!(
            p.validate(),
            Err(err(
                "InvalidArgument",
                "HeadersConfig.Headers must be empty when HeaderBehavior is none."
            ))
        );
        let mut p = cache_policy_config();
        let c = &mut p
            .parameters_in_cache_key_and_forwarded_to_origin
            .cookies_config;
        c.cookie_behavior = CookieBehavior::All;
        c.cookies = names(&["session"]);
        assert_eq!(
            p.validate(),
            Err(err(
                "InvalidArgument",
                "CookiesConfig.Cookies must be empty when CookieBehavior is all."
            ))
        );
        let mut p = cache_policy_config();
        p.parameters_in_cache_key_and_forwarded_to_origin
            .query_strings_config
            .query_strings = names(&["page"]);
        assert_eq!(
            p.validate(),
            Err(err(
                "InvalidArgument",
                "QueryStringsConfig.QueryStrings must be empty when QueryStringBehavior is none."
            ))
        );
    }

    #[test]
    fn cache_policy_refuses_origin_request_only_viewer_headers() {
        for h in [
            "CloudFront-Viewer-Address",
            "CloudFront-Viewer-ASN",
            "CloudFront-Viewer-JA3-Fingerprint",
            "cloudfront-viewer-tls",
        ] {
            let mut p = cache_policy_config();
            let hc = &mut p
                .parameters_in_cache_key_and_forwarded_to_origin
                .headers_config;
            hc.header_behavior = CachePolicyHeaderBehavior::Whitelist;
            hc.headers = names(&["CloudFront-Viewer-Country", h]);
            assert_eq!(
                p.validate(),
                Err(err(
                    "InvalidArgument",
                    &format!("The header {h} cannot be included in a cache policy; use an origin request policy to forward it.")
                ))
            );
            // The same header is fine in an origin request policy.
            let mut o = origin_request_policy_config();
            o.headers_config.header_behavior = OriginRequestPolicyHeaderBehavior::Whitelist;
            o.headers_config.headers = names(&[h]);
            assert_eq!(o.validate(), Ok(()));
        }
    }

    // ---- origin request policy rules ----

    #[test]
    fn origin_request_policy_allows_ten_names_per_list() {
        let mut p = origin_request_policy_config();
        p.headers_config.header_behavior = OriginRequestPolicyHeaderBehavior::AllExcept;
        p.headers_config.headers = strings(11, 2);
        assert_eq!(
            p.validate(),
            Err(err(
                "TooManyHeadersInOriginRequestPolicy",
                "The number of headers in the origin request policy (11) exceeds the maximum (10)."
            ))
        );
        let mut p = origin_request_policy_config();
        p.cookies_config.cookie_behavior = CookieBehavior::Whitelist;
        p.cookies_config.cookies = strings(11, 2);
        assert_eq!(
            p.validate(),
            Err(err(
                "TooManyCookiesInOriginRequestPolicy",
                "The number of cookies in the origin request policy (11) exceeds the maximum (10)."
            ))
        );
        let mut p = origin_request_policy_config();
        p.query_strings_config.query_string_behavior = QueryStringBehavior::AllExcept;
        p.query_strings_config.query_strings = strings(11, 2);
        assert_eq!(
            p.validate(),
            Err(err(
                "TooManyQueryStringsInOriginRequestPolicy",
                "The number of query strings in the origin request policy (11) exceeds the maximum (10)."
            ))
        );
        p.query_strings_config.query_strings = strings(10, 2);
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn origin_request_policy_names_total_at_most_1024_characters() {
        let mut p = origin_request_policy_config();
        p.cookies_config.cookie_behavior = CookieBehavior::Whitelist;
        p.cookies_config.cookies = strings(5, 205);
        assert_eq!(
            p.validate(),
            Err(err(
                "InvalidArgument",
                "The header, cookie and query string names in the origin request policy total 1025 characters; the maximum is 1024."
            ))
        );
    }

    #[test]
    fn origin_request_policy_names_follow_the_behavior() {
        let mut p = origin_request_policy_config();
        p.headers_config.header_behavior = OriginRequestPolicyHeaderBehavior::AllExcept;
        assert_eq!(
            p.validate(),
            Err(err("InvalidArgument", "HeadersConfig.Headers must list at least one header when HeaderBehavior is allExcept."))
        );
        p.headers_config.header_behavior = OriginRequestPolicyHeaderBehavior::AllViewer;
        p.headers_config.headers = names(&["Host"]);
        assert_eq!(
            p.validate(),
            Err(err(
                "InvalidArgument",
                "HeadersConfig.Headers must be empty when HeaderBehavior is allViewer."
            ))
        );
        let mut p = origin_request_policy_config();
        p.query_strings_config.query_string_behavior = QueryStringBehavior::All;
        p.query_strings_config.query_strings = names(&["a"]);
        assert_eq!(
            p.validate(),
            Err(err(
                "InvalidArgument",
                "QueryStringsConfig.QueryStrings must be empty when QueryStringBehavior is all."
            ))
        );
    }

    #[test]
    fn origin_request_policy_cloudfront_list_names_only_cloudfront_headers() {
        let mut p = origin_request_policy_config();
        p.headers_config.header_behavior =
            OriginRequestPolicyHeaderBehavior::AllViewerAndWhitelistCloudFront;
        p.headers_config.headers = names(&["CloudFront-Viewer-Country", "cloudfront-viewer-tls"]);
        assert_eq!(p.validate(), Ok(()));
        p.headers_config.headers = names(&["CloudFront-Viewer-Country", "X-Api-Key"]);
        assert_eq!(
            p.validate(),
            Err(err(
                "InvalidArgument",
                "The header X-Api-Key is not a CloudFront header; with allViewerAndWhitelistCloudFront, HeadersConfig.Headers lists only CloudFront-* headers."
            ))
        );
        p.headers_config.headers = names(&["CloudFront-"]);
        assert!(p.validate().is_err());
    }

    #[test]
    fn origin_request_policy_cannot_whitelist_authorization() {
        let mut p = origin_request_policy_config();
        p.headers_config.header_behavior = OriginRequestPolicyHeaderBehavior::Whitelist;
        p.headers_config.headers = names(&["Accept", "authorization"]);
        assert_eq!(
            p.validate(),
            Err(err(
                "InvalidArgument",
                "The header authorization cannot be whitelisted in an origin request policy; include it in the cache policy to forward it."
            ))
        );
        // Excluding it from all viewer headers is fine.
        p.headers_config.header_behavior = OriginRequestPolicyHeaderBehavior::AllExcept;
        assert_eq!(p.validate(), Ok(()));
    }

    // ---- response headers policy rules ----

    fn custom(n: usize) -> CustomHeadersConfig {
        CustomHeadersConfig {
            items: List(
                (0..n)
                    .map(|i| CustomHeader {
                        header: format!("X-Custom-{i}"),
                        value: "v".into(),
                        r#override: false,
                    })
                    .collect(),
            ),
        }
    }

    #[test]
    fn response_headers_policy_allows_ten_custom_headers_not_eleven() {
        let mut p = response_headers_policy_config();
        p.custom_headers_config = Some(custom(10));
        assert_eq!(p.validate(), Ok(()));
        p.custom_headers_config = Some(custom(11));
        assert_eq!(
            p.validate(),
            Err(err(
                "TooManyCustomHeadersInResponseHeadersPolicy",
                "The number of custom headers in the response headers policy (11) exceeds the maximum (10)."
            ))
        );
    }

    #[test]
    fn response_headers_policy_csp_is_at_most_1783_characters() {
        let mut p = response_headers_policy_config();
        let csp = |len: usize| SecurityHeadersConfig {
            content_security_policy: Some(ContentSecurityPolicy {
                content_security_policy: "a".repeat(len),
                r#override: true,
            }),
            ..Default::default()
        };
        p.security_headers_config = Some(csp(1783));
        assert_eq!(p.validate(), Ok(()));
        p.security_headers_config = Some(csp(1784));
        assert_eq!(
            p.validate(),
            Err(err(
                "TooLongCSPInResponseHeadersPolicy",
                "The length of the Content-Security-Policy header value in the response headers policy (1784) exceeds the maximum (1783)."
            ))
        );
    }

    #[test]
    fn response_headers_policy_xss_mode_block_and_report_uri_are_exclusive() {
        let mut p = response_headers_policy_config();
        let xss = |mode_block: bool, report_uri: Option<&str>| SecurityHeadersConfig {
            xss_protection: Some(XssProtection {
                protection: true,
                mode_block,
                report_uri: report_uri.map(str::to_owned),
                r#override: false,
            }),
            ..Default::default()
        };
        p.security_headers_config = Some(xss(false, Some("https://example.com/xss")));
        assert_eq!(p.validate(), Ok(()));
        p.security_headers_config = Some(xss(true, None));
        assert_eq!(p.validate(), Ok(()));
        p.security_headers_config = Some(xss(true, Some("https://example.com/xss")));
        assert_eq!(
            p.validate(),
            Err(err(
                "InvalidArgument",
                "XSSProtection cannot set both ModeBlock and ReportUri."
            ))
        );
    }

    #[test]
    fn response_headers_policy_cannot_remove_cloudfront_owned_headers() {
        for h in [
            "Connection",
            "content-length",
            "Content-Encoding",
            "Host",
            "Transfer-Encoding",
            "Via",
            "Warning",
            "Expect",
            "Keep-Alive",
            "Proxy-Authorization",
            "Proxy-Anything",
            "Trailer",
            "Upgrade",
            "X-Accel-Redirect",
            "X-Amz-Cf-Id",
            "X-Amz-Cf-Pop",
            "X-Amzn-RequestId",
            "X-Amzn-Cf-Xff",
            "X-Cache",
            "X-Edge-Location",
            "X-Forwarded-Proto",
            "X-Real-IP",
        ] {
            let mut p = response_headers_policy_config();
            p.remove_headers_config = Some(RemoveHeadersConfig {
                items: List(vec![RemoveHeader { header: h.into() }]),
            });
            assert_eq!(
                p.validate(),
                Err(err(
                    "InvalidArgument",
                    &format!("The header {h} cannot be removed by a response headers policy.")
                )),
                "{h}"
            );
        }
        for h in [
            "Server",
            "Date",
            "X-Powered-By",
            "X-Amzn-Trace-Id",
            "Vary",
            "X-Amz-Request-Id",
        ] {
            let mut p = response_headers_policy_config();
            p.remove_headers_config = Some(RemoveHeadersConfig {
                items: List(vec![RemoveHeader { header: h.into() }]),
            });
            assert_eq!(p.validate(), Ok(()), "{h}");
        }
    }

    #[test]
    fn response_headers_policy_allows_ten_removed_headers_not_eleven() {
        let mut p = response_headers_policy_config();
        let remove = |n: usize| RemoveHeadersConfig {
            items: List(
                (0..n)
                    .map(|i| RemoveHeader {
                        header: format!("X-Old-{i}"),
                    })
                    .collect(),
            ),
        };
        p.remove_headers_config = Some(remove(10));
        assert_eq!(p.validate(), Ok(()));
        p.remove_headers_config = Some(remove(11));
        assert_eq!(
            p.validate(),
            Err(err(
                "TooManyRemoveHeadersInResponseHeadersPolicy",
                "The number of headers in RemoveHeadersConfig in the response headers policy (11) exceeds the maximum (10)."
            ))
        );
    }

    #[test]
    fn response_headers_policy_sampling_rate_is_0_to_100_with_four_decimals() {
        for (rate, ok) in [
            (0.0, true),
            (100.0, true),
            (12.3456, true),
            (0.0001, true),
            (-0.5, false),
            (100.01, false),
            (1.23456, false),
        ] {
            let mut p = response_headers_policy_config();
            p.server_timing_headers_config = Some(ServerTimingHeadersConfig {
                enabled: true,
                sampling_rate: Some(rate),
            });
            let want = if ok {
                Ok(())
            } else {
                Err(err(
                    "InvalidArgument",
                    &format!("ServerTimingHeadersConfig.SamplingRate {rate} is invalid: it must be from 0 to 100 with at most four decimal places."),
                ))
            };
            assert_eq!(p.validate(), want, "{rate}");
        }
    }

    #[test]
    fn response_headers_policy_allow_origin_wildcard_only_as_leftmost_label() {
        for (origin, ok) in [
            ("*", true),
            ("https://app.example.com", true),
            ("https://*.example.org", true),
            ("*.example.org", true),
            ("http://*.example.org:8080", true),
            ("https://example.*", false),
            ("https://api.*.example.org", false),
            ("https://a*b.example.org", false),
            ("https://*example.org", false),
            ("https://*.", false),
            ("*://example.org", false),
            ("https://*.*.example.org", false),
        ] {
            let mut p = response_headers_policy_config();
            p.cors_config = Some(CorsConfig {
                access_control_allow_origins: names(&["https://ok.example.com", origin]),
                ..simple_cors()
            });
            let want = if ok {
                Ok(())
            } else {
                Err(err(
                    "InvalidArgument",
                    &format!("The origin {origin} in CorsConfig.AccessControlAllowOrigins is invalid: * is allowed only on its own or as the leftmost label of a domain (*.example.com)."),
                ))
            };
            assert_eq!(p.validate(), want, "{origin}");
        }
    }

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
}
