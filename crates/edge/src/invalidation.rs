//! Invalidations: `stratus invalidate DIST '/images/*'` records paths with a time, and a
//! cached object created before a matching record is a miss from then on. Matching by path
//! (not by key) removes every cache-key variant of a path, as CloudFront does, without an
//! index from paths to keys.

use std::time::SystemTime;

use stratus_model::ValidationError;

/// CloudFront: an invalidation path is at most 4,000 characters.
const MAX_PATH: usize = 4000;

/// One invalidation path: exact, or a prefix when it ends with `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidationPath {
    prefix: String,
    wildcard: bool,
}

impl InvalidationPath {
    /// Parses a path as CloudFront's API takes it: a leading `/` (added when missing, as the
    /// console allows), `*` only as the last character, ≤ 4,000 characters.
    pub fn parse(path: &str) -> Result<Self, ValidationError> {
        let invalid = |why: &str| ValidationError {
            kind: "InvalidArgument",
            message: format!("The invalidation path {path:?} is invalid: {why}"),
        };
        if path.is_empty() {
            return Err(invalid("it is empty"));
        }
        if path.len() > MAX_PATH {
            return Err(invalid("it is longer than 4,000 characters"));
        }
        let normalised = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        let (prefix, wildcard) = match normalised.strip_suffix('*') {
            Some(p) => (p.to_string(), true),
            None => (normalised, false),
        };
        if prefix.contains('*') {
            return Err(invalid("a * may only be the last character"));
        }
        Ok(Self { prefix, wildcard })
    }

    /// Does the path cover `subject` (the request path, with `?query` when the cache key
    /// includes query strings)? Case-sensitive; `*` matches zero or more characters, `/`
    /// included.
    pub fn matches(&self, subject: &str) -> bool {
        if self.wildcard {
            subject.starts_with(&self.prefix)
        } else {
            subject == self.prefix
        }
    }

    /// Is this a wildcard path (CloudFront limits how many are in progress)?
    pub fn is_wildcard(&self) -> bool {
        self.wildcard
    }
}

/// The invalidations of one distribution.
#[derive(Debug, Clone, Default)]
pub struct Invalidations {
    entries: Vec<(InvalidationPath, SystemTime)>,
}

impl Invalidations {
    /// Adds the paths of one invalidation, created at `at`.
    pub fn add(&mut self, paths: Vec<InvalidationPath>, at: SystemTime) {
        self.entries.extend(paths.into_iter().map(|p| (p, at)));
    }

    /// None recorded?
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Was an object for `subject`, stored at `created`, invalidated since?
    pub fn invalidated(&self, subject: &str, created: SystemTime) -> bool {
        self.entries
            .iter()
            .any(|(path, at)| created <= *at && path.matches(subject))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn p(s: &str) -> InvalidationPath {
        InvalidationPath::parse(s).unwrap()
    }

    #[test]
    fn cloudfront_invalidation_paths() {
        assert!(p("/images/*").matches("/images/a/b.jpg"));
        assert!(p("/images/*").matches("/images/"));
        assert!(!p("/images/*").matches("/images"));
        assert!(p("/images*").matches("/images-old/x"));
        assert!(p("/logo.*").matches("/logo.png"));
        assert!(p("/*").matches("/anything?x=1"));
        assert!(p("/a.jpg").matches("/a.jpg"));
        assert!(
            !p("/a.jpg").matches("/a.jpg?x=1"),
            "a query in the key is part of the path"
        );
        assert!(!p("/A.jpg").matches("/a.jpg"), "case-sensitive");
        assert_eq!(
            p("images/*"),
            p("/images/*"),
            "the leading slash is optional"
        );
        assert!(InvalidationPath::parse("/a*/b").is_err());
        assert!(InvalidationPath::parse("").is_err());
        assert!(InvalidationPath::parse(&format!("/{}", "a".repeat(4000))).is_err());
    }

    #[test]
    fn only_objects_stored_before_the_invalidation_are_invalidated() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let mut inv = Invalidations::default();
        assert!(inv.is_empty());
        inv.add(vec![p("/images/*")], t);
        assert!(inv.invalidated("/images/x.png", t - Duration::from_secs(1)));
        assert!(inv.invalidated("/images/x.png", t));
        assert!(!inv.invalidated("/images/x.png", t + Duration::from_secs(1)));
        assert!(!inv.invalidated("/css/x.css", t - Duration::from_secs(1)));
    }
}
