//! Cache policies (`AWS::CloudFront::CachePolicy`): what goes into the cache key (and so to the
//! origin), the TTL bounds, and CloudFront's rules for them.

use serde::{Deserialize, Serialize};

use super::{
    check_cookies, check_name_and_comment, check_names, check_query_strings, check_total_chars,
    invalid, is_empty, CookiesConfig, NameList, Names, PolicyQuotas, QueryStringsConfig,
};
use crate::cloudfront::wire::List;
use crate::ValidationError;

// AWS error names, from the "Errors" section of CreateCachePolicy in the CloudFront API
// Reference.
const TOO_MANY_HEADERS_IN_CACHE_POLICY: &str = "TooManyHeadersInCachePolicy";
const TOO_MANY_COOKIES_IN_CACHE_POLICY: &str = "TooManyCookiesInCachePolicy";
const TOO_MANY_QUERY_STRINGS_IN_CACHE_POLICY: &str = "TooManyQueryStringsInCachePolicy";

/// Cache key headers CloudFront refuses in a cache policy (they may only be forwarded by an
/// origin request policy).
const ORIGIN_REQUEST_ONLY_HEADERS: [&str; 4] = [
    "CloudFront-Viewer-Address",
    "CloudFront-Viewer-ASN",
    "CloudFront-Viewer-JA3-Fingerprint",
    "CloudFront-Viewer-TLS",
];

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudfront::policies::tests::{
        both_shapes, cache_policy_config, err, origin_request_policy_config, strings, CACHE_API,
        CACHE_CFN,
    };
    use crate::cloudfront::policies::{
        names, CookieBehavior, OriginRequestPolicyHeaderBehavior, QueryStringBehavior,
    };

    // ---- wire shapes ----

    #[test]
    fn cache_policy_api_and_cfn_shapes_agree_and_round_trip() {
        let p: CachePolicyConfig = both_shapes(CACHE_API, CACHE_CFN);
        assert_eq!(p.validate(), Ok(()));
        let k = &p.parameters_in_cache_key_and_forwarded_to_origin;
        assert_eq!(k.cookies_config.cookie_behavior, CookieBehavior::AllExcept);
        assert_eq!(k.query_strings_config.query_strings.0, ["page", "lang"]);
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

    // ---- rules ----

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
}
