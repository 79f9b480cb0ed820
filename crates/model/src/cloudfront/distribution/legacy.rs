//! Legacy cache settings (`ForwardedValues` with the behavior's own `MinTTL`, `DefaultTTL` and
//! `MaxTTL`) expressed as the cache policy and origin request policy that do the same, so the
//! edge has one path for both kinds of behavior.
//!
//! CloudFront's legacy rules (spec §3, "Legacy cache settings"):
//! - `QueryString: false` keys on and forwards no query string; `true` forwards the whole query
//!   string and keys on the parameters in `QueryStringCacheKeys`, or on all when that is empty.
//! - `Headers` are keyed on and forwarded; `["*"]` forwards every viewer header and caches
//!   nothing.
//! - `Cookies.Forward` `none` / `whitelist` / `all` keys on and forwards those cookies; whitelisted
//!   names may use the `*` and `?` wildcards.
//! - Brotli needs a cache policy ("Brotli doesn't support legacy cache settings"): a legacy
//!   behavior normalises `Accept-Encoding` to `gzip` only, whatever `Compress` says (the spec's
//!   §7 legacy header table: `Accept-Encoding` is normalised; AWS does not say whether
//!   `Compress: false` changes that).

use super::behavior::{CookieForward, ForwardedValues};
use crate::cloudfront::policies::{
    CachePolicyConfig, CachePolicyHeaderBehavior, CachePolicyHeadersConfig, CookieBehavior,
    CookiesConfig, OriginRequestPolicyConfig, OriginRequestPolicyHeaderBehavior,
    OriginRequestPolicyHeadersConfig, ParametersInCacheKeyAndForwardedToOrigin,
    QueryStringBehavior, QueryStringsConfig,
};

/// The policies a legacy behavior amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyPolicies {
    /// What goes into the cache key (and so to the origin), with the behavior's TTLs.
    pub cache: CachePolicyConfig,
    /// What goes to the origin beyond the key: the whole query string when only some
    /// parameters are keyed, every viewer header for `Headers: ["*"]`.
    pub origin_request: Option<OriginRequestPolicyConfig>,
}

/// The name the synthesized policies carry (never stored, never listed).
pub const LEGACY_POLICY_NAME: &str = "Legacy-ForwardedValues";

impl ForwardedValues {
    /// Whether `Headers` is `["*"]`: every header forwarded, nothing cached.
    pub fn forwards_all_headers(&self) -> bool {
        self.headers.iter().any(|h| h == "*")
    }

    /// The cache policy and origin request policy that behave as these legacy settings with
    /// the behavior's `MinTTL`, `DefaultTTL` and `MaxTTL`.
    pub fn policies(&self, min_ttl: u64, default_ttl: u64, max_ttl: u64) -> LegacyPolicies {
        let all_headers = self.forwards_all_headers();
        let headers_config = if all_headers || self.headers.is_empty() {
            CachePolicyHeadersConfig::default()
        } else {
            CachePolicyHeadersConfig {
                header_behavior: CachePolicyHeaderBehavior::Whitelist,
                headers: self.headers.0.clone().into(),
            }
        };
        let cookies_config = match self.cookies.forward {
            CookieForward::None => CookiesConfig::default(),
            CookieForward::All => CookiesConfig {
                cookie_behavior: CookieBehavior::All,
                cookies: Default::default(),
            },
            CookieForward::Whitelist => CookiesConfig {
                cookie_behavior: CookieBehavior::Whitelist,
                cookies: self.cookies.whitelisted_names.0.clone().into(),
            },
        };
        let keyed_parameters = self.query_string && !self.query_string_cache_keys.is_empty();
        let query_strings_config = match (self.query_string, keyed_parameters) {
            (false, _) => QueryStringsConfig::default(),
            (true, false) => QueryStringsConfig {
                query_string_behavior: QueryStringBehavior::All,
                query_strings: Default::default(),
            },
            (true, true) => QueryStringsConfig {
                query_string_behavior: QueryStringBehavior::Whitelist,
                query_strings: self.query_string_cache_keys.0.clone().into(),
            },
        };
        // CloudFront: forwarding all headers turns caching off for the behavior.
        let (min_ttl, default_ttl, max_ttl) = if all_headers {
            (0, 0, 0)
        } else {
            (min_ttl, default_ttl, max_ttl)
        };
        let origin_request = (all_headers || keyed_parameters).then(|| OriginRequestPolicyConfig {
            name: LEGACY_POLICY_NAME.into(),
            comment: None,
            headers_config: OriginRequestPolicyHeadersConfig {
                header_behavior: if all_headers {
                    OriginRequestPolicyHeaderBehavior::AllViewer
                } else {
                    OriginRequestPolicyHeaderBehavior::None
                },
                headers: Default::default(),
            },
            cookies_config: cookies_config.clone(),
            query_strings_config: if self.query_string {
                QueryStringsConfig {
                    query_string_behavior: QueryStringBehavior::All,
                    query_strings: Default::default(),
                }
            } else {
                QueryStringsConfig::default()
            },
        });
        LegacyPolicies {
            cache: CachePolicyConfig {
                name: LEGACY_POLICY_NAME.into(),
                comment: None,
                min_ttl,
                default_ttl,
                max_ttl,
                parameters_in_cache_key_and_forwarded_to_origin:
                    ParametersInCacheKeyAndForwardedToOrigin {
                        // Brotli needs a cache policy; legacy behaviors know gzip only.
                        enable_accept_encoding_gzip: true,
                        enable_accept_encoding_brotli: false,
                        headers_config,
                        cookies_config,
                        query_strings_config,
                    },
            },
            origin_request,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudfront::distribution::CookiePreference;

    fn values(
        query: bool,
        keys: &[&str],
        headers: &[&str],
        cookies: CookieForward,
    ) -> ForwardedValues {
        let names = match cookies {
            CookieForward::Whitelist => vec!["session".to_string(), "pref-*".to_string()],
            _ => vec![],
        };
        ForwardedValues {
            query_string: query,
            cookies: CookiePreference {
                forward: cookies,
                whitelisted_names: names.into(),
            },
            headers: headers
                .iter()
                .map(|h| h.to_string())
                .collect::<Vec<_>>()
                .into(),
            query_string_cache_keys: keys
                .iter()
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .into(),
        }
    }

    #[test]
    fn nothing_forwarded_keys_on_nothing_with_the_behaviors_ttls() {
        let p = values(false, &[], &[], CookieForward::None).policies(5, 60, 600);
        let params = &p.cache.parameters_in_cache_key_and_forwarded_to_origin;
        assert_eq!(
            (p.cache.min_ttl, p.cache.default_ttl, p.cache.max_ttl),
            (5, 60, 600)
        );
        assert_eq!(
            params.query_strings_config.query_string_behavior,
            QueryStringBehavior::None
        );
        assert_eq!(
            params.headers_config.header_behavior,
            CachePolicyHeaderBehavior::None
        );
        assert_eq!(params.cookies_config.cookie_behavior, CookieBehavior::None);
        assert!(params.enable_accept_encoding_gzip && !params.enable_accept_encoding_brotli);
        assert!(p.origin_request.is_none());
    }

    #[test]
    fn query_string_cache_keys_key_on_some_and_forward_all() {
        let p = values(true, &["page"], &[], CookieForward::None).policies(0, 86400, 31536000);
        let qs = &p
            .cache
            .parameters_in_cache_key_and_forwarded_to_origin
            .query_strings_config;
        assert_eq!(qs.query_string_behavior, QueryStringBehavior::Whitelist);
        assert_eq!(qs.query_strings.0, vec!["page".to_string()]);
        let orp = p
            .origin_request
            .expect("the whole query string goes to the origin");
        assert_eq!(
            orp.query_strings_config.query_string_behavior,
            QueryStringBehavior::All
        );
        assert_eq!(
            orp.headers_config.header_behavior,
            OriginRequestPolicyHeaderBehavior::None
        );

        let all = values(true, &[], &[], CookieForward::None).policies(0, 1, 2);
        let qs = &all
            .cache
            .parameters_in_cache_key_and_forwarded_to_origin
            .query_strings_config;
        assert_eq!(qs.query_string_behavior, QueryStringBehavior::All);
        assert!(all.origin_request.is_none());
    }

    #[test]
    fn headers_and_cookies_are_keyed_and_forwarded() {
        let p = values(
            false,
            &[],
            &["Origin", "X-Device"],
            CookieForward::Whitelist,
        )
        .policies(0, 10, 20);
        let params = &p.cache.parameters_in_cache_key_and_forwarded_to_origin;
        assert_eq!(
            params.headers_config.header_behavior,
            CachePolicyHeaderBehavior::Whitelist
        );
        assert_eq!(params.headers_config.headers.len(), 2);
        assert_eq!(
            params.cookies_config.cookie_behavior,
            CookieBehavior::Whitelist
        );
        assert_eq!(params.cookies_config.cookies.0, vec!["session", "pref-*"]);
        let all = values(false, &[], &[], CookieForward::All).policies(0, 10, 20);
        assert_eq!(
            all.cache
                .parameters_in_cache_key_and_forwarded_to_origin
                .cookies_config
                .cookie_behavior,
            CookieBehavior::All
        );
    }

    #[test]
    fn all_headers_forwards_every_header_and_caches_nothing() {
        let p = values(true, &[], &["*"], CookieForward::All).policies(10, 100, 1000);
        assert_eq!(
            (p.cache.min_ttl, p.cache.default_ttl, p.cache.max_ttl),
            (0, 0, 0)
        );
        let orp = p.origin_request.expect("all viewer headers");
        assert_eq!(
            orp.headers_config.header_behavior,
            OriginRequestPolicyHeaderBehavior::AllViewer
        );
        assert_eq!(orp.cookies_config.cookie_behavior, CookieBehavior::All);
        assert_eq!(
            orp.query_strings_config.query_string_behavior,
            QueryStringBehavior::All
        );
    }
}
