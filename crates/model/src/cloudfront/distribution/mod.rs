//! Distributions: a CloudFront `DistributionConfig` with its origins, origin groups, cache
//! behaviors, custom error responses and viewer certificate.
//!
//! One set of types reads both shapes users paste: the API's JSON (`aws cloudfront
//! get-distribution-config`, lists wrapped as `{Quantity, Items}`, `IsIPV6Enabled`,
//! `CustomHeaders`, `ACMCertificateArn`…) and CloudFormation's `DistributionConfig` (plain
//! arrays, `IPV6Enabled`, `OriginCustomHeaders`, `AcmCertificateArn`…). Values are written in
//! the API's shape. Fields Stratus does not model (`Restrictions`, `OriginShield`,
//! `ContinuousDeploymentPolicyId`, `Staging`…) are accepted and dropped; edge-function
//! associations, trusted signers and S3/VPC origin settings are kept as opaque JSON.
//!
//! Reading refuses only what cannot be represented (wrong JSON types, unknown enum values, a
//! method set CloudFront does not offer). Ranges and cross-field rules are checked by
//! [`DistributionConfig::validate`], which answers with the error name CloudFront's API uses
//! (`InvalidOriginReadTimeout`, `NoSuchOrigin`…): a range refused while deserialising would
//! lose that name, and inside a [`List`] the message too.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::wire::List;
use crate::ValidationError;
use validate::unreadable;

/// An enum over AWS's string values, with `as_str` and `Display` giving AWS's spelling.
// Defined before the `mod` declarations: a `macro_rules!` macro is in scope only below it.
macro_rules! aws_enum {
    (
        $(#[$meta:meta])* $name:ident $(default $default:ident)?
        { $($variant:ident = $text:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $(
                #[doc = concat!("`", $text, "`")]
                #[serde(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            /// AWS's spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        $(
            impl Default for $name {
                fn default() -> Self {
                    Self::$default
                }
            }
        )?
    };
}

mod behavior;
mod error_response;
mod ids;
mod legacy;
mod origin;
#[cfg(test)]
mod tests;
mod validate;

pub use behavior::{
    validate_path_pattern, AllowedMethods, CacheBehavior, CachedMethods, CookieForward,
    CookiePreference, DefaultCacheBehavior, ForwardedValues, ViewerProtocolPolicy,
};
pub use error_response::{CustomErrorResponse, CUSTOMISABLE_ERROR_CODES};
pub use ids::{
    is_distribution_id, new_distribution_domain, new_distribution_id, origin_domain_normalised,
};
pub use legacy::{LegacyPolicies, LEGACY_POLICY_NAME};
pub use origin::{
    CustomOriginConfig, FailoverCriteria, Origin, OriginCustomHeader, OriginGroup,
    OriginGroupMember, OriginProtocolPolicy, SslProtocol, FAILOVER_STATUS_CODES,
    MAX_ORIGIN_CUSTOM_HEADERS, MAX_ORIGIN_TIMEOUT_SECS,
};

/// CloudFront quota: origins per distribution.
pub const MAX_ORIGINS: usize = 25;
/// CloudFront quota: origin groups per distribution.
pub const MAX_ORIGIN_GROUPS: usize = 10;
/// CloudFront quota: cache behaviors per distribution (the default one not counted).
pub const MAX_CACHE_BEHAVIORS: usize = 25;
/// CloudFront quota: alternate domain names (CNAMEs) per distribution.
pub const MAX_ALIASES: usize = 100;

// ---------------------------------------------------------------------------------------------
// Enumerations with AWS's spellings

aws_enum! {
    /// `HttpVersion`: the HTTP versions viewers may use (HTTP/1.1 is always accepted).
    /// Default: `http1.1`.
    HttpVersion default Http1_1 { Http1_1 = "http1.1", Http2 = "http2", Http2And3 = "http2and3", Http3 = "http3" }
}

aws_enum! {
    /// `PriceClass`: which edge locations serve; no effect on a request. Default:
    /// `PriceClass_All`.
    PriceClass default All {
        PriceClass100 = "PriceClass_100",
        PriceClass200 = "PriceClass_200",
        All = "PriceClass_All",
        None = "None",
    }
}

aws_enum! {
    /// `SSLSupportMethod` (CloudFormation: `SslSupportMethod`).
    SslSupportMethod { SniOnly = "sni-only", Vip = "vip", StaticIp = "static-ip" }
}

aws_enum! {
    /// `MinimumProtocolVersion`: the viewer security policy.
    MinimumProtocolVersion {
        SslV3 = "SSLv3",
        TlsV1 = "TLSv1",
        TlsV1_2016 = "TLSv1_2016",
        TlsV1_1_2016 = "TLSv1.1_2016",
        TlsV1_2_2018 = "TLSv1.2_2018",
        TlsV1_2_2019 = "TLSv1.2_2019",
        TlsV1_2_2021 = "TLSv1.2_2021",
        TlsV1_2_2025 = "TLSv1.2_2025",
        TlsV1_3_2025 = "TLSv1.3_2025",
    }
}

// ---------------------------------------------------------------------------------------------
// DistributionConfig

/// A distribution's configuration (`DistributionConfig`), in the API's or CloudFormation's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DistributionConfig {
    /// API only: the idempotency token of `CreateDistribution`. Default: none.
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub caller_reference: Option<String>,
    /// Alternate domain names (CloudFormation also: the legacy `CNAMEs`). Default: none.
    #[serde(default, alias = "CNAMEs")]
    pub aliases: List<String>,
    /// The object served for a request to `/` exactly; no leading `/`. Default: `""` (none).
    #[serde(default)]
    pub default_root_object: String,
    /// The origins; at least one, at most [`MAX_ORIGINS`].
    #[serde(default)]
    pub origins: List<Origin>,
    /// Failover pairs of origins. Default: none.
    #[serde(default)]
    pub origin_groups: List<OriginGroup>,
    /// The behavior for requests no ordered behavior matches (implicit pattern `*`).
    pub default_cache_behavior: DefaultCacheBehavior,
    /// Ordered behaviors: the first whose `PathPattern` matches wins. Default: none.
    #[serde(default)]
    pub cache_behaviors: List<CacheBehavior>,
    /// Replacement pages and error-caching times per status code. Default: none.
    #[serde(default)]
    pub custom_error_responses: List<CustomErrorResponse>,
    /// At most 128 characters. Default: `""`.
    #[serde(default)]
    pub comment: String,
    /// A disabled distribution refuses requests for its domains. Required.
    pub enabled: bool,
    /// Default: `http1.1`.
    #[serde(default)]
    pub http_version: HttpVersion,
    /// API `IsIPV6Enabled`, CloudFormation `IPV6Enabled`. Default: false.
    #[serde(default, rename = "IsIPV6Enabled", alias = "IPV6Enabled")]
    pub is_ipv6_enabled: bool,
    /// Default: `PriceClass_All`.
    #[serde(default)]
    pub price_class: PriceClass,
    /// Default: `{CloudFrontDefaultCertificate: true}`.
    #[serde(default)]
    pub viewer_certificate: ViewerCertificate,
    /// WAFv2 web ACL ARN (or WAF Classic id). Default: `""` (none).
    #[serde(default, rename = "WebACLId")]
    pub web_acl_id: String,
    /// Standard access logs; `None` when off (the API's `Enabled: false`). Default: off.
    #[serde(
        default,
        deserialize_with = "logging_when_enabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub logging: Option<Logging>,
}

/// Standard access logging (`Logging`), present only when logging is on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Logging {
    /// The S3 bucket's domain, e.g. `logs.s3.amazonaws.com`.
    #[serde(default)]
    pub bucket: String,
    /// Prefix of the log file names. Default: `""`.
    #[serde(default)]
    pub prefix: String,
    /// Whether cookies are logged. Default: false.
    #[serde(default)]
    pub include_cookies: bool,
}

impl Serialize for Logging {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Logging", 4)?;
        st.serialize_field("Enabled", &true)?;
        st.serialize_field("IncludeCookies", &self.include_cookies)?;
        st.serialize_field("Bucket", &self.bucket)?;
        st.serialize_field("Prefix", &self.prefix)?;
        st.end()
    }
}

/// `ViewerCertificate` (fields only; the TLS rules belong to the edge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ViewerCertificate {
    /// Use the `*.cloudfront.net`-style default certificate. Default: true when the whole
    /// `ViewerCertificate` is absent, false when it is given without this field.
    #[serde(default)]
    pub cloud_front_default_certificate: bool,
    /// API `ACMCertificateArn`, CloudFormation `AcmCertificateArn`.
    #[serde(
        default,
        rename = "ACMCertificateArn",
        alias = "AcmCertificateArn",
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub acm_certificate_arn: Option<String>,
    /// API `IAMCertificateId`, CloudFormation `IamCertificateId`.
    #[serde(
        default,
        rename = "IAMCertificateId",
        alias = "IamCertificateId",
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub iam_certificate_id: Option<String>,
    /// API `SSLSupportMethod`, CloudFormation `SslSupportMethod`.
    #[serde(
        default,
        rename = "SSLSupportMethod",
        alias = "SslSupportMethod",
        skip_serializing_if = "Option::is_none"
    )]
    pub ssl_support_method: Option<SslSupportMethod>,
    /// The viewer security policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_protocol_version: Option<MinimumProtocolVersion>,
}

impl Default for ViewerCertificate {
    fn default() -> Self {
        Self {
            cloud_front_default_certificate: true,
            acm_certificate_arn: None,
            iam_certificate_id: None,
            ssl_support_method: None,
            minimum_protocol_version: None,
        }
    }
}

impl DistributionConfig {
    /// Reads a `DistributionConfig` in either shape from JSON text and validates it. Errors
    /// carry CloudFront's error names: `InconsistentQuantities` for a `Quantity` that does not
    /// match its `Items`, `InvalidArgument` for anything else unreadable, and whatever
    /// [`validate`](Self::validate) finds.
    pub fn from_json(text: &str) -> Result<Self, ValidationError> {
        let config: Self = serde_json::from_str(text).map_err(unreadable)?;
        config.validate()?;
        Ok(config)
    }

    /// [`from_json`](Self::from_json) for a parsed JSON value (a template's
    /// `DistributionConfig` after its intrinsic functions are resolved).
    pub fn from_value(value: Value) -> Result<Self, ValidationError> {
        let config: Self = serde_json::from_value(value).map_err(unreadable)?;
        config.validate()?;
        Ok(config)
    }

    /// The origin with this `Id`.
    pub fn origin(&self, id: &str) -> Option<&Origin> {
        self.origins.iter().find(|o| o.id == id)
    }

    /// The origin group with this `Id`.
    pub fn origin_group(&self, id: &str) -> Option<&OriginGroup> {
        self.origin_groups.iter().find(|g| g.id == id)
    }
}

// ---------------------------------------------------------------------------------------------
// Serde helpers

/// Reads a string, treating `""` (the API's way of writing "none") as absent.
pub(crate) fn empty_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

/// Reads `Logging`, `None` when the API says `Enabled: false` (CloudFormation has no
/// `Enabled`: a `Logging` block means logging is on).
fn logging_when_enabled<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Logging>, D::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct LoggingWire {
        #[serde(default = "logging_enabled_default")]
        enabled: bool,
        #[serde(default)]
        bucket: String,
        #[serde(default)]
        prefix: String,
        #[serde(default)]
        include_cookies: bool,
    }
    Ok(Option::<LoggingWire>::deserialize(d)?
        .filter(|w| w.enabled)
        .map(|w| Logging {
            bucket: w.bucket,
            prefix: w.prefix,
            include_cookies: w.include_cookies,
        }))
}

fn logging_enabled_default() -> bool {
    true
}
