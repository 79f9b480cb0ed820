//! Origin request policies (`AWS::CloudFront::OriginRequestPolicy`): what goes to the origin on a
//! miss without entering the cache key, and CloudFront's rules for them.

use serde::{Deserialize, Serialize};

use super::{
    check_cookies, check_name_and_comment, check_names, check_query_strings, check_total_chars,
    invalid, is_empty, CookiesConfig, NameList, Names, PolicyQuotas, QueryStringsConfig,
};
use crate::cloudfront::wire::List;
use crate::ValidationError;

// AWS error names, from the "Errors" section of CreateOriginRequestPolicy in the CloudFront API
// Reference.
const TOO_MANY_HEADERS_IN_ORIGIN_REQUEST_POLICY: &str = "TooManyHeadersInOriginRequestPolicy";
const TOO_MANY_COOKIES_IN_ORIGIN_REQUEST_POLICY: &str = "TooManyCookiesInOriginRequestPolicy";
const TOO_MANY_QUERY_STRINGS_IN_ORIGIN_REQUEST_POLICY: &str =
    "TooManyQueryStringsInOriginRequestPolicy";

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

fn is_cloudfront_header(name: &str) -> bool {
    name.get(..11)
        .is_some_and(|p| p.eq_ignore_ascii_case("CloudFront-"))
        && name.len() > 11
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudfront::policies::tests::{
        both_shapes, err, origin_request_policy_config, strings, ORP_API, ORP_CFN,
    };
    use crate::cloudfront::policies::{names, CookieBehavior, QueryStringBehavior};

    // ---- wire shapes ----

    #[test]
    fn origin_request_policy_api_and_cfn_shapes_agree_and_round_trip() {
        let p: OriginRequestPolicyConfig = both_shapes(ORP_API, ORP_CFN);
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(
            p.headers_config.header_behavior,
            OriginRequestPolicyHeaderBehavior::AllExcept
        );
    }

    // ---- rules ----

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
}
