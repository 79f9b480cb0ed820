//! The routing table: deployed distributions compiled into what `request_filter` consults on
//! every request. `Host` → distribution (its own domain or an alias), path → the first
//! matching cache behavior, then the viewer protocol policy and the allowed methods.
//!
//! Compiled once per deploy (policies resolved, patterns parsed) and swapped atomically by
//! the caller; routing a request allocates nothing but the redirect `Location`.

use std::collections::HashMap;
use std::sync::Arc;

use stratus_model::cloudfront::distribution::{
    AllowedMethods, CachedMethods, CookieForward, DefaultCacheBehavior, DistributionConfig,
    ViewerProtocolPolicy,
};
use stratus_model::cloudfront::policies::{
    cache_policy, origin_request_policy, response_headers_policy, CachePolicyConfig,
    OriginRequestPolicyConfig, ResponseHeadersPolicyConfig,
};
use stratus_model::ValidationError;

use crate::pattern::PathPattern;
use crate::ttl::TtlSettings;

/// A distribution as deployed: its identity and validated configuration.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// `E…` id.
    pub id: String,
    /// Its own domain, e.g. `d1234567890abc.cloudfront.localhost`.
    pub domain: String,
    /// The configuration.
    pub config: DistributionConfig,
    /// Its invalidations: paths and when they were made.
    pub invalidations: Vec<(Vec<String>, std::time::SystemTime)>,
}

/// Custom policies by id (managed ones are found by id without being listed).
#[derive(Debug, Clone, Default)]
pub struct CustomPolicies {
    /// Cache policies.
    pub cache: HashMap<String, Arc<CachePolicyConfig>>,
    /// Origin request policies.
    pub origin_request: HashMap<String, Arc<OriginRequestPolicyConfig>>,
    /// Response headers policies.
    pub response_headers: HashMap<String, Arc<ResponseHeadersPolicyConfig>>,
}

/// A cache behavior with its policies resolved.
#[derive(Debug, Clone)]
pub struct CompiledBehavior {
    /// `None` for the default behavior.
    pub path_pattern: Option<String>,
    /// Origin or origin group id.
    pub target_origin_id: String,
    /// Scheme rule.
    pub viewer_protocol_policy: ViewerProtocolPolicy,
    /// Methods accepted.
    pub allowed_methods: AllowedMethods,
    /// Methods whose responses are cached.
    pub cached_methods: CachedMethods,
    /// Edge compression.
    pub compress: bool,
    /// The cache policy: the behavior's, or the one its legacy `ForwardedValues` amount to.
    pub cache_policy: Arc<CachePolicyConfig>,
    /// The origin request policy, if any.
    pub origin_request_policy: Option<Arc<OriginRequestPolicyConfig>>,
    /// The response headers policy, if any.
    pub response_headers_policy: Option<Arc<ResponseHeadersPolicyConfig>>,
    /// MinTTL / DefaultTTL / MaxTTL, from the cache policy.
    pub ttl: TtlSettings,
    /// Legacy settings that forward no cookies: `Set-Cookie` is removed from origin responses.
    pub strips_set_cookie: bool,
}

/// A distribution ready to route requests.
#[derive(Debug)]
pub struct CompiledDistribution {
    /// `E…` id.
    pub id: String,
    /// Its own domain (the cache key uses it, never the alias).
    pub domain: String,
    /// `Enabled`.
    pub enabled: bool,
    /// The whole configuration (origins, error responses…).
    pub config: DistributionConfig,
    /// Objects created before these are misses.
    pub invalidations: crate::invalidation::Invalidations,
    /// Its Prometheus series.
    pub stats: crate::stats::DistributionStats,
    /// Each origin's `OriginCustomHeaders` as header pairs, by origin id.
    pub origin_headers: HashMap<String, Vec<(http::HeaderName, http::HeaderValue)>>,
    behaviors: Vec<(PathPattern, Arc<CompiledBehavior>)>,
    default: Arc<CompiledBehavior>,
}

/// Everything the edge routes by. Build with [`EdgeConfig::compile`].
#[derive(Debug, Default)]
pub struct EdgeConfig {
    hosts: HashMap<String, Arc<CompiledDistribution>>,
}

/// Why CloudFront itself refuses a request (403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forbidden {
    /// `https-only` reached over HTTP.
    HttpsRequired,
    /// A method outside `AllowedMethods`.
    MethodNotAllowed,
    /// A GET request with a body.
    GetWithBody,
    /// HTTP/1.0, `redirect-to-https`, a method other than GET/HEAD.
    Http10CannotRedirect,
    /// `Enabled: false`.
    Disabled,
}

impl Forbidden {
    /// A stable name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Forbidden::HttpsRequired => "HttpsRequired",
            Forbidden::MethodNotAllowed => "MethodNotAllowed",
            Forbidden::GetWithBody => "GetWithBody",
            Forbidden::Http10CannotRedirect => "Http10CannotRedirect",
            Forbidden::Disabled => "Disabled",
        }
    }

    /// The reason line of CloudFront's error page.
    pub fn message(self) -> &'static str {
        match self {
            Forbidden::MethodNotAllowed | Forbidden::GetWithBody => {
                "This distribution is not configured to allow the HTTP request method that was used for this request. The distribution supports only cachable requests."
            }
            Forbidden::HttpsRequired | Forbidden::Http10CannotRedirect => {
                "The request could not be satisfied. This distribution is configured to accept only HTTPS requests."
            }
            Forbidden::Disabled => "The request could not be satisfied. The distribution is not enabled.",
        }
    }
}

/// What to do with a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Route<'a> {
    /// Serve it through this behavior.
    Serve(&'a Arc<CompiledBehavior>),
    /// `redirect-to-https`: 301 for GET/HEAD, 307 otherwise, `X-Cache: Redirect from cloudfront`.
    Redirect {
        /// 301 or 307.
        status: u16,
        /// `https://<host>[:<port>]<uri>`.
        location: String,
    },
    /// 403 from CloudFront.
    Forbidden(Forbidden),
}

/// The parts of a viewer request routing needs.
#[derive(Debug, Clone, Copy)]
pub struct ViewerRequest<'a> {
    /// Method.
    pub method: &'a str,
    /// Path (no query).
    pub path: &'a str,
    /// Path and query, for the redirect `Location`.
    pub path_and_query: &'a str,
    /// The host the viewer addressed, without port.
    pub host: &'a str,
    /// Arrived over TLS.
    pub https: bool,
    /// HTTP/1.0 request.
    pub http10: bool,
    /// Has a body (`Content-Length` > 0 or chunked).
    pub has_body: bool,
    /// The HTTPS listener's port, when not 443 (goes into the redirect `Location`).
    pub https_port: Option<u16>,
}

impl PartialEq for CompiledBehavior {
    fn eq(&self, other: &Self) -> bool {
        self.path_pattern == other.path_pattern && self.target_origin_id == other.target_origin_id
    }
}

fn no_such(kind: &'static str, what: &str, id: &str) -> ValidationError {
    ValidationError {
        kind,
        message: format!("The specified {what} does not exist: {id}"),
    }
}

fn compile_behavior(
    b: &DefaultCacheBehavior,
    path_pattern: Option<&str>,
    policies: &CustomPolicies,
) -> Result<CompiledBehavior, ValidationError> {
    // A legacy behavior (ForwardedValues and its own TTLs) becomes the cache policy and origin
    // request policy that do the same, so every behavior takes one path.
    let legacy = b
        .forwarded_values
        .as_ref()
        .map(|fv| fv.policies(b.min_ttl, b.default_ttl, b.max_ttl));
    let cache_policy = match (&b.cache_policy_id, &legacy) {
        (Some(id), _) => cache_policy(id)
            .map(|m| Arc::new(m.config.clone()))
            .or_else(|| policies.cache.get(id).cloned())
            .ok_or_else(|| no_such("NoSuchCachePolicy", "cache policy", id))?,
        (None, Some(legacy)) => Arc::new(legacy.cache.clone()),
        (None, None) => {
            return Err(ValidationError {
                kind: "InvalidArgument",
                message: "The parameter ForwardedValues is required (a behavior has neither a CachePolicyId nor the legacy ForwardedValues).".into(),
            })
        }
    };
    let origin_request_policy = match (&b.origin_request_policy_id, &legacy) {
        (Some(id), _) => Some(
            origin_request_policy(id)
                .map(|m| Arc::new(m.config.clone()))
                .or_else(|| policies.origin_request.get(id).cloned())
                .ok_or_else(|| no_such("NoSuchOriginRequestPolicy", "origin request policy", id))?,
        ),
        (None, Some(legacy)) => legacy.origin_request.clone().map(Arc::new),
        (None, None) => None,
    };
    let response_headers_policy = match &b.response_headers_policy_id {
        Some(id) => Some(
            response_headers_policy(id)
                .map(|m| Arc::new(m.config.clone()))
                .or_else(|| policies.response_headers.get(id).cloned())
                .ok_or_else(|| {
                    no_such("NoSuchResponseHeadersPolicy", "response headers policy", id)
                })?,
        ),
        None => None,
    };
    // CloudFront: a cache policy's TTLs replace the behavior's legacy MinTTL/DefaultTTL/MaxTTL
    // (a legacy behavior's synthesized policy carries them).
    let ttl = TtlSettings::new(
        cache_policy.min_ttl,
        cache_policy.default_ttl,
        cache_policy.max_ttl,
    );
    // CloudFront, legacy settings: without cookie forwarding, `Set-Cookie` is removed from
    // origin responses.
    let strips_set_cookie = b
        .forwarded_values
        .as_ref()
        .is_some_and(|fv| fv.cookies.forward == CookieForward::None);
    Ok(CompiledBehavior {
        path_pattern: path_pattern.map(String::from),
        target_origin_id: b.target_origin_id.clone(),
        viewer_protocol_policy: b.viewer_protocol_policy,
        allowed_methods: b.allowed_methods,
        cached_methods: b.cached_methods,
        compress: b.compress,
        cache_policy,
        origin_request_policy,
        response_headers_policy,
        ttl,
        strips_set_cookie,
    })
}

impl CompiledDistribution {
    /// Compiles one validated distribution.
    pub fn compile(d: &Deployed, policies: &CustomPolicies) -> Result<Self, ValidationError> {
        d.config.validate()?;
        let mut behaviors = Vec::with_capacity(d.config.cache_behaviors.len());
        for cb in d.config.cache_behaviors.iter() {
            let pattern = PathPattern::new(&cb.path_pattern)?;
            let compiled = compile_behavior(&cb.behavior, Some(&cb.path_pattern), policies)?;
            behaviors.push((pattern, Arc::new(compiled)));
        }
        let default = Arc::new(compile_behavior(
            &d.config.default_cache_behavior,
            None,
            policies,
        )?);
        let mut invalidations = crate::invalidation::Invalidations::default();
        for (paths, at) in &d.invalidations {
            let parsed = paths
                .iter()
                .map(|p| crate::invalidation::InvalidationPath::parse(p))
                .collect::<Result<Vec<_>, _>>()?;
            invalidations.add(parsed, *at);
        }
        let mut origin_headers = HashMap::new();
        for origin in d.config.origins.iter() {
            let headers = crate::origin_request::compile_custom_headers(&origin.custom_headers)
                .map_err(|e| ValidationError {
                    kind: "InvalidArgument",
                    message: e.to_string(),
                })?;
            origin_headers.insert(origin.id.clone(), headers);
        }
        Ok(Self {
            id: d.id.clone(),
            domain: d.domain.to_ascii_lowercase(),
            origin_headers,
            enabled: d.config.enabled,
            config: d.config.clone(),
            invalidations,
            stats: Default::default(),
            behaviors,
            default,
        })
    }

    /// The behavior for `path`: the first ordered behavior whose pattern matches, else the
    /// default (CloudFront: list order, first match wins, `*` last).
    pub fn behavior(&self, path: &str) -> &Arc<CompiledBehavior> {
        crate::pattern::first_match(&self.behaviors, path).unwrap_or(&self.default)
    }

    /// Routes a request.
    pub fn route(&self, req: &ViewerRequest<'_>) -> Route<'_> {
        self.route_behavior(self.behavior(req.path), req)
    }

    /// Routes a request whose behavior was already matched (by [`Self::behavior`]).
    pub fn route_behavior<'a>(
        &'a self,
        behavior: &'a Arc<CompiledBehavior>,
        req: &ViewerRequest<'_>,
    ) -> Route<'a> {
        if !self.enabled {
            return Route::Forbidden(Forbidden::Disabled);
        }
        if !req.https {
            match behavior.viewer_protocol_policy {
                ViewerProtocolPolicy::AllowAll => {}
                ViewerProtocolPolicy::HttpsOnly => {
                    return Route::Forbidden(Forbidden::HttpsRequired)
                }
                ViewerProtocolPolicy::RedirectToHttps => {
                    let get_or_head = matches!(req.method, "GET" | "HEAD");
                    // CloudFront: GET/HEAD get 301, other methods 307, which HTTP/1.0
                    // cannot express: 403 there.
                    if !get_or_head && req.http10 {
                        return Route::Forbidden(Forbidden::Http10CannotRedirect);
                    }
                    let port = req
                        .https_port
                        .filter(|p| *p != 443)
                        .map(|p| format!(":{p}"))
                        .unwrap_or_default();
                    return Route::Redirect {
                        status: if get_or_head { 301 } else { 307 },
                        location: format!("https://{}{port}{}", req.host, req.path_and_query),
                    };
                }
            }
        }
        if !behavior.allowed_methods.allows(req.method) {
            return Route::Forbidden(Forbidden::MethodNotAllowed);
        }
        if req.method == "GET" && req.has_body {
            return Route::Forbidden(Forbidden::GetWithBody);
        }
        Route::Serve(behavior)
    }
}

impl EdgeConfig {
    /// Compiles every distribution; refuses an alias claimed twice (CloudFront:
    /// `CNAMEAlreadyExists`) and unknown policy ids (`NoSuchCachePolicy`…).
    pub fn compile(
        distributions: &[Deployed],
        policies: &CustomPolicies,
    ) -> Result<Self, ValidationError> {
        let mut hosts: HashMap<String, Arc<CompiledDistribution>> = HashMap::new();
        for d in distributions {
            let compiled = Arc::new(CompiledDistribution::compile(d, policies)?);
            let names = std::iter::once(compiled.domain.clone())
                .chain(d.config.aliases.iter().map(|a| a.to_ascii_lowercase()));
            for name in names {
                if let Some(other) = hosts.get(&name) {
                    return Err(ValidationError {
                        kind: "CNAMEAlreadyExists",
                        message: format!(
                            "One or more of the CNAMEs you provided are already associated with a different resource: {name} (distribution {})",
                            other.id
                        ),
                    });
                }
                hosts.insert(name, compiled.clone());
            }
        }
        Ok(Self { hosts })
    }

    /// The distribution serving `host` (a `Host` header value; port and case ignored).
    pub fn distribution(&self, host: &str) -> Option<&Arc<CompiledDistribution>> {
        let name = match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        };
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.hosts.get(&name.to_ascii_lowercase())
        } else {
            self.hosts.get(name)
        }
    }

    /// How many host names route somewhere.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    /// No distributions at all?
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
    const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

    fn config(extra_behaviors: &str, vpp: &str, aliases: &str) -> DistributionConfig {
        let text = format!(
            r#"{{
              "Enabled": true,
              "Aliases": [{aliases}],
              "Origins": [{{"Id": "fn", "DomainName": "https://abc.lambda-url.us-east-1.on.aws/",
                           "CustomOriginConfig": {{"OriginProtocolPolicy": "https-only"}}}}],
              "DefaultCacheBehavior": {{"TargetOriginId": "fn", "ViewerProtocolPolicy": "{vpp}",
                                       "CachePolicyId": "{CACHING_OPTIMIZED}"}},
              "CacheBehaviors": [{extra_behaviors}]
            }}"#
        );
        DistributionConfig::from_json(&text).unwrap()
    }

    fn deployed(id: &str, domain: &str, config: DistributionConfig) -> Deployed {
        Deployed {
            id: id.into(),
            domain: domain.into(),
            config,
            invalidations: vec![],
        }
    }

    fn req<'a>(method: &'a str, path: &'a str, https: bool) -> ViewerRequest<'a> {
        ViewerRequest {
            method,
            path,
            path_and_query: path,
            host: "d111.cloudfront.localhost",
            https,
            http10: false,
            has_body: false,
            https_port: Some(8443),
        }
    }

    #[test]
    fn hosts_route_by_domain_and_alias_ignoring_port_and_case() {
        let d = deployed(
            "E1",
            "d111.cloudfront.localhost",
            config("", "allow-all", r#""www.example.test""#),
        );
        let edge = EdgeConfig::compile(&[d], &CustomPolicies::default()).unwrap();
        assert_eq!(edge.len(), 2);
        assert_eq!(
            edge.distribution("d111.cloudfront.localhost:8080")
                .unwrap()
                .id,
            "E1"
        );
        assert_eq!(edge.distribution("WWW.Example.Test").unwrap().id, "E1");
        assert!(edge.distribution("other.test").is_none());
    }

    #[test]
    fn an_alias_claimed_twice_is_refused() {
        let a = deployed(
            "E1",
            "d1.cloudfront.localhost",
            config("", "allow-all", r#""x.test""#),
        );
        let b = deployed(
            "E2",
            "d2.cloudfront.localhost",
            config("", "allow-all", r#""x.test""#),
        );
        let e = EdgeConfig::compile(&[a, b], &CustomPolicies::default()).unwrap_err();
        assert_eq!(e.kind, "CNAMEAlreadyExists");
    }

    #[test]
    fn behaviors_match_in_list_order_and_default_last() {
        let behaviors = format!(
            r#"{{"PathPattern": "/api/*", "TargetOriginId": "fn", "ViewerProtocolPolicy": "allow-all",
                 "CachePolicyId": "{CACHING_DISABLED}", "AllowedMethods": ["GET","HEAD","OPTIONS","PUT","POST","PATCH","DELETE"]}},
               {{"PathPattern": "*.jpg", "TargetOriginId": "fn", "ViewerProtocolPolicy": "allow-all",
                 "CachePolicyId": "{CACHING_OPTIMIZED}"}}"#
        );
        let d = CompiledDistribution::compile(
            &deployed(
                "E1",
                "d111.cloudfront.localhost",
                config(&behaviors, "allow-all", ""),
            ),
            &CustomPolicies::default(),
        )
        .unwrap();
        assert_eq!(
            d.behavior("/api/photo.jpg").path_pattern.as_deref(),
            Some("/api/*")
        );
        assert_eq!(
            d.behavior("/img/a.jpg").path_pattern.as_deref(),
            Some("*.jpg")
        );
        assert_eq!(d.behavior("/index.html").path_pattern, None);
        // The cache policy's TTLs replace the legacy ones.
        assert_eq!(d.behavior("/api/x").ttl, TtlSettings::new(0, 0, 0));
        assert_eq!(d.behavior("/x").ttl, TtlSettings::new(1, 86400, 31_536_000));
        assert!(matches!(
            d.route(&req("POST", "/api/x", true)),
            Route::Serve(_)
        ));
        assert_eq!(
            d.route(&req("POST", "/x", true)),
            Route::Forbidden(Forbidden::MethodNotAllowed)
        );
    }

    #[test]
    fn viewer_protocol_policy_responses() {
        let policies = CustomPolicies::default();
        let redirect = CompiledDistribution::compile(
            &deployed(
                "E1",
                "d111.cloudfront.localhost",
                config("", "redirect-to-https", ""),
            ),
            &policies,
        )
        .unwrap();
        let mut r = req("GET", "/a?b=1", false);
        r.path = "/a";
        assert_eq!(
            redirect.route(&r),
            Route::Redirect {
                status: 301,
                location: "https://d111.cloudfront.localhost:8443/a?b=1".into()
            }
        );
        r.https_port = Some(443);
        assert!(
            matches!(redirect.route(&r), Route::Redirect { location, .. } if location == "https://d111.cloudfront.localhost/a?b=1")
        );
        let post = req("POST", "/a", false);
        assert!(matches!(
            redirect.route(&post),
            Route::Redirect { status: 307, .. }
        ));
        let mut old = post;
        old.http10 = true;
        assert_eq!(
            redirect.route(&old),
            Route::Forbidden(Forbidden::Http10CannotRedirect)
        );
        assert!(matches!(
            redirect.route(&req("GET", "/a", true)),
            Route::Serve(_)
        ));

        let only = CompiledDistribution::compile(
            &deployed(
                "E2",
                "d2.cloudfront.localhost",
                config("", "https-only", ""),
            ),
            &policies,
        )
        .unwrap();
        assert_eq!(
            only.route(&req("GET", "/", false)),
            Route::Forbidden(Forbidden::HttpsRequired)
        );
    }

    #[test]
    fn get_with_a_body_and_disabled_distributions_are_forbidden() {
        let mut c = config("", "allow-all", "");
        let d = CompiledDistribution::compile(
            &deployed("E1", "d1.cloudfront.localhost", c.clone()),
            &CustomPolicies::default(),
        )
        .unwrap();
        let mut r = req("GET", "/", true);
        r.has_body = true;
        assert_eq!(d.route(&r), Route::Forbidden(Forbidden::GetWithBody));
        c.enabled = false;
        let off = CompiledDistribution::compile(
            &deployed("E1", "d1.cloudfront.localhost", c),
            &CustomPolicies::default(),
        )
        .unwrap();
        assert_eq!(
            off.route(&req("GET", "/", true)),
            Route::Forbidden(Forbidden::Disabled)
        );
    }

    #[test]
    fn unknown_policy_ids_are_refused_and_custom_ones_resolve() {
        let mut c = config("", "allow-all", "");
        c.default_cache_behavior.cache_policy_id = Some("custom-1".into());
        let d = deployed("E1", "d1.cloudfront.localhost", c);
        let e = CompiledDistribution::compile(&d, &CustomPolicies::default()).unwrap_err();
        assert_eq!(e.kind, "NoSuchCachePolicy");
        let mut custom = cache_policy(CACHING_OPTIMIZED).unwrap().config.clone();
        custom.min_ttl = 5;
        let mut policies = CustomPolicies::default();
        policies.cache.insert("custom-1".into(), Arc::new(custom));
        let compiled = CompiledDistribution::compile(&d, &policies).unwrap();
        assert_eq!(compiled.behavior("/").ttl.min_ttl, 5);
    }
}
