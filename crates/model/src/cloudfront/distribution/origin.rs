//! Origins: an `Origin` with its custom origin config and custom headers, and origin groups
//! (failover pairs), with their rules.

use std::collections::HashSet;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::empty_as_none;
use super::ids::origin_domain_normalised;
use super::validate::{err, invalid_argument, NO_SUCH_ORIGIN};
use crate::cloudfront::wire::List;
use crate::ValidationError;

/// CloudFront quota: custom headers per origin.
pub const MAX_ORIGIN_CUSTOM_HEADERS: usize = 10;
/// Longest `OriginReadTimeout` and `OriginKeepaliveTimeout`, in seconds. AWS allows 1–60
/// without a quota increase and 180 with one; Stratus has no quotas to raise, so it accepts the
/// hard limit.
pub const MAX_ORIGIN_TIMEOUT_SECS: u32 = 180;
/// The codes an origin group's `FailoverCriteria.StatusCodes` may name.
pub const FAILOVER_STATUS_CODES: [u16; 8] = [400, 403, 404, 416, 500, 502, 503, 504];

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

fn normalised_domain<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(origin_domain_normalised(&String::deserialize(d)?))
}

// ---------------------------------------------------------------------------------------------
// Validation

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
    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
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
    pub(crate) fn validate(&self, origin_ids: &HashSet<&str>) -> Result<(), ValidationError> {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cloudfront::distribution::tests::{
        assert_refused, custom, group, minimal, origin, FN_URL_HOST,
    };

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
}
