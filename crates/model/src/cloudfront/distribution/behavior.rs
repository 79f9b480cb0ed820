//! Cache behaviors: the default and ordered behaviors, their method sets and legacy
//! forwarded values, read from either shape and written in the API's, with their rules.

use std::collections::HashSet;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::empty_as_none;
use super::validate::{err, invalid_argument, INCONSISTENT_QUANTITIES, NO_SUCH_ORIGIN};
use crate::cloudfront::wire::List;
use crate::ValidationError;

aws_enum! {
    /// `ViewerProtocolPolicy`: which schemes viewers may use for a behavior.
    ViewerProtocolPolicy {
        AllowAll = "allow-all",
        RedirectToHttps = "redirect-to-https",
        HttpsOnly = "https-only",
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
// Behaviors

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

// ---------------------------------------------------------------------------------------------
// Validation

impl DefaultCacheBehavior {
    pub(crate) fn validate(
        &self,
        label: &str,
        target_ids: &HashSet<&str>,
    ) -> Result<(), ValidationError> {
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

/// CloudFront: a `PathPattern` is at most 255 characters of `A-Z a-z 0-9 _ - . * $ / ~ " ' @ :
/// +` and `&`, plus the `?` wildcard; the API spells `&` as the XML entity `&amp;`, which
/// counts as the one character it stands for. The edge compiles only patterns this accepts.
pub fn validate_path_pattern(pattern: &str) -> Result<(), ValidationError> {
    let decoded = pattern.replace("&amp;", "&");
    let len = decoded.chars().count();
    if len == 0 || len > 255 {
        return Err(invalid_argument(format!(
            "The PathPattern '{pattern}' is {len} characters long; a path pattern has 1–255."
        )));
    }
    if let Some(c) = decoded
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_-.*?$/~\"'@:+&".contains(*c)))
    {
        return Err(invalid_argument(format!(
            "The PathPattern '{pattern}' contains '{c}'; path patterns may use only A-Z a-z 0-9 _ - . * ? $ / ~ \" ' @ : + &."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    #[test]
    fn path_patterns_take_amp_entities_and_count_characters() {
        assert!(validate_path_pattern("/a&amp;b/*").is_ok());
        assert!(validate_path_pattern("/a&b/*").is_ok());
        assert!(validate_path_pattern("/a;b").is_err());
        assert!(validate_path_pattern("").is_err());
        let max = format!("/{}", "a".repeat(254));
        assert!(validate_path_pattern(&max).is_ok());
        // `&amp;` is one character of the 255.
        assert!(validate_path_pattern(&format!("{max}&amp;")).is_err());
        assert!(validate_path_pattern(&format!("/{}&amp;", "a".repeat(253))).is_ok());
    }

    use serde_json::json;

    use super::*;
    use crate::cloudfront::distribution::tests::{
        assert_refused, behavior, group, legacy_values, minimal, origin, ALL_VIEWER_EXCEPT_HOST,
    };

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
}
