//! Validation of a whole distribution: its quotas and cross-field rules, and the CloudFront
//! error names every rule answers with. Each part's own rules live with the part.

use std::collections::HashSet;

use super::behavior::validate_path_pattern;
use super::{DistributionConfig, MAX_ALIASES, MAX_CACHE_BEHAVIORS, MAX_ORIGINS, MAX_ORIGIN_GROUPS};
use crate::ValidationError;

const INVALID_ARGUMENT: &str = "InvalidArgument";
pub(crate) const NO_SUCH_ORIGIN: &str = "NoSuchOrigin";
pub(crate) const INCONSISTENT_QUANTITIES: &str = "InconsistentQuantities";
pub(crate) const INVALID_RESPONSE_CODE: &str = "InvalidResponseCode";

impl DistributionConfig {
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

pub(crate) fn err(kind: &'static str, message: impl Into<String>) -> ValidationError {
    ValidationError {
        kind,
        message: message.into(),
    }
}

pub(crate) fn invalid_argument(message: impl Into<String>) -> ValidationError {
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
pub(crate) fn unreadable(e: serde_json::Error) -> ValidationError {
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

#[cfg(test)]
mod tests {
    use crate::cloudfront::distribution::tests::{
        assert_refused, behavior, group, minimal, origin,
    };
    use crate::cloudfront::wire::List;

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
}
