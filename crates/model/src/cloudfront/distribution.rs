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

use std::collections::HashSet;
use std::fmt;

use rand::Rng;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::wire::List;
use crate::ValidationError;

/// CloudFront quota: origins per distribution.
pub const MAX_ORIGINS: usize = 25;
/// CloudFront quota: origin groups per distribution.
pub const MAX_ORIGIN_GROUPS: usize = 10;
/// CloudFront quota: cache behaviors per distribution (the default one not counted).
pub const MAX_CACHE_BEHAVIORS: usize = 25;
/// CloudFront quota: alternate domain names (CNAMEs) per distribution.
pub const MAX_ALIASES: usize = 100;
/// CloudFront quota: custom headers per origin.
pub const MAX_ORIGIN_CUSTOM_HEADERS: usize = 10;
/// Longest `OriginReadTimeout` and `OriginKeepaliveTimeout`, in seconds. AWS allows 1–60
/// without a quota increase and 180 with one; Stratus has no quotas to raise, so it accepts the
/// hard limit.
pub const MAX_ORIGIN_TIMEOUT_SECS: u32 = 180;
/// The codes `CustomErrorResponse.ErrorCode` may name (and, with 200, `ResponseCode`).
pub const CUSTOMISABLE_ERROR_CODES: [u16; 11] =
    [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];
/// The codes an origin group's `FailoverCriteria.StatusCodes` may name.
pub const FAILOVER_STATUS_CODES: [u16; 8] = [400, 403, 404, 416, 500, 502, 503, 504];

const INVALID_ARGUMENT: &str = "InvalidArgument";
const NO_SUCH_ORIGIN: &str = "NoSuchOrigin";
const INCONSISTENT_QUANTITIES: &str = "InconsistentQuantities";
const INVALID_RESPONSE_CODE: &str = "InvalidResponseCode";

// ---------------------------------------------------------------------------------------------
// Identifiers and domain names

const UPPER_ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER_ALPHANUMERIC: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// A new distribution id: `E` + 13 uppercase alphanumerics (`E2QWRUHAPOMQZL`).
pub fn new_distribution_id() -> String {
    format!("E{}", random_from(UPPER_ALPHANUMERIC, 13))
}

/// Is `s` shaped like the ids [`new_distribution_id`] makes?
pub fn is_distribution_id(s: &str) -> bool {
    s.len() == 14
        && s.starts_with('E')
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A new distribution domain name: `d` + 13 lowercase alphanumerics + `.` + `suffix`
/// (`d1na6uytzcnwt9.cloudfront.localhost` for the suffix `cloudfront.localhost`).
pub fn new_distribution_domain(suffix: &str) -> String {
    format!("d{}.{suffix}", random_from(LOWER_ALPHANUMERIC, 13))
}

/// An origin `DomainName` as CloudFront wants it: the host alone. Users paste a Function URL
/// (`https://<url-id>.lambda-url.<region>.on.aws/`); the scheme, the trailing slash and
/// surrounding whitespace are removed (DESIGN: accept what users paste). Anything else is kept
/// for [`DistributionConfig::validate`] to judge.
pub fn origin_domain_normalised(input: &str) -> String {
    let trimmed = input.trim();
    let host = ["https://", "http://"]
        .iter()
        .find_map(|scheme| {
            trimmed
                .get(..scheme.len())
                .filter(|head| head.eq_ignore_ascii_case(scheme))
                .and_then(|_| trimmed.get(scheme.len()..))
        })
        .unwrap_or(trimmed);
    host.trim_end_matches('/').to_string()
}

// ---------------------------------------------------------------------------------------------
// Enumerations with AWS's spellings

/// An enum over AWS's string values, with `as_str` and `Display` giving AWS's spelling.
macro_rules! aws_enum {
    (
        $(#[$meta:meta])* $name:ident $(default $default:ident)?
        { $($variant:ident = $text:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
    /// `ViewerProtocolPolicy`: which schemes viewers may use for a behavior.
    ViewerProtocolPolicy {
        AllowAll = "allow-all",
        RedirectToHttps = "redirect-to-https",
        HttpsOnly = "https-only",
    }
}

aws_enum! {
    /// `OriginProtocolPolicy`: the scheme CloudFront uses to reach a custom origin.
    OriginProtocolPolicy {
        HttpOnly = "http-only",
        HttpsOnly = "https-only",
        MatchViewer = "match-viewer",
    }
}

aws_enum! {
    /// One of a custom origin's `OriginSslProtocols`.
    SslProtocol { SslV3 = "SSLv3", TlsV1 = "TLSv1", TlsV1_1 = "TLSv1.1", TlsV1_2 = "TLSv1.2" }
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

aws_enum! {
    /// Legacy `ForwardedValues.Cookies.Forward`. Default: `none`.
    CookieForward default None { None = "none", Whitelist = "whitelist", All = "all" }
}

/// `AllowedMethods`: exactly one of the three sets CloudFront offers. Default: `GET, HEAD`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum AllowedMethods {
    /// `GET, HEAD`.
    #[default]
    GetHead,
    /// `GET, HEAD, OPTIONS`.
    GetHeadOptions,
    /// `GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE`.
    All,
}

impl AllowedMethods {
    /// The methods, in the order CloudFront's documentation lists them.
    pub fn methods(self) -> &'static [&'static str] {
        match self {
            Self::GetHead => &["GET", "HEAD"],
            Self::GetHeadOptions => &["GET", "HEAD", "OPTIONS"],
            Self::All => &["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
        }
    }

    /// Does the set allow `method` (uppercase, as on the wire)?
    pub fn allows(self, method: &str) -> bool {
        self.methods().contains(&method)
    }

    /// Reads a list of method names in any order (and any case).
    pub fn from_names(names: &[String]) -> Result<Self, ValidationError> {
        [Self::GetHead, Self::GetHeadOptions, Self::All]
            .into_iter()
            .find(|set| same_method_set(names, set.methods()))
            .ok_or_else(|| {
                invalid_argument(format!(
                    "AllowedMethods must be exactly [GET, HEAD], [GET, HEAD, OPTIONS] or [GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE]; got [{}].",
                    names.join(", ")
                ))
            })
    }
}

/// `CachedMethods`: the methods whose responses are cached. Default: `GET, HEAD`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum CachedMethods {
    /// `GET, HEAD`.
    #[default]
    GetHead,
    /// `GET, HEAD, OPTIONS` (OPTIONS responses are cached under their own key).
    GetHeadOptions,
}

impl CachedMethods {
    /// The methods, in the order CloudFront's documentation lists them.
    pub fn methods(self) -> &'static [&'static str] {
        match self {
            Self::GetHead => &["GET", "HEAD"],
            Self::GetHeadOptions => &["GET", "HEAD", "OPTIONS"],
        }
    }

    /// Are responses to `method` (uppercase) cached?
    pub fn caches(self, method: &str) -> bool {
        self.methods().contains(&method)
    }

    /// Reads a list of method names in any order (and any case).
    pub fn from_names(names: &[String]) -> Result<Self, ValidationError> {
        [Self::GetHead, Self::GetHeadOptions]
            .into_iter()
            .find(|set| same_method_set(names, set.methods()))
            .ok_or_else(|| {
                invalid_argument(format!(
                    "CachedMethods must be exactly [GET, HEAD] or [GET, HEAD, OPTIONS]; got [{}].",
                    names.join(", ")
                ))
            })
    }
}

/// Do `names` (any order, any case) name exactly `set`, each once?
fn same_method_set(names: &[String], set: &[&str]) -> bool {
    let mut given: Vec<String> = names
        .iter()
        .map(|n| n.trim().to_ascii_uppercase())
        .collect();
    given.sort();
    let mut wanted: Vec<&str> = set.to_vec();
    wanted.sort_unstable();
    given.iter().map(String::as_str).eq(wanted)
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

// ---------------------------------------------------------------------------------------------
// Origins

/// An `Origin`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Origin {
    /// Unique among the distribution's origins and origin groups.
    pub id: String,
    /// The host alone (normalised on reading: see [`origin_domain_normalised`]).
    #[serde(deserialize_with = "normalised_domain")]
    pub domain_name: String,
    /// Prepended to request paths: starts with `/`, no trailing `/`. Default: `""`.
    #[serde(default)]
    pub origin_path: String,
    /// Headers added to every origin request (API `CustomHeaders`, CloudFormation
    /// `OriginCustomHeaders`). Default: none.
    #[serde(default, alias = "OriginCustomHeaders")]
    pub custom_headers: List<OriginCustomHeader>,
    /// Settings of a custom (HTTP) origin such as a Function URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_origin_config: Option<CustomOriginConfig>,
    /// An S3 REST origin's settings, kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_origin_config: Option<Value>,
    /// A VPC origin's settings, kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_origin_config: Option<Value>,
    /// Connection attempts, 1–3. Default: 3.
    #[serde(default = "default_connection_attempts")]
    pub connection_attempts: u32,
    /// Seconds to wait for a connection, 1–10. Default: 10.
    #[serde(default = "default_connection_timeout")]
    pub connection_timeout: u32,
    /// The origin access control that signs origin requests. Default: none.
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub origin_access_control_id: Option<String>,
}

fn default_connection_attempts() -> u32 {
    3
}

fn default_connection_timeout() -> u32 {
    10
}

/// One `OriginCustomHeader`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OriginCustomHeader {
    /// At most 256 characters; not one CloudFront reserves.
    pub header_name: String,
    /// At most 1,783 characters.
    pub header_value: String,
}

/// `CustomOriginConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomOriginConfig {
    /// 80, 443 or 1024–65535. Default: 80.
    #[serde(rename = "HTTPPort", default = "default_http_port")]
    pub http_port: u16,
    /// 80, 443 or 1024–65535. Default: 443.
    #[serde(rename = "HTTPSPort", default = "default_https_port")]
    pub https_port: u16,
    /// Required.
    pub origin_protocol_policy: OriginProtocolPolicy,
    /// The protocols allowed to the origin (API `OriginSslProtocols`, CloudFormation
    /// `OriginSSLProtocols`). Default: `[TLSv1, SSLv3]`, as CloudFormation's schema publishes.
    #[serde(default = "default_ssl_protocols", alias = "OriginSSLProtocols")]
    pub origin_ssl_protocols: List<SslProtocol>,
    /// Seconds to wait for the first byte and between bytes, 1–180. Default: 30.
    #[serde(default = "default_read_timeout")]
    pub origin_read_timeout: u32,
    /// Seconds an idle origin connection is kept, 1–180. Default: 5.
    #[serde(default = "default_keepalive_timeout")]
    pub origin_keepalive_timeout: u32,
}

fn default_http_port() -> u16 {
    80
}

fn default_https_port() -> u16 {
    443
}

fn default_ssl_protocols() -> List<SslProtocol> {
    List(vec![SslProtocol::TlsV1, SslProtocol::SslV3])
}

fn default_read_timeout() -> u32 {
    30
}

fn default_keepalive_timeout() -> u32 {
    5
}

/// An `OriginGroup`: a primary and a secondary origin, and when to fail over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OriginGroup {
    /// Unique among the distribution's origins and origin groups.
    pub id: String,
    /// When to try the secondary.
    pub failover_criteria: FailoverCriteria,
    /// Exactly two origins, the primary first.
    pub members: List<OriginGroupMember>,
}

impl OriginGroup {
    /// The primary origin's id.
    pub fn primary(&self) -> Option<&str> {
        self.members.first().map(|m| m.origin_id.as_str())
    }

    /// The secondary origin's id.
    pub fn secondary(&self) -> Option<&str> {
        self.members.get(1).map(|m| m.origin_id.as_str())
    }
}

/// `FailoverCriteria`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FailoverCriteria {
    /// Primary responses that send the request to the secondary; a non-empty subset of
    /// [`FAILOVER_STATUS_CODES`].
    pub status_codes: List<u16>,
}

/// One `OriginGroupMember`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OriginGroupMember {
    /// The member origin's `Id`.
    pub origin_id: String,
}

// ---------------------------------------------------------------------------------------------
// Cache behaviors

/// The settings of a cache behavior; as `DefaultCacheBehavior` it is the whole behavior, and a
/// [`CacheBehavior`] adds its `PathPattern`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "BehaviorWire", into = "BehaviorWire")]
pub struct DefaultCacheBehavior {
    /// An origin's or origin group's `Id`.
    pub target_origin_id: String,
    /// Which schemes viewers may use.
    pub viewer_protocol_policy: ViewerProtocolPolicy,
    /// Default: `GET, HEAD`.
    pub allowed_methods: AllowedMethods,
    /// A subset of `allowed_methods`. Default: `GET, HEAD`.
    pub cached_methods: CachedMethods,
    /// Compress eligible responses. Default: false.
    pub compress: bool,
    /// Cache policy id; exclusive with `forwarded_values`.
    pub cache_policy_id: Option<String>,
    /// Origin request policy id; needs `cache_policy_id`.
    pub origin_request_policy_id: Option<String>,
    /// Response headers policy id.
    pub response_headers_policy_id: Option<String>,
    /// CloudFront Functions associations (`{EventType, FunctionARN}`), kept as given.
    pub function_associations: List<Value>,
    /// Lambda@Edge associations (`{EventType, LambdaFunctionARN, IncludeBody}`), kept as given.
    pub lambda_function_associations: List<Value>,
    /// Key-group ids; non-empty means signed URLs or cookies are required.
    pub trusted_key_groups: List<String>,
    /// Legacy trusted signers (account ids or `self`).
    pub trusted_signers: List<String>,
    /// Real-time log configuration ARN.
    pub realtime_log_config_arn: Option<String>,
    /// Field-level encryption configuration id (not supported; kept).
    pub field_level_encryption_id: Option<String>,
    /// Microsoft Smooth Streaming. Default: false.
    pub smooth_streaming: bool,
    /// `GrpcConfig`, kept as given.
    pub grpc_config: Option<Value>,
    /// Legacy cache settings; exclusive with `cache_policy_id`.
    pub forwarded_values: Option<ForwardedValues>,
    /// Legacy `MinTTL`, seconds. Default: 0.
    pub min_ttl: u64,
    /// Legacy `DefaultTTL`, seconds. Default: 86400.
    pub default_ttl: u64,
    /// Legacy `MaxTTL`, seconds. Default: 31536000.
    pub max_ttl: u64,
}

/// An ordered `CacheBehavior`: a `PathPattern` and the behavior's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "BehaviorWire", into = "BehaviorWire")]
pub struct CacheBehavior {
    /// At most 255 characters of `A-Z a-z 0-9 _ - . * ? $ / ~ " ' @ : + &`; case-sensitive; a
    /// leading `/` is optional.
    pub path_pattern: String,
    /// Everything else.
    pub behavior: DefaultCacheBehavior,
}

/// Legacy `ForwardedValues`: what goes into the cache key without a cache policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ForwardedValues {
    /// Forward (and key on) the query string.
    pub query_string: bool,
    /// Cookie forwarding. Default: `{Forward: none}`.
    #[serde(default)]
    pub cookies: CookiePreference,
    /// Forwarded headers; `*` forwards all (and disables caching). Default: none.
    #[serde(default)]
    pub headers: List<String>,
    /// Query parameters in the cache key; empty means all. Default: empty.
    #[serde(default)]
    pub query_string_cache_keys: List<String>,
}

/// Legacy `CookiePreference`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CookiePreference {
    /// `none`, `whitelist` or `all`.
    pub forward: CookieForward,
    /// Names (`*` and `?` wildcards allowed); only with `whitelist`.
    #[serde(default, skip_serializing_if = "list_is_empty")]
    pub whitelisted_names: List<String>,
}

/// The wire form of a behavior: both shapes of `AllowedMethods`/`CachedMethods`, an optional
/// `PathPattern`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BehaviorWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path_pattern: Option<String>,
    target_origin_id: String,
    #[serde(default, serialize_with = "trusted_list")]
    trusted_signers: List<String>,
    #[serde(default, serialize_with = "trusted_list")]
    trusted_key_groups: List<String>,
    viewer_protocol_policy: ViewerProtocolPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    allowed_methods: Option<MethodsWire>,
    /// CloudFormation's sibling form; the API nests it in `AllowedMethods`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cached_methods: Option<List<String>>,
    #[serde(default)]
    smooth_streaming: bool,
    #[serde(default)]
    compress: bool,
    #[serde(default)]
    lambda_function_associations: List<Value>,
    #[serde(default)]
    function_associations: List<Value>,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    field_level_encryption_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    realtime_log_config_arn: Option<String>,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    cache_policy_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    origin_request_policy_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    response_headers_policy_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    grpc_config: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    forwarded_values: Option<ForwardedValues>,
    #[serde(default, rename = "MinTTL")]
    min_ttl: u64,
    #[serde(default = "default_default_ttl", rename = "DefaultTTL")]
    default_ttl: u64,
    #[serde(default = "default_max_ttl", rename = "MaxTTL")]
    max_ttl: u64,
}

fn default_default_ttl() -> u64 {
    86_400
}

fn default_max_ttl() -> u64 {
    31_536_000
}

/// `AllowedMethods` as CloudFormation (`[..]`) or the API (`{Quantity, Items, CachedMethods}`)
/// writes it.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum MethodsWire {
    Plain(Vec<String>),
    Wrapped {
        #[serde(rename = "Quantity")]
        quantity: usize,
        #[serde(rename = "Items", default)]
        items: Vec<String>,
        #[serde(
            rename = "CachedMethods",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        cached_methods: Option<List<String>>,
    },
}

impl TryFrom<BehaviorWire> for DefaultCacheBehavior {
    type Error = ValidationError;

    fn try_from(w: BehaviorWire) -> Result<Self, ValidationError> {
        let (allowed, nested_cached) = match w.allowed_methods {
            None => (None, None),
            Some(MethodsWire::Plain(items)) => (Some(items), None),
            Some(MethodsWire::Wrapped {
                quantity,
                items,
                cached_methods,
            }) => {
                if quantity != items.len() {
                    return Err(ValidationError {
                        kind: INCONSISTENT_QUANTITIES,
                        message: format!(
                            "AllowedMethods has Quantity {quantity} but {} Items.",
                            items.len()
                        ),
                    });
                }
                (Some(items), cached_methods)
            }
        };
        let allowed_methods = match allowed {
            Some(names) => AllowedMethods::from_names(&names)?,
            None => AllowedMethods::default(),
        };
        let cached_methods = match nested_cached.or(w.cached_methods) {
            Some(names) => CachedMethods::from_names(&names)?,
            None => CachedMethods::default(),
        };
        Ok(Self {
            target_origin_id: w.target_origin_id,
            viewer_protocol_policy: w.viewer_protocol_policy,
            allowed_methods,
            cached_methods,
            compress: w.compress,
            cache_policy_id: w.cache_policy_id,
            origin_request_policy_id: w.origin_request_policy_id,
            response_headers_policy_id: w.response_headers_policy_id,
            function_associations: w.function_associations,
            lambda_function_associations: w.lambda_function_associations,
            trusted_key_groups: w.trusted_key_groups,
            trusted_signers: w.trusted_signers,
            realtime_log_config_arn: w.realtime_log_config_arn,
            field_level_encryption_id: w.field_level_encryption_id,
            smooth_streaming: w.smooth_streaming,
            grpc_config: w.grpc_config,
            forwarded_values: w.forwarded_values,
            min_ttl: w.min_ttl,
            default_ttl: w.default_ttl,
            max_ttl: w.max_ttl,
        })
    }
}

impl TryFrom<BehaviorWire> for CacheBehavior {
    type Error = ValidationError;

    fn try_from(mut w: BehaviorWire) -> Result<Self, ValidationError> {
        let path_pattern = w
            .path_pattern
            .take()
            .ok_or_else(|| invalid_argument("A CacheBehavior has no PathPattern."))?;
        Ok(Self {
            path_pattern,
            behavior: DefaultCacheBehavior::try_from(w)?,
        })
    }
}

impl From<DefaultCacheBehavior> for BehaviorWire {
    fn from(b: DefaultCacheBehavior) -> Self {
        let names = |methods: &[&str]| methods.iter().map(|m| m.to_string()).collect::<Vec<_>>();
        let allowed = names(b.allowed_methods.methods());
        Self {
            path_pattern: None,
            target_origin_id: b.target_origin_id,
            trusted_signers: b.trusted_signers,
            trusted_key_groups: b.trusted_key_groups,
            viewer_protocol_policy: b.viewer_protocol_policy,
            allowed_methods: Some(MethodsWire::Wrapped {
                quantity: allowed.len(),
                items: allowed,
                cached_methods: Some(List(names(b.cached_methods.methods()))),
            }),
            cached_methods: None,
            smooth_streaming: b.smooth_streaming,
            compress: b.compress,
            lambda_function_associations: b.lambda_function_associations,
            function_associations: b.function_associations,
            field_level_encryption_id: b.field_level_encryption_id,
            realtime_log_config_arn: b.realtime_log_config_arn,
            cache_policy_id: b.cache_policy_id,
            origin_request_policy_id: b.origin_request_policy_id,
            response_headers_policy_id: b.response_headers_policy_id,
            grpc_config: b.grpc_config,
            forwarded_values: b.forwarded_values,
            min_ttl: b.min_ttl,
            default_ttl: b.default_ttl,
            max_ttl: b.max_ttl,
        }
    }
}

impl From<CacheBehavior> for BehaviorWire {
    fn from(b: CacheBehavior) -> Self {
        let mut wire = BehaviorWire::from(b.behavior);
        wire.path_pattern = Some(b.path_pattern);
        wire
    }
}

// ---------------------------------------------------------------------------------------------
// Custom error responses

/// A `CustomErrorResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomErrorResponse {
    /// One of [`CUSTOMISABLE_ERROR_CODES`].
    pub error_code: u16,
    /// The replacement page, starting with `/`; given together with `response_code`.
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub response_page_path: Option<String>,
    /// The status sent with the page: 200 or one of [`CUSTOMISABLE_ERROR_CODES`]. A string in
    /// the API, an integer in CloudFormation; both are read, the API's string is written.
    #[serde(
        default,
        deserialize_with = "response_code_either",
        serialize_with = "response_code_as_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub response_code: Option<u16>,
    /// Seconds the error is cached. Default: 10.
    #[serde(
        default = "default_error_caching_min_ttl",
        rename = "ErrorCachingMinTTL"
    )]
    pub error_caching_min_ttl: u64,
}

fn default_error_caching_min_ttl() -> u64 {
    10
}

// ---------------------------------------------------------------------------------------------
// Reading and validation

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

    /// Checks CloudFront's rules, answering the first broken one with CloudFront's error name
    /// as `kind`.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.comment.chars().count() > 128 {
            return Err(invalid_argument(format!(
                "The parameter Comment is {} characters long; the limit is 128.",
                self.comment.chars().count()
            )));
        }
        if self.aliases.len() > MAX_ALIASES {
            return Err(err(
                "TooManyDistributionCNAMEs",
                format!(
                    "Your request contains more CNAMEs than are allowed per distribution: {} Aliases, the limit is {MAX_ALIASES}.",
                    self.aliases.len()
                ),
            ));
        }
        validate_default_root_object(&self.default_root_object)?;

        if self.origins.is_empty() {
            return Err(invalid_argument(
                "The distribution has no origins; Origins needs at least one.",
            ));
        }
        if self.origins.len() > MAX_ORIGINS {
            return Err(err(
                "TooManyOrigins",
                format!(
                    "You cannot create more origins for the distribution: {} Origins, the limit is {MAX_ORIGINS}.",
                    self.origins.len()
                ),
            ));
        }
        if self.origin_groups.len() > MAX_ORIGIN_GROUPS {
            return Err(err(
                "TooManyOriginGroupsPerDistribution",
                format!(
                    "Processing your request would cause you to exceed the maximum number of origin groups allowed: {} OriginGroups, the limit is {MAX_ORIGIN_GROUPS}.",
                    self.origin_groups.len()
                ),
            ));
        }

        let mut origin_ids: HashSet<&str> = HashSet::new();
        for origin in self.origins.iter() {
            origin.validate()?;
            if !origin_ids.insert(origin.id.as_str()) {
                return Err(duplicate_id(&origin.id));
            }
        }
        let mut target_ids = origin_ids.clone();
        for group in self.origin_groups.iter() {
            group.validate(&origin_ids)?;
            if !target_ids.insert(group.id.as_str()) {
                return Err(duplicate_id(&group.id));
            }
        }

        if self.cache_behaviors.len() > MAX_CACHE_BEHAVIORS {
            return Err(err(
                "TooManyCacheBehaviors",
                format!(
                    "You cannot create more cache behaviors for the distribution: {} CacheBehaviors, the limit is {MAX_CACHE_BEHAVIORS}.",
                    self.cache_behaviors.len()
                ),
            ));
        }
        self.default_cache_behavior
            .validate("DefaultCacheBehavior", &target_ids)?;
        for cb in self.cache_behaviors.iter() {
            validate_path_pattern(&cb.path_pattern)?;
            cb.behavior
                .validate(&format!("CacheBehavior '{}'", cb.path_pattern), &target_ids)?;
        }

        let mut error_codes = HashSet::new();
        for response in self.custom_error_responses.iter() {
            response.validate()?;
            if !error_codes.insert(response.error_code) {
                return Err(invalid_argument(format!(
                    "CustomErrorResponses names ErrorCode {} more than once.",
                    response.error_code
                )));
            }
        }
        Ok(())
    }
}

/// Headers a distribution may not set as origin custom headers (lowercase), besides any
/// `X-Amz-*` and `X-Edge-*`.
const RESERVED_ORIGIN_HEADERS: &[&str] = &[
    "cache-control",
    "connection",
    "content-length",
    "cookie",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "max-forwards",
    "pragma",
    "proxy-authorization",
    "proxy-connection",
    "range",
    "request-range",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "x-real-ip",
];

impl Origin {
    fn validate(&self) -> Result<(), ValidationError> {
        let id = &self.id;
        if id.is_empty() {
            return Err(invalid_argument("An origin has an empty Id."));
        }
        let domain = &self.domain_name;
        if domain.is_empty() {
            return Err(invalid_argument(format!(
                "Origin '{id}' has an empty DomainName."
            )));
        }
        if domain.contains('/') {
            return Err(invalid_argument(format!(
                "The DomainName '{domain}' of origin '{id}' must be a host name only; a path goes in OriginPath."
            )));
        }
        if domain.contains(':') {
            return Err(invalid_argument(format!(
                "The DomainName '{domain}' of origin '{id}' must be a host name only; a port goes in CustomOriginConfig (HTTPPort, HTTPSPort)."
            )));
        }
        let host_chars = domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if domain.len() > 253 || !host_chars {
            return Err(invalid_argument(format!(
                "The DomainName '{domain}' of origin '{id}' is not a valid domain name."
            )));
        }
        // CloudFront: the origin path starts with a slash and does not end with one.
        if !self.origin_path.is_empty()
            && (!self.origin_path.starts_with('/') || self.origin_path.ends_with('/'))
        {
            return Err(invalid_argument(format!(
                "The OriginPath '{}' of origin '{id}' must begin with a slash (/) and must not end with one.",
                self.origin_path
            )));
        }
        let configs = [
            self.custom_origin_config.is_some(),
            self.s3_origin_config.is_some(),
            self.vpc_origin_config.is_some(),
        ];
        if configs.iter().filter(|given| **given).count() != 1 {
            return Err(invalid_argument(format!(
                "Exactly one of CustomOriginConfig and S3OriginConfig must be specified (origin '{id}')."
            )));
        }
        if !(1..=3).contains(&self.connection_attempts) {
            return Err(invalid_argument(format!(
                "The ConnectionAttempts of origin '{id}' is {}; it must be 1, 2 or 3.",
                self.connection_attempts
            )));
        }
        if !(1..=10).contains(&self.connection_timeout) {
            return Err(invalid_argument(format!(
                "The ConnectionTimeout of origin '{id}' is {}; it must be 1–10 seconds.",
                self.connection_timeout
            )));
        }
        self.validate_custom_headers()?;
        if let Some(custom) = &self.custom_origin_config {
            custom.validate(id)?;
        }
        Ok(())
    }

    fn validate_custom_headers(&self) -> Result<(), ValidationError> {
        let id = &self.id;
        if self.custom_headers.len() > MAX_ORIGIN_CUSTOM_HEADERS {
            return Err(err(
                "TooManyOriginCustomHeaders",
                format!(
                    "Your request contains too many origin custom headers: origin '{id}' has {}, the limit is {MAX_ORIGIN_CUSTOM_HEADERS}.",
                    self.custom_headers.len()
                ),
            ));
        }
        let mut total = 0;
        for header in self.custom_headers.iter() {
            let name = &header.header_name;
            let token = name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if name.is_empty() || name.len() > 256 || !token {
                return Err(invalid_argument(format!(
                    "The custom header name '{name}' of origin '{id}' is not a valid header name of at most 256 characters."
                )));
            }
            let lower = name.to_ascii_lowercase();
            if RESERVED_ORIGIN_HEADERS.contains(&lower.as_str())
                || lower.starts_with("x-amz-")
                || lower.starts_with("x-edge-")
            {
                return Err(invalid_argument(format!(
                    "The custom header '{name}' of origin '{id}' is one CloudFront does not let you add to origin requests."
                )));
            }
            let value = &header.header_value;
            if value.chars().count() > 1783 || value.contains(['\r', '\n', '\0']) {
                return Err(invalid_argument(format!(
                    "The value of custom header '{name}' of origin '{id}' must be at most 1,783 characters with no line breaks."
                )));
            }
            total += name.chars().count() + value.chars().count();
        }
        if total > 10_240 {
            return Err(invalid_argument(format!(
                "The custom headers of origin '{id}' total {total} characters; the limit for all names and values is 10,240."
            )));
        }
        Ok(())
    }
}

impl CustomOriginConfig {
    fn validate(&self, id: &str) -> Result<(), ValidationError> {
        for (field, port) in [("HTTPPort", self.http_port), ("HTTPSPort", self.https_port)] {
            let allowed = port == 80 || port == 443 || port >= 1024;
            if !allowed {
                return Err(invalid_argument(format!(
                    "The {field} of origin '{id}' is {port}; it must be 80, 443 or 1024–65535."
                )));
            }
        }
        if !(1..=MAX_ORIGIN_TIMEOUT_SECS).contains(&self.origin_read_timeout) {
            return Err(err(
                "InvalidOriginReadTimeout",
                format!(
                    "The read timeout specified for the origin is not valid: origin '{id}' has OriginReadTimeout {}; it must be 1–{MAX_ORIGIN_TIMEOUT_SECS} seconds.",
                    self.origin_read_timeout
                ),
            ));
        }
        if !(1..=MAX_ORIGIN_TIMEOUT_SECS).contains(&self.origin_keepalive_timeout) {
            return Err(err(
                "InvalidOriginKeepaliveTimeout",
                format!(
                    "The keep alive timeout specified for the origin is not valid: origin '{id}' has OriginKeepaliveTimeout {}; it must be 1–{MAX_ORIGIN_TIMEOUT_SECS} seconds.",
                    self.origin_keepalive_timeout
                ),
            ));
        }
        Ok(())
    }
}

impl OriginGroup {
    fn validate(&self, origin_ids: &HashSet<&str>) -> Result<(), ValidationError> {
        let id = &self.id;
        if id.is_empty() {
            return Err(invalid_argument("An origin group has an empty Id."));
        }
        if self.members.len() != 2 {
            return Err(invalid_argument(format!(
                "Origin group '{id}' has {} Members; an origin group has exactly 2 (primary, then secondary).",
                self.members.len()
            )));
        }
        for member in self.members.iter() {
            if !origin_ids.contains(member.origin_id.as_str()) {
                return Err(err(
                    NO_SUCH_ORIGIN,
                    format!(
                        "No origin exists with the specified Origin Id: origin group '{id}' names member '{}', which is not an origin of this distribution.",
                        member.origin_id
                    ),
                ));
            }
        }
        if self.members[0].origin_id == self.members[1].origin_id {
            return Err(invalid_argument(format!(
                "Origin group '{id}' names origin '{}' twice; its two members must differ.",
                self.members[0].origin_id
            )));
        }
        let codes = &self.failover_criteria.status_codes;
        if codes.is_empty() {
            return Err(invalid_argument(format!(
                "Origin group '{id}' has no FailoverCriteria.StatusCodes; give at least one of {FAILOVER_STATUS_CODES:?}."
            )));
        }
        if let Some(code) = codes.iter().find(|c| !FAILOVER_STATUS_CODES.contains(c)) {
            return Err(invalid_argument(format!(
                "Origin group '{id}' fails over on status {code}, which CloudFront does not offer; the codes are {FAILOVER_STATUS_CODES:?}."
            )));
        }
        Ok(())
    }
}

impl DefaultCacheBehavior {
    fn validate(&self, label: &str, target_ids: &HashSet<&str>) -> Result<(), ValidationError> {
        if !target_ids.contains(self.target_origin_id.as_str()) {
            return Err(err(
                NO_SUCH_ORIGIN,
                format!(
                    "One or more of your cache behavior target origins or origin groups do not exist: {label} has TargetOriginId '{}', which names no origin or origin group.",
                    self.target_origin_id
                ),
            ));
        }
        match (&self.cache_policy_id, &self.forwarded_values) {
            (Some(_), Some(_)) => {
                return Err(invalid_argument(format!(
                    "The parameter ForwardedValues cannot be used when a cache policy is associated to the cache behavior ({label})."
                )))
            }
            (None, None) => {
                return Err(invalid_argument(format!(
                    "The parameter ForwardedValues is required ({label} has neither a CachePolicyId nor the legacy ForwardedValues)."
                )))
            }
            _ => {}
        }
        if self.origin_request_policy_id.is_some() && self.cache_policy_id.is_none() {
            return Err(invalid_argument(format!(
                "{label} has an OriginRequestPolicyId but no CachePolicyId; an origin request policy needs a cache policy on the same behavior."
            )));
        }
        if self.cached_methods == CachedMethods::GetHeadOptions
            && self.allowed_methods == AllowedMethods::GetHead
        {
            return Err(invalid_argument(format!(
                "{label} caches [GET, HEAD, OPTIONS] but allows only [GET, HEAD]; CachedMethods must be a subset of AllowedMethods."
            )));
        }
        if let Some(fv) = &self.forwarded_values {
            let names = &fv.cookies.whitelisted_names;
            let whitelist = fv.cookies.forward == CookieForward::Whitelist;
            if whitelist == names.is_empty() {
                return Err(err(
                    "InvalidForwardCookies",
                    format!(
                        "{label} forwards cookies '{}' with {} WhitelistedNames; names are required with 'whitelist' and not allowed otherwise.",
                        fv.cookies.forward,
                        names.len()
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl CustomErrorResponse {
    fn validate(&self) -> Result<(), ValidationError> {
        let code = self.error_code;
        if !CUSTOMISABLE_ERROR_CODES.contains(&code) {
            return Err(err(
                "InvalidErrorCode",
                format!(
                    "An invalid error code was specified: ErrorCode {code}; CloudFront customises {CUSTOMISABLE_ERROR_CODES:?}."
                ),
            ));
        }
        if let Some(response) = self.response_code {
            if response != 200 && !CUSTOMISABLE_ERROR_CODES.contains(&response) {
                return Err(err(
                    INVALID_RESPONSE_CODE,
                    format!(
                        "A response code is not valid: ResponseCode {response} for ErrorCode {code}; it must be 200 or one of {CUSTOMISABLE_ERROR_CODES:?}."
                    ),
                ));
            }
        }
        if self.response_code.is_some() != self.response_page_path.is_some() {
            return Err(invalid_argument(format!(
                "Your request must specify both ResponsePagePath and ResponseCode together or none of them (ErrorCode {code})."
            )));
        }
        if let Some(path) = &self.response_page_path {
            if !path.starts_with('/') || path.len() > 4096 {
                return Err(err(
                    "InvalidRelativePath",
                    format!(
                        "The relative path is too big, is not URL-encoded, or does not begin with a slash (/): ResponsePagePath '{path}' for ErrorCode {code}."
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// CloudFront: a `PathPattern` is at most 255 characters of `A-Z a-z 0-9 _ - . * $ / ~ " ' @ :
/// +` and `&`, plus the `?` wildcard.
fn validate_path_pattern(pattern: &str) -> Result<(), ValidationError> {
    if pattern.is_empty() || pattern.len() > 255 {
        return Err(invalid_argument(format!(
            "The PathPattern '{pattern}' is {} characters long; a path pattern has 1–255.",
            pattern.len()
        )));
    }
    if let Some(c) = pattern
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_-.*?$/~\"'@:+&".contains(*c)))
    {
        return Err(invalid_argument(format!(
            "The PathPattern '{pattern}' contains '{c}'; path patterns may use only A-Z a-z 0-9 _ - . * ? $ / ~ \" ' @ : + &."
        )));
    }
    Ok(())
}

/// CloudFront: a `DefaultRootObject` is at most 255 characters of `A-Z a-z 0-9 _ - . * $ / ~ "
/// '` and `&`, without a leading `/`.
fn validate_default_root_object(object: &str) -> Result<(), ValidationError> {
    let problem = if object.starts_with('/') {
        Some("begins with a slash (/); give the object name alone, e.g. index.html".to_string())
    } else if object.len() > 255 {
        Some(format!(
            "is {} characters long; the limit is 255",
            object.len()
        ))
    } else {
        object
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "_-.*$/~\"'&".contains(*c)))
            .map(|c| format!("contains '{c}', which a default root object may not"))
    };
    match problem {
        Some(problem) => Err(err(
            "InvalidDefaultRootObject",
            format!("The default root object file name is too big or contains an invalid character: DefaultRootObject '{object}' {problem}."),
        )),
        None => Ok(()),
    }
}

fn err(kind: &'static str, message: impl Into<String>) -> ValidationError {
    ValidationError {
        kind,
        message: message.into(),
    }
}

fn invalid_argument(message: impl Into<String>) -> ValidationError {
    err(INVALID_ARGUMENT, message)
}

fn duplicate_id(id: &str) -> ValidationError {
    invalid_argument(format!(
        "The Id '{id}' is used more than once; origin and origin group Ids must be unique within a distribution."
    ))
}

/// A serde error as a [`ValidationError`]: the kinds this module raises while reading are kept
/// (their `Display` is `kind: message`), a `Quantity` mismatch is `InconsistentQuantities`,
/// anything else `InvalidArgument`.
fn unreadable(e: serde_json::Error) -> ValidationError {
    let text = e.to_string();
    for kind in [
        INCONSISTENT_QUANTITIES,
        INVALID_RESPONSE_CODE,
        INVALID_ARGUMENT,
    ] {
        if let Some(message) = text
            .strip_prefix(kind)
            .and_then(|rest| rest.strip_prefix(": "))
        {
            return err(kind, message);
        }
    }
    // wire::List's wording for a Quantity that disagrees with its Items.
    if text.starts_with("Quantity ") && text.contains(" does not match the ") {
        return err(INCONSISTENT_QUANTITIES, text);
    }
    invalid_argument(format!("The DistributionConfig could not be read: {text}"))
}

// ---------------------------------------------------------------------------------------------
// Serde helpers

/// Reads a string, treating `""` (the API's way of writing "none") as absent.
fn empty_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

fn normalised_domain<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(origin_domain_normalised(&String::deserialize(d)?))
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

/// `ResponseCode` as the API's string (`"404"`, `""` for none) or CloudFormation's integer.
fn response_code_either<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Code {
        Number(u64),
        Text(String),
    }
    let number = match Option::<Code>::deserialize(d)? {
        None => return Ok(None),
        Some(Code::Number(n)) => n,
        Some(Code::Text(s)) if s.trim().is_empty() => return Ok(None),
        Some(Code::Text(s)) => s.trim().parse::<u64>().map_err(|_| {
            D::Error::custom(format!(
                "{INVALID_RESPONSE_CODE}: A response code is not valid: ResponseCode '{s}' is not a number."
            ))
        })?,
    };
    u16::try_from(number).map(Some).map_err(|_| {
        D::Error::custom(format!(
            "{INVALID_RESPONSE_CODE}: A response code is not valid: ResponseCode {number}."
        ))
    })
}

fn response_code_as_text<S: Serializer>(code: &Option<u16>, s: S) -> Result<S::Ok, S::Error> {
    match code {
        Some(code) => s.serialize_str(&code.to_string()),
        None => s.serialize_none(),
    }
}

/// `TrustedSigners`/`TrustedKeyGroups` in the API's shape: `{Enabled, Quantity, Items}`.
fn trusted_list<S: Serializer>(list: &List<String>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("TrustedList", 3)?;
    st.serialize_field("Enabled", &!list.is_empty())?;
    st.serialize_field("Quantity", &list.len())?;
    if !list.is_empty() {
        st.serialize_field("Items", &list.0)?;
    }
    st.end()
}

fn list_is_empty<T>(list: &List<T>) -> bool {
    list.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const API_FIXTURE: &str =
        include_str!("../../tests/fixtures/cloudfront/get-distribution-config.json");
    const CFN_FIXTURE: &str =
        include_str!("../../tests/fixtures/cloudfront/distribution-template.json");

    const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
    const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
    const ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
    const FN_URL_HOST: &str = "k3ub5gufr7pqmfq2qjhxyn2wom0zzbsd.lambda-url.us-east-1.on.aws";

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
    fn minimal() -> DistributionConfig {
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

    fn origin(id: &str) -> Origin {
        serde_json::from_value(json!({
            "Id": id,
            "DomainName": format!("{id}.lambda-url.us-east-1.on.aws"),
            "CustomOriginConfig": { "OriginProtocolPolicy": "https-only" }
        }))
        .unwrap()
    }

    fn behavior(pattern: &str, target: &str) -> CacheBehavior {
        serde_json::from_value(json!({
            "PathPattern": pattern,
            "TargetOriginId": target,
            "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": CACHING_DISABLED
        }))
        .unwrap()
    }

    fn group(id: &str, members: &[&str], codes: &[u16]) -> OriginGroup {
        serde_json::from_value(json!({
            "Id": id,
            "FailoverCriteria": { "StatusCodes": codes },
            "Members": members.iter().map(|m| json!({ "OriginId": m })).collect::<Vec<_>>()
        }))
        .unwrap()
    }

    fn error_response(json: Value) -> CustomErrorResponse {
        serde_json::from_value(json).unwrap()
    }

    fn legacy_values(forward: &str, names: &[&str]) -> ForwardedValues {
        serde_json::from_value(json!({
            "QueryString": false,
            "Cookies": { "Forward": forward, "WhitelistedNames": names }
        }))
        .unwrap()
    }

    #[track_caller]
    fn assert_refused(config: &DistributionConfig, kind: &str, needle: &str) {
        let e = config.validate().expect_err("should be refused");
        assert_eq!(e.kind, kind, "{e}");
        assert!(e.message.contains(needle), "{e}");
    }

    fn custom(config: &mut DistributionConfig) -> &mut CustomOriginConfig {
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
    fn method_sets_read_in_any_order_and_only_cloudfronts_sets() {
        let read = |allowed: Value| {
            serde_json::from_value::<DefaultCacheBehavior>(json!({
                "TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all", "AllowedMethods": allowed
            }))
        };
        let b = read(json!(["options", "HEAD", "GET"])).unwrap();
        assert_eq!(b.allowed_methods, AllowedMethods::GetHeadOptions);
        assert!(b.allowed_methods.allows("OPTIONS") && !b.allowed_methods.allows("POST"));
        assert!(read(json!(["GET", "POST"])).is_err());
        assert!(read(json!(["GET", "GET", "HEAD"])).is_err());
        assert!(read(json!({"Quantity": 3, "Items": ["GET", "HEAD"]})).is_err());
        let e = read(json!(["GET", "PUT"])).unwrap_err();
        assert!(
            e.to_string().contains("InvalidArgument: AllowedMethods"),
            "{e}"
        );
    }

    #[test]
    fn response_code_reads_as_text_or_number() {
        let text = error_response(
            json!({"ErrorCode": 404, "ResponsePagePath": "/e.html", "ResponseCode": "200"}),
        );
        let number = error_response(
            json!({"ErrorCode": 404, "ResponsePagePath": "/e.html", "ResponseCode": 200}),
        );
        assert_eq!(text, number);
        assert_eq!(text.response_code, Some(200));
        let none =
            error_response(json!({"ErrorCode": 404, "ResponsePagePath": "", "ResponseCode": ""}));
        assert_eq!((none.response_code, none.response_page_path), (None, None));
        assert!(serde_json::from_value::<CustomErrorResponse>(
            json!({"ErrorCode": 404, "ResponseCode": "OK"})
        )
        .is_err());
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

    // --- Validation ----------------------------------------------------------------------------

    #[test]
    fn comment_is_at_most_128_characters() {
        let mut c = minimal();
        c.comment = "é".repeat(128);
        c.validate().unwrap();
        c.comment.push('x');
        assert_refused(&c, "InvalidArgument", "Comment");
    }

    #[test]
    fn at_most_100_aliases() {
        let mut c = minimal();
        c.aliases = List((0..100).map(|i| format!("a{i}.example.com")).collect());
        c.validate().unwrap();
        c.aliases.0.push("one-more.example.com".into());
        assert_refused(&c, "TooManyDistributionCNAMEs", "101");
    }

    #[test]
    fn default_root_object_rules() {
        let mut c = minimal();
        c.default_root_object = "docs/index.html".into();
        c.validate().unwrap();
        c.default_root_object = "/index.html".into();
        assert_refused(&c, "InvalidDefaultRootObject", "slash");
        c.default_root_object = "a".repeat(256);
        assert_refused(&c, "InvalidDefaultRootObject", "256");
        c.default_root_object = "index.html?x=1".into();
        assert_refused(&c, "InvalidDefaultRootObject", "'?'");
    }

    #[test]
    fn between_one_and_25_origins() {
        let mut c = minimal();
        c.origins.0.clear();
        assert_refused(&c, "InvalidArgument", "no origins");
        c.origins = List((0..25).map(|i| origin(&format!("o{i}"))).collect());
        c.default_cache_behavior.target_origin_id = "o0".into();
        c.validate().unwrap();
        c.origins.0.push(origin("o25"));
        assert_refused(&c, "TooManyOrigins", "26");
    }

    #[test]
    fn origin_and_group_ids_are_unique() {
        let mut c = minimal();
        c.origins.0.push(origin("lambda-url"));
        assert_refused(&c, "InvalidArgument", "'lambda-url' is used more than once");

        let mut c = minimal();
        c.origins.0.push(origin("second"));
        c.origin_groups
            .0
            .push(group("second", &["lambda-url", "second"], &[500]));
        assert_refused(&c, "InvalidArgument", "'second' is used more than once");
    }

    #[test]
    fn target_origin_must_name_an_origin_or_group() {
        let mut c = minimal();
        c.default_cache_behavior.target_origin_id = "missing".into();
        assert_refused(
            &c,
            "NoSuchOrigin",
            "DefaultCacheBehavior has TargetOriginId 'missing'",
        );

        let mut c = minimal();
        c.cache_behaviors.0.push(behavior("/api/*", "elsewhere"));
        assert_refused(&c, "NoSuchOrigin", "CacheBehavior '/api/*'");

        let mut c = minimal();
        c.origins.0.push(origin("backup"));
        c.origin_groups
            .0
            .push(group("failover", &["lambda-url", "backup"], &[502, 503]));
        c.cache_behaviors.0.push(behavior("/api/*", "failover"));
        c.validate().unwrap();
    }

    #[test]
    fn cache_policy_or_forwarded_values_exactly_one() {
        let mut c = minimal();
        c.default_cache_behavior.forwarded_values = Some(legacy_values("none", &[]));
        assert_refused(
            &c,
            "InvalidArgument",
            "ForwardedValues cannot be used when a cache policy",
        );
        c.default_cache_behavior.cache_policy_id = None;
        c.validate().unwrap();
        c.default_cache_behavior.forwarded_values = None;
        assert_refused(&c, "InvalidArgument", "ForwardedValues is required");
    }

    #[test]
    fn origin_request_policy_needs_a_cache_policy() {
        let mut c = minimal();
        c.default_cache_behavior.origin_request_policy_id = Some(ALL_VIEWER_EXCEPT_HOST.into());
        c.validate().unwrap();
        c.default_cache_behavior.cache_policy_id = None;
        c.default_cache_behavior.forwarded_values = Some(legacy_values("none", &[]));
        assert_refused(
            &c,
            "InvalidArgument",
            "OriginRequestPolicyId but no CachePolicyId",
        );
    }

    #[test]
    fn cached_methods_within_allowed_methods() {
        let mut c = minimal();
        c.default_cache_behavior.cached_methods = CachedMethods::GetHeadOptions;
        assert_refused(&c, "InvalidArgument", "subset of AllowedMethods");
        c.default_cache_behavior.allowed_methods = AllowedMethods::GetHeadOptions;
        c.validate().unwrap();
        c.default_cache_behavior.allowed_methods = AllowedMethods::All;
        c.validate().unwrap();
    }

    #[test]
    fn forwarded_cookie_names_only_with_whitelist() {
        let mut c = minimal();
        c.default_cache_behavior.cache_policy_id = None;
        c.default_cache_behavior.forwarded_values = Some(legacy_values("whitelist", &["session"]));
        c.validate().unwrap();
        c.default_cache_behavior.forwarded_values = Some(legacy_values("whitelist", &[]));
        assert_refused(&c, "InvalidForwardCookies", "whitelist");
        c.default_cache_behavior.forwarded_values = Some(legacy_values("all", &["session"]));
        assert_refused(&c, "InvalidForwardCookies", "'all'");
    }

    #[test]
    fn path_pattern_characters_and_length() {
        let mut c = minimal();
        c.cache_behaviors
            .0
            .push(behavior("/img/a??.jpg", "lambda-url"));
        c.cache_behaviors
            .0
            .push(behavior("api/v1/*~$@:+&'\"_-", "lambda-url"));
        c.validate().unwrap();
        c.cache_behaviors
            .0
            .push(behavior("/images/*.png%20", "lambda-url"));
        assert_refused(&c, "InvalidArgument", "contains '%'");
        c.cache_behaviors.0.pop();
        c.cache_behaviors.0.push(behavior("/a b", "lambda-url"));
        assert_refused(&c, "InvalidArgument", "contains ' '");
        c.cache_behaviors.0.pop();
        c.cache_behaviors
            .0
            .push(behavior(&format!("/{}", "a".repeat(255)), "lambda-url"));
        assert_refused(&c, "InvalidArgument", "256 characters");
        c.cache_behaviors.0.pop();
        c.cache_behaviors.0.push(behavior("", "lambda-url"));
        assert_refused(&c, "InvalidArgument", "1–255");
    }

    #[test]
    fn at_most_25_cache_behaviors() {
        let mut c = minimal();
        c.cache_behaviors = List(
            (0..25)
                .map(|i| behavior(&format!("/p{i}/*"), "lambda-url"))
                .collect(),
        );
        c.validate().unwrap();
        c.cache_behaviors.0.push(behavior("/p25/*", "lambda-url"));
        assert_refused(&c, "TooManyCacheBehaviors", "26");
    }

    #[test]
    fn origin_group_rules() {
        let base = || {
            let mut c = minimal();
            c.origins.0.push(origin("backup"));
            c
        };
        let mut c = base();
        c.origin_groups.0.push(group(
            "g",
            &["lambda-url", "backup"],
            &[500, 502, 503, 504, 400, 403, 404, 416],
        ));
        c.validate().unwrap();

        let mut c = base();
        c.origin_groups.0.push(group("g", &["lambda-url"], &[500]));
        assert_refused(&c, "InvalidArgument", "exactly 2");
        let mut c = base();
        c.origin_groups
            .0
            .push(group("g", &["lambda-url", "backup", "lambda-url"], &[500]));
        assert_refused(&c, "InvalidArgument", "exactly 2");
        let mut c = base();
        c.origin_groups
            .0
            .push(group("g", &["lambda-url", "ghost"], &[500]));
        assert_refused(&c, "NoSuchOrigin", "member 'ghost'");
        let mut c = base();
        c.origin_groups
            .0
            .push(group("g", &["lambda-url", "lambda-url"], &[500]));
        assert_refused(&c, "InvalidArgument", "twice");
        let mut c = base();
        c.origin_groups
            .0
            .push(group("g", &["lambda-url", "backup"], &[500, 501]));
        assert_refused(&c, "InvalidArgument", "status 501");
        let mut c = base();
        c.origin_groups
            .0
            .push(group("g", &["lambda-url", "backup"], &[]));
        assert_refused(&c, "InvalidArgument", "no FailoverCriteria.StatusCodes");
        // A group cannot be a member of a group.
        let mut c = base();
        c.origin_groups
            .0
            .push(group("g1", &["lambda-url", "backup"], &[500]));
        c.origin_groups
            .0
            .push(group("g2", &["g1", "backup"], &[500]));
        assert_refused(&c, "NoSuchOrigin", "member 'g1'");
    }

    #[test]
    fn at_most_10_origin_groups() {
        let mut c = minimal();
        c.origins.0.push(origin("backup"));
        c.origin_groups = List(
            (0..10)
                .map(|i| group(&format!("g{i}"), &["lambda-url", "backup"], &[500]))
                .collect(),
        );
        c.validate().unwrap();
        c.origin_groups
            .0
            .push(group("g10", &["lambda-url", "backup"], &[500]));
        assert_refused(&c, "TooManyOriginGroupsPerDistribution", "11");
    }

    #[test]
    fn origin_read_timeout_range() {
        let mut c = minimal();
        custom(&mut c).origin_read_timeout = 180;
        c.validate().unwrap();
        custom(&mut c).origin_read_timeout = 181;
        assert_refused(&c, "InvalidOriginReadTimeout", "OriginReadTimeout 181");
        custom(&mut c).origin_read_timeout = 0;
        assert_refused(&c, "InvalidOriginReadTimeout", "OriginReadTimeout 0");
    }

    #[test]
    fn origin_keepalive_timeout_range() {
        let mut c = minimal();
        custom(&mut c).origin_keepalive_timeout = 1;
        c.validate().unwrap();
        custom(&mut c).origin_keepalive_timeout = 0;
        assert_refused(
            &c,
            "InvalidOriginKeepaliveTimeout",
            "OriginKeepaliveTimeout 0",
        );
        custom(&mut c).origin_keepalive_timeout = 181;
        assert_refused(
            &c,
            "InvalidOriginKeepaliveTimeout",
            "OriginKeepaliveTimeout 181",
        );
    }

    #[test]
    fn connection_attempts_and_timeout_ranges() {
        for (attempts, ok) in [(0, false), (1, true), (3, true), (4, false)] {
            let mut c = minimal();
            c.origins.0[0].connection_attempts = attempts;
            assert_eq!(c.validate().is_ok(), ok, "ConnectionAttempts {attempts}");
        }
        for (timeout, ok) in [(0, false), (1, true), (10, true), (11, false)] {
            let mut c = minimal();
            c.origins.0[0].connection_timeout = timeout;
            assert_eq!(c.validate().is_ok(), ok, "ConnectionTimeout {timeout}");
        }
        let mut c = minimal();
        c.origins.0[0].connection_attempts = 4;
        assert_refused(&c, "InvalidArgument", "ConnectionAttempts");
    }

    #[test]
    fn origin_ports() {
        for (port, ok) in [
            (80, true),
            (443, true),
            (1024, true),
            (65535, true),
            (81, false),
            (1023, false),
            (0, false),
        ] {
            let mut c = minimal();
            custom(&mut c).https_port = port;
            assert_eq!(c.validate().is_ok(), ok, "HTTPSPort {port}");
        }
        let mut c = minimal();
        custom(&mut c).http_port = 8;
        assert_refused(&c, "InvalidArgument", "HTTPPort");
    }

    #[test]
    fn origin_custom_header_rules() {
        let header = |name: &str, value: &str| OriginCustomHeader {
            header_name: name.into(),
            header_value: value.into(),
        };
        let mut c = minimal();
        c.origins.0[0].custom_headers =
            List((0..10).map(|i| header(&format!("X-H{i}"), "v")).collect());
        c.validate().unwrap();
        c.origins.0[0].custom_headers.0.push(header("X-H10", "v"));
        assert_refused(&c, "TooManyOriginCustomHeaders", "has 11");

        for reserved in [
            "Host",
            "cookie",
            "X-Amz-Date",
            "x-edge-location",
            "Transfer-Encoding",
        ] {
            let mut c = minimal();
            c.origins.0[0].custom_headers = List(vec![header(reserved, "v")]);
            assert_refused(&c, "InvalidArgument", reserved);
        }
        let mut c = minimal();
        c.origins.0[0].custom_headers = List(vec![header("X Bad", "v")]);
        assert_refused(&c, "InvalidArgument", "not a valid header name");
        c.origins.0[0].custom_headers = List(vec![header("X-Ok", "a\r\nInjected: 1")]);
        assert_refused(&c, "InvalidArgument", "line breaks");
        c.origins.0[0].custom_headers = List(vec![header("X-Ok", &"v".repeat(1784))]);
        assert_refused(&c, "InvalidArgument", "1,783");
        c.origins.0[0].custom_headers = List(
            (0..7)
                .map(|i| header(&format!("X-H{i}"), &"v".repeat(1500)))
                .collect(),
        );
        assert_refused(&c, "InvalidArgument", "10,240");
    }

    #[test]
    fn origin_path_begins_but_does_not_end_with_a_slash() {
        let mut c = minimal();
        c.origins.0[0].origin_path = "/production".into();
        c.validate().unwrap();
        for bad in ["production", "/production/", "/"] {
            c.origins.0[0].origin_path = bad.into();
            assert_refused(&c, "InvalidArgument", "OriginPath");
        }
    }

    #[test]
    fn exactly_one_origin_type() {
        let mut c = minimal();
        c.origins.0[0].s3_origin_config = Some(json!({"OriginAccessIdentity": ""}));
        assert_refused(
            &c,
            "InvalidArgument",
            "Exactly one of CustomOriginConfig and S3OriginConfig",
        );
        c.origins.0[0].custom_origin_config = None;
        c.validate().unwrap();
        c.origins.0[0].s3_origin_config = None;
        assert_refused(
            &c,
            "InvalidArgument",
            "Exactly one of CustomOriginConfig and S3OriginConfig",
        );
    }

    #[test]
    fn origin_domain_is_a_host_name() {
        let mut c = minimal();
        c.origins.0[0].domain_name = format!("{FN_URL_HOST}/prod");
        assert_refused(&c, "InvalidArgument", "a path goes in OriginPath");
        c.origins.0[0].domain_name = format!("{FN_URL_HOST}:8443");
        assert_refused(&c, "InvalidArgument", "a port goes in CustomOriginConfig");
        c.origins.0[0].domain_name = "bad host".into();
        assert_refused(&c, "InvalidArgument", "not a valid domain name");
        c.origins.0[0].domain_name = String::new();
        assert_refused(&c, "InvalidArgument", "empty DomainName");
    }

    #[test]
    fn custom_error_response_rules() {
        let with = |json: Value| {
            let mut c = minimal();
            c.custom_error_responses = List(vec![error_response(json)]);
            c
        };
        with(json!({"ErrorCode": 403, "ResponsePagePath": "/index.html", "ResponseCode": 200}))
            .validate()
            .unwrap();
        with(json!({"ErrorCode": 503, "ErrorCachingMinTTL": 0}))
            .validate()
            .unwrap();

        assert_refused(
            &with(json!({"ErrorCode": 418})),
            "InvalidErrorCode",
            "ErrorCode 418",
        );
        assert_refused(
            &with(json!({"ErrorCode": 200})),
            "InvalidErrorCode",
            "ErrorCode 200",
        );
        assert_refused(
            &with(json!({"ErrorCode": 404, "ResponsePagePath": "/404.html", "ResponseCode": 302})),
            "InvalidResponseCode",
            "ResponseCode 302",
        );
        assert_refused(
            &with(json!({"ErrorCode": 404, "ResponseCode": 404})),
            "InvalidArgument",
            "both ResponsePagePath and ResponseCode together",
        );
        assert_refused(
            &with(json!({"ErrorCode": 404, "ResponsePagePath": "/404.html"})),
            "InvalidArgument",
            "both ResponsePagePath and ResponseCode together",
        );
        assert_refused(
            &with(json!({"ErrorCode": 404, "ResponsePagePath": "404.html", "ResponseCode": 404})),
            "InvalidRelativePath",
            "'404.html'",
        );

        let mut c = minimal();
        c.custom_error_responses = List(vec![
            error_response(json!({"ErrorCode": 404})),
            error_response(json!({"ErrorCode": 404, "ErrorCachingMinTTL": 60})),
        ]);
        assert_refused(&c, "InvalidArgument", "ErrorCode 404 more than once");
    }

    // --- Domains and ids -----------------------------------------------------------------------

    #[test]
    fn pasted_function_urls_are_normalised() {
        for pasted in [
            format!("https://{FN_URL_HOST}/"),
            format!("https://{FN_URL_HOST}"),
            format!("HTTPS://{FN_URL_HOST}//"),
            format!("http://{FN_URL_HOST}/"),
            format!("  {FN_URL_HOST}/\n"),
            FN_URL_HOST.to_string(),
        ] {
            assert_eq!(origin_domain_normalised(&pasted), FN_URL_HOST, "{pasted:?}");
        }
        // A path is not a trailing slash: it stays, and validation says where it belongs.
        assert_eq!(
            origin_domain_normalised("https://h.example/prod/"),
            "h.example/prod"
        );
        assert_eq!(origin_domain_normalised("https://"), "");
        assert_eq!(
            origin_domain_normalised("httpsfoo.example"),
            "httpsfoo.example"
        );

        let o: Origin = serde_json::from_value(json!({
            "Id": "o", "DomainName": format!("https://{FN_URL_HOST}/"),
            "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}
        }))
        .unwrap();
        assert_eq!(o.domain_name, FN_URL_HOST);
    }

    #[test]
    fn distribution_ids_and_domains_have_cloudfronts_shape() {
        let mut seen = HashSet::new();
        for _ in 0..200 {
            let id = new_distribution_id();
            assert!(is_distribution_id(&id), "{id}");
            seen.insert(id);
            let domain = new_distribution_domain("cloudfront.localhost");
            let (label, suffix) = domain.split_once('.').unwrap();
            assert_eq!(suffix, "cloudfront.localhost");
            assert_eq!(label.len(), 14, "{domain}");
            assert!(label.starts_with('d'));
            assert!(
                label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "{domain}"
            );
        }
        assert!(seen.len() > 190, "ids repeat");
        assert!(is_distribution_id("E2QWRUHAPOMQZL"));
        assert!(!is_distribution_id("e2qwruhapomqzl"));
        assert!(!is_distribution_id("E2QWRUHAPOMQZ"));
        assert!(!is_distribution_id("X2QWRUHAPOMQZL"));
    }
}
