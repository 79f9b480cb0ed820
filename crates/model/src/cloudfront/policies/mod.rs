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
//!
//! The pieces every policy kind shares live here: [`PolicyQuotas`], the cookie and query string
//! configs of cache and origin request policies, the name-list rules and the list readers. Each
//! kind has its own module (`cache`, `origin_request`, `response_headers`), and `managed` holds
//! CloudFront's managed policies and their lookups; everything is re-exported here.

use serde::{Deserialize, Serialize};

use super::wire::List;
use crate::ValidationError;

mod cache;
mod managed;
mod origin_request;
mod response_headers;
#[cfg(test)]
mod tests;

pub use cache::{
    CachePolicyConfig, CachePolicyHeaderBehavior, CachePolicyHeadersConfig,
    ParametersInCacheKeyAndForwardedToOrigin,
};
pub use managed::{
    cache_policy, managed_cache_policies, managed_origin_request_policies,
    managed_response_headers_policies, origin_request_policy, response_headers_policy, Managed,
    ManagedCachePolicy, ManagedOriginRequestPolicy, ManagedResponseHeadersPolicy,
};
pub use origin_request::{
    OriginRequestPolicyConfig, OriginRequestPolicyHeaderBehavior, OriginRequestPolicyHeadersConfig,
};
pub use response_headers::{
    ContentSecurityPolicy, ContentTypeOptions, CorsConfig, CorsMethod, CustomHeader,
    CustomHeadersConfig, FrameOption, FrameOptions, ReferrerPolicy, ReferrerPolicyValue,
    RemoveHeader, RemoveHeadersConfig, ResponseHeadersPolicyConfig, SecurityHeadersConfig,
    ServerTimingHeadersConfig, StrictTransportSecurity, XssProtection, MAX_CSP_CHARS,
};

// AWS error names, from the "Errors" sections of CreateCachePolicy, CreateOriginRequestPolicy
// and CreateResponseHeadersPolicy in the CloudFront API Reference. The kind-specific ones live
// with their kind.
const INVALID_ARGUMENT: &str = "InvalidArgument";

/// CloudFront: the header, cookie and query string names of one policy total at most 1,024
/// characters.
pub const MAX_TOTAL_NAME_CHARS: usize = 1024;

/// CloudFront: a policy comment is at most 128 characters.
pub const MAX_COMMENT_CHARS: usize = 128;

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
// Behaviors shared by cache and origin request policies
// ---------------------------------------------------------------------------------------------

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

fn is_empty<T>(l: &List<T>) -> bool {
    l.0.is_empty()
}

/// Owned names from a static list: the managed policy tables (and tests) build lists with it.
fn names(list: &[&str]) -> List<String> {
    List(list.iter().map(|s| (*s).to_owned()).collect())
}
