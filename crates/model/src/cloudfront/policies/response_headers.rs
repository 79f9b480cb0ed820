//! Response headers policies (`AWS::CloudFront::ResponseHeadersPolicy`): the headers CloudFront
//! adds to or removes from viewer responses, and CloudFront's rules for them.

use serde::{Deserialize, Serialize};

use super::{check_name_and_comment, invalid, is_empty, PolicyQuotas};
use crate::cloudfront::wire::List;
use crate::ValidationError;

// AWS error names, from the "Errors" section of CreateResponseHeadersPolicy in the CloudFront API
// Reference.
const TOO_MANY_CUSTOM_HEADERS_IN_RESPONSE_HEADERS_POLICY: &str =
    "TooManyCustomHeadersInResponseHeadersPolicy";
const TOO_MANY_REMOVE_HEADERS_IN_RESPONSE_HEADERS_POLICY: &str =
    "TooManyRemoveHeadersInResponseHeadersPolicy";
const TOO_LONG_CSP_IN_RESPONSE_HEADERS_POLICY: &str = "TooLongCSPInResponseHeadersPolicy";

/// CloudFront: a `Content-Security-Policy` value in a response headers policy is at most 1,783
/// characters.
pub const MAX_CSP_CHARS: usize = 1783;

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
    pub access_control_allow_origins: List<String>,
    /// `Access-Control-Allow-Headers` (names or `*`), on preflight responses.
    pub access_control_allow_headers: List<String>,
    /// `Access-Control-Allow-Methods`, on preflight responses.
    pub access_control_allow_methods: List<CorsMethod>,
    /// `Access-Control-Allow-Credentials: true` when set.
    pub access_control_allow_credentials: bool,
    /// `Access-Control-Expose-Headers` (names or `*`). Default: none.
    #[serde(default, skip_serializing_if = "is_empty")]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudfront::policies::managed::simple_cors;
    use crate::cloudfront::policies::names;
    use crate::cloudfront::policies::tests::{
        both_shapes, err, response_headers_policy_config, RHP_API, RHP_CFN,
    };

    // ---- wire shapes ----

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

    // ---- rules ----

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
}
