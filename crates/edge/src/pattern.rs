//! Cache-behavior path patterns: which behavior serves a request.
//!
//! CloudFront compares each ordered cache behavior's `PathPattern` with the request **path only**
//! (no query string, no cookies), in list order, and the first match wins; the default behavior
//! (`*`) comes last. The rules implemented here (spec §3, "Path pattern matching"):
//!
//! - a leading `/` in the pattern is optional: `images/*.jpg` ≡ `/images/*.jpg`;
//! - `*` matches zero or more characters and crosses `/`; `?` matches exactly one character;
//!   there are no other metacharacters;
//! - matching is case-sensitive: `*.jpg` does not match `/LOGO.JPG`;
//! - a pattern is at most 255 characters from `A-Z a-z 0-9 _ - . * ? $ / ~ " ' @ : + &`.
//!
//! Matching is the classic iterative two-pointer glob algorithm: no regex, no recursion, and at
//! worst O(pattern × path) steps, so a hostile pattern such as `*a*a*a*a*b` against a long path of
//! `a`s cannot stall the request path.

use std::fmt;

use stratus_model::ValidationError;

/// A validated CloudFront `PathPattern`, ready to match request paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    /// The pattern as configured (with `&amp;` decoded to `&`).
    source: String,
    /// The pattern anchored at `/`, runs of `*` collapsed to one.
    compiled: Box<[u8]>,
}

impl PathPattern {
    /// Validates (the model's rule, [`validate_path_pattern`]) and compiles a `PathPattern`.
    ///
    /// Accepts `&` both literally and as the XML entity `&amp;` (the API's spelling).
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] of kind `InvalidArgument` when the pattern is empty, longer than 255
    /// characters, or holds a character outside CloudFront's allowed set.
    ///
    /// [`validate_path_pattern`]: stratus_model::cloudfront::distribution::validate_path_pattern
    pub fn new(pattern: &str) -> Result<Self, ValidationError> {
        stratus_model::cloudfront::distribution::validate_path_pattern(pattern)?;
        let source = pattern.replace("&amp;", "&");

        // CloudFront: the leading `/` is optional, so anchor every pattern at `/`.
        let mut compiled = Vec::with_capacity(source.len() + 1);
        if !source.starts_with('/') {
            compiled.push(b'/');
        }
        for b in source.bytes() {
            // `**` means the same as `*`; collapsing keeps the matcher's work down.
            if b == b'*' && compiled.last() == Some(&b'*') {
                continue;
            }
            compiled.push(b);
        }
        Ok(Self {
            source,
            compiled: compiled.into_boxed_slice(),
        })
    }

    /// The pattern as configured.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `path` (the request's path, e.g. `http::Uri::path()`, without the query string)
    /// matches this pattern. Case-sensitive; `?` consumes one character, not one byte.
    ///
    /// A path that does not start with `/` is matched as if it did, so `*` matches every path.
    pub fn matches(&self, path: &str) -> bool {
        let mut steps = 0;
        self.matches_counting(path, &mut steps)
    }

    fn matches_counting(&self, path: &str, steps: &mut u64) -> bool {
        // The compiled pattern always starts with `/`; a path without one is matched against the
        // rest of the pattern, which is the same as prefixing the path with `/`.
        let pattern = match (path.starts_with('/'), self.compiled.split_first()) {
            (false, Some((b'/', rest))) => rest,
            _ => &self.compiled[..],
        };
        glob_match(pattern, path, steps)
    }
}

impl fmt::Display for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for PathPattern {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// CloudFront: cache behaviors are evaluated in list order and the first whose pattern matches
/// the path wins. Returns that behavior's value, or `None` when nothing matches (the caller then
/// uses the default behavior).
pub fn first_match<'a, T>(behaviors: &'a [(PathPattern, T)], path: &str) -> Option<&'a T> {
    behaviors
        .iter()
        .find(|(pattern, _)| pattern.matches(path))
        .map(|(_, value)| value)
}

/// Whether `text` matches `pattern`, where `*` is any run of characters and `?` exactly one,
/// the wildcards CloudFront's legacy cookie whitelists take (`WhitelistedNames`). A pattern
/// with characters beyond ASCII is compared literally.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    if !pattern.is_ascii() {
        return pattern == text;
    }
    glob_match(pattern.as_bytes(), text, &mut 0)
}

/// Byte length of the character starting at `at` (a char boundary inside `text`).
fn char_len(text: &str, at: usize) -> usize {
    text[at..].chars().next().map_or(1, char::len_utf8)
}

/// Iterative glob match with single-star backtracking.
///
/// `pattern` is ASCII (validated), so a literal byte can only equal an ASCII byte of `text`, and
/// `t` stays on a char boundary. Only the most recent `*` is ever retried: an earlier star could
/// only absorb characters the later one can absorb as well, so the search is O(|pattern|·|text|)
/// in the worst case. `steps` counts loop iterations for the complexity test.
fn glob_match(pattern: &[u8], text: &str, steps: &mut u64) -> bool {
    let bytes = text.as_bytes();
    let (mut p, mut t) = (0usize, 0usize);
    // (pattern index just after the last `*`, text index that star's match currently ends at)
    let mut star: Option<(usize, usize)> = None;

    while t < bytes.len() {
        *steps += 1;
        match pattern.get(p) {
            Some(b'*') => {
                p += 1;
                star = Some((p, t));
            }
            Some(b'?') => {
                p += 1;
                t += char_len(text, t);
            }
            Some(&c) if bytes.get(t) == Some(&c) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                // Let the last `*` swallow one more character and retry from just after it.
                Some((after_star, star_end)) => {
                    let next = star_end + char_len(text, star_end);
                    star = Some((after_star, next));
                    p = after_star;
                    t = next;
                }
                None => return false,
            },
        }
    }
    // The text is used up: the rest of the pattern must be able to match nothing.
    pattern.iter().skip(p).all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(s: &str) -> PathPattern {
        PathPattern::new(s).unwrap()
    }

    #[test]
    fn spec_example_star_crosses_slashes() {
        // Spec §3: `images/*.jpg` matches `images/a/b/c.jpg`.
        assert!(pat("images/*.jpg").matches("/images/a/b/c.jpg"));
        assert!(pat("images/*.jpg").matches("/images/c.jpg"));
        assert!(!pat("images/*.jpg").matches("/images/c.png"));
        assert!(!pat("images/*.jpg").matches("/other/images/c.jpg"));
    }

    #[test]
    fn matching_is_case_sensitive() {
        // Spec §3: `*.jpg` does not match `LOGO.JPG`.
        assert!(!pat("*.jpg").matches("/LOGO.JPG"));
        assert!(pat("*.jpg").matches("/logo.jpg"));
        assert!(!pat("/Images/*").matches("/images/a"));
    }

    #[test]
    fn question_mark_is_exactly_one_character() {
        let p = pat("/v?/api");
        assert!(p.matches("/v1/api"));
        assert!(p.matches("/v2/api"));
        assert!(!p.matches("/v/api"));
        assert!(!p.matches("/v10/api"));
        // `?` crosses `/` like any character.
        assert!(pat("/a?b").matches("/a/b"));
        // One character, not one byte.
        assert!(pat("/caf?").matches("/café"));
        assert!(!pat("/caf?").matches("/caf"));
        assert!(pat("/??").matches("/éé"));
        assert!(!pat("/?").matches("/éé"));
    }

    #[test]
    fn leading_slash_is_optional() {
        for path in [
            "/images/x.jpg",
            "/images/a/b.jpg",
            "/img.jpg",
            "/images/x.png",
        ] {
            assert_eq!(
                pat("images/*.jpg").matches(path),
                pat("/images/*.jpg").matches(path),
                "{path}"
            );
        }
        assert!(pat("?foo").matches("/xfoo"));
        assert!(pat("/?foo").matches("/xfoo"));
        assert!(pat("api").matches("/api"));
        assert!(!pat("api").matches("/api/x"));
    }

    #[test]
    fn star_alone_matches_every_path() {
        let all = pat("*");
        for path in ["/", "", "/a", "/a/b/c.d?", "/%20", "*", "/é"] {
            assert!(all.matches(path), "{path:?}");
        }
        assert!(pat("/*").matches("/"));
        assert!(pat("**").matches("/anything/at/all"));
    }

    #[test]
    fn star_matches_an_empty_remainder() {
        assert!(pat("/images/*").matches("/images/"));
        assert!(!pat("/images/*").matches("/images"));
        assert!(pat("/images*").matches("/images"));
        assert!(pat("/a*b*").matches("/ab"));
        assert!(pat("/a*").matches("/a"));
        assert!(!pat("/a*?").matches("/a"));
    }

    #[test]
    fn literal_patterns_match_exactly() {
        assert!(pat("/index.html").matches("/index.html"));
        assert!(!pat("/index.html").matches("/index.htm"));
        assert!(!pat("/index.html").matches("/index.html/"));
        assert!(!pat("/index.html").matches("/index.htmlx"));
        assert!(pat("/a+b@c:d~e$f'g\"h&i").matches("/a+b@c:d~e$f'g\"h&i"));
    }

    #[test]
    fn backtracking_finds_later_occurrences() {
        assert!(pat("*abc").matches("/ababc"));
        assert!(pat("/*/b/*.js").matches("/x/y/b/c/d.js"));
        assert!(pat("*.tar.gz").matches("/a.tar.tar.gz"));
        assert!(!pat("*.tar.gz").matches("/a.tar.gz.bak"));
        assert!(pat("*a?c").matches("/xxabcabc"));
    }

    #[test]
    fn pathological_pattern_is_linear_in_pattern_times_path() {
        let path = format!("/{}", "a".repeat(100_000));
        let p = pat("*a*a*a*a*b");
        let mut steps = 0;
        assert!(!p.matches_counting(&path, &mut steps));
        let bound = (path.len() as u64 + 1) * (p.compiled.len() as u64 + 1);
        assert!(steps <= bound, "{steps} steps > {bound}");

        let mut steps = 0;
        let p = pat("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b");
        assert!(!p.matches_counting(&path, &mut steps));
        let bound = (path.len() as u64 + 1) * (p.compiled.len() as u64 + 1);
        assert!(steps <= bound, "{steps} steps > {bound}");

        let mut with_b = path.clone();
        with_b.push('b');
        assert!(pat("*a*a*a*a*b").matches(&with_b));
    }

    #[test]
    fn invalid_characters_are_rejected() {
        for bad in [
            "/a b", "/a%20", "/a#b", "/a;b", "/a=b", "/a,b", "/a\\b", "/é", "/a[b]", "/a|b",
            "/a!b", "/a(b)",
        ] {
            let err = PathPattern::new(bad).unwrap_err();
            assert_eq!(err.kind, "InvalidArgument", "{bad}");
        }
    }

    #[test]
    fn ampersand_is_accepted_literally_or_as_amp_entity() {
        let a = pat("/a&b*");
        let b = pat("/a&amp;b*");
        assert_eq!(a, b);
        assert_eq!(b.as_str(), "/a&b*");
        assert!(b.matches("/a&b/c"));
    }

    #[test]
    fn length_limit_is_255() {
        let ok = format!("/{}", "a".repeat(254));
        assert!(PathPattern::new(&ok).is_ok());
        let too_long = format!("/{}", "a".repeat(255));
        assert_eq!(
            PathPattern::new(&too_long).unwrap_err().kind,
            "InvalidArgument"
        );
        assert_eq!(PathPattern::new("").unwrap_err().kind, "InvalidArgument");
    }

    #[test]
    fn first_match_in_list_order_wins() {
        let behaviors = vec![
            (pat("/api/*"), "api"),
            (pat("/api/v2/*"), "never reached"),
            (pat("*.jpg"), "images"),
            (pat("*"), "default"),
        ];
        assert_eq!(first_match(&behaviors, "/api/v2/x"), Some(&"api"));
        assert_eq!(first_match(&behaviors, "/photo.jpg"), Some(&"images"));
        assert_eq!(first_match(&behaviors, "/api/photo.jpg"), Some(&"api"));
        assert_eq!(first_match(&behaviors, "/index.html"), Some(&"default"));
        assert_eq!(first_match(&behaviors[..2], "/index.html"), None);
        assert_eq!(first_match::<u8>(&[], "/"), None);
    }

    #[test]
    fn query_string_is_not_part_of_the_match() {
        // The caller hands over `Uri::path()`; a query never reaches the matcher.
        let uri: http::Uri = "/img/a.jpg?size=large".parse().unwrap();
        assert!(pat("*.jpg").matches(uri.path()));
        assert!(!pat("*large").matches(uri.path()));
    }
}
