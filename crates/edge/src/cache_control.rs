//! The origin response's `Cache-Control`, parsed for the TTL rules.
//!
//! CloudFront reads `max-age`, `s-maxage`, `no-cache`, `no-store` and `private` to decide how long
//! to keep an object (spec §4, "TTL computation"), and since May 2023 `stale-while-revalidate` and
//! `stale-if-error` (RFC 5861) to serve expired copies. The rest is parsed so the edge can log it.
//!
//! The parser is lenient, as a cache in front of arbitrary origins has to be:
//! - several `Cache-Control` header lines are one comma-separated list (RFC 9110 §5.3);
//! - directive names are case-insensitive; values may be tokens or quoted strings, and a quoted
//!   string may hold commas (`private="Set-Cookie, X-Foo"`) and `\"` escapes;
//! - unknown directives, empty list elements and stray whitespace are skipped;
//! - a malformed number (`max-age=abc`, `max-age=-1`, `max-age=1.5`, `max-age=`) is ignored as if
//!   the directive were absent; never an error;
//! - when a numeric directive repeats, the first well-formed occurrence wins (RFC 9111 §4.2.1);
//! - numbers too large for `u64` saturate (RFC 9111 §1.2.2 allows capping; CloudFront accepts
//!   `max-age` up to 100 years, and the policy's MaxTTL caps it anyway).

use http::header::{HeaderMap, CACHE_CONTROL};

/// Which part of a response a `no-cache` or `private` directive covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldScope {
    /// The bare directive: the whole response.
    Whole,
    /// The directive with field names (`private="Set-Cookie"`): only those header fields,
    /// lowercased, in order of first appearance.
    Fields(Vec<String>),
}

impl FieldScope {
    fn merge(&mut self, other: FieldScope) {
        match (&mut *self, other) {
            (FieldScope::Whole, _) => {}
            (this @ FieldScope::Fields(_), FieldScope::Whole) => *this = FieldScope::Whole,
            (FieldScope::Fields(have), FieldScope::Fields(more)) => {
                for name in more {
                    if !have.contains(&name) {
                        have.push(name);
                    }
                }
            }
        }
    }
}

/// The directives of a response's `Cache-Control` header(s). `Default` is "no header".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheControl {
    /// At least one `Cache-Control` header line was present (even an empty or unparsable one).
    /// CloudFront caches 307 and 308 responses only when the origin sent `Cache-Control`.
    pub present: bool,
    /// `max-age=N`: freshness for every cache, in seconds.
    pub max_age: Option<u64>,
    /// `s-maxage=N`: freshness for shared caches such as CloudFront; wins over `max-age`.
    pub s_maxage: Option<u64>,
    /// `no-cache`, with or without field names.
    pub no_cache: Option<FieldScope>,
    /// `no-store`.
    pub no_store: bool,
    /// `private`, with or without field names.
    pub private: Option<FieldScope>,
    /// `must-revalidate`.
    pub must_revalidate: bool,
    /// `proxy-revalidate`.
    pub proxy_revalidate: bool,
    /// `stale-while-revalidate=N` (RFC 5861), in seconds.
    pub stale_while_revalidate: Option<u64>,
    /// `stale-if-error=N` (RFC 5861), in seconds. `Some(0)` is meaningful: CloudFront then
    /// does not serve an old copy when the origin is unreachable.
    pub stale_if_error: Option<u64>,
    /// `immutable` (RFC 8246).
    pub immutable: bool,
    /// `public`.
    pub public: bool,
}

impl CacheControl {
    /// Parses the values of every `Cache-Control` header line of a response, in order.
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut cc = Self::default();
        for value in values {
            cc.present = true;
            for (name, arg) in Directives::new(value) {
                cc.apply(name, arg.as_deref());
            }
        }
        cc
    }

    /// Parses the `Cache-Control` lines of a response's headers. Bytes that are not UTF-8
    /// (obs-text) are replaced, which only ever spoils the directive that holds them.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let values: Vec<String> = headers
            .get_all(CACHE_CONTROL)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        Self::parse(values.iter().map(String::as_str))
    }

    /// Whether the origin gave CloudFront an explicit lifetime with `max-age` or `s-maxage`
    /// (what decides caching of 400, 403, 405, 412 and 415 responses).
    pub fn has_max_age(&self) -> bool {
        self.max_age.is_some() || self.s_maxage.is_some()
    }

    fn apply(&mut self, name: &str, arg: Option<&str>) {
        let is = |known: &str| name.eq_ignore_ascii_case(known);
        if is("max-age") {
            first_number(&mut self.max_age, arg);
        } else if is("s-maxage") {
            first_number(&mut self.s_maxage, arg);
        } else if is("stale-while-revalidate") {
            first_number(&mut self.stale_while_revalidate, arg);
        } else if is("stale-if-error") {
            first_number(&mut self.stale_if_error, arg);
        } else if is("no-cache") {
            merge_scope(&mut self.no_cache, arg);
        } else if is("private") {
            merge_scope(&mut self.private, arg);
        } else if is("no-store") {
            self.no_store = true;
        } else if is("must-revalidate") {
            self.must_revalidate = true;
        } else if is("proxy-revalidate") {
            self.proxy_revalidate = true;
        } else if is("immutable") {
            self.immutable = true;
        } else if is("public") {
            self.public = true;
        }
        // Anything else (no-transform, must-understand, extensions) does not affect caching here.
    }
}

/// Keeps the first well-formed value of a numeric directive.
fn first_number(slot: &mut Option<u64>, arg: Option<&str>) {
    if slot.is_none() {
        *slot = arg.and_then(delta_seconds);
    }
}

fn merge_scope(slot: &mut Option<FieldScope>, arg: Option<&str>) {
    let scope = match arg {
        None => FieldScope::Whole,
        Some(list) => {
            let fields: Vec<String> = list
                .split(',')
                .map(|f| f.trim().to_ascii_lowercase())
                .filter(|f| !f.is_empty())
                .collect();
            // `no-cache=""` names no field; read it as the bare directive, the safe side.
            if fields.is_empty() {
                FieldScope::Whole
            } else {
                FieldScope::Fields(fields)
            }
        }
    };
    match slot {
        Some(have) => have.merge(scope),
        None => *slot = Some(scope),
    }
}

/// `delta-seconds = 1*DIGIT` (RFC 9111 §1.2.2); anything else is malformed. Saturates.
fn delta_seconds(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0u64, |n, b| {
        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

/// Iterates `(name, argument)` over one header value. Names are trimmed but keep their case;
/// arguments are unquoted and unescaped.
struct Directives<'a> {
    rest: &'a str,
}

impl<'a> Directives<'a> {
    fn new(value: &'a str) -> Self {
        Self { rest: value }
    }
}

impl<'a> Iterator for Directives<'a> {
    type Item = (&'a str, Option<String>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.rest = self
                .rest
                .trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
            if self.rest.is_empty() {
                return None;
            }
            let end = self.rest.find([',', '=']).unwrap_or(self.rest.len());
            let name = self.rest[..end].trim();
            let after = &self.rest[end..];
            let arg = if let Some(value) = after.strip_prefix('=') {
                let value = value.trim_start_matches(|c: char| c.is_ascii_whitespace());
                let (arg, rest) = if let Some(quoted) = value.strip_prefix('"') {
                    unquote(quoted)
                } else {
                    let end = value.find(',').unwrap_or(value.len());
                    (value[..end].trim().to_owned(), &value[end..])
                };
                // Skip whatever follows a quoted string up to the next comma.
                self.rest = &rest[rest.find(',').unwrap_or(rest.len())..];
                Some(arg)
            } else {
                self.rest = after;
                None
            };
            if !name.is_empty() {
                return Some((name, arg));
            }
        }
    }
}

/// Reads a quoted-string body (after the opening quote) up to the closing quote, resolving
/// `\x` escapes. An unterminated string runs to the end of the value.
fn unquote(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &s[i + 1..]),
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    out.push(escaped);
                }
            }
            c => out.push(c),
        }
    }
    (out, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cc(value: &str) -> CacheControl {
        CacheControl::parse([value])
    }

    #[test]
    fn no_header_is_the_default() {
        let none = CacheControl::parse(std::iter::empty());
        assert_eq!(none, CacheControl::default());
        assert!(!none.present);
        assert!(CacheControl::from_headers(&HeaderMap::new()) == none);
    }

    #[test]
    fn max_age() {
        assert_eq!(cc("max-age=3600").max_age, Some(3600));
        assert_eq!(cc("max-age=0").max_age, Some(0));
        assert_eq!(cc("max-age=0").s_maxage, None);
        assert!(cc("max-age=0").has_max_age());
    }

    #[test]
    fn s_maxage() {
        let c = cc("max-age=60, s-maxage=600");
        assert_eq!(c.s_maxage, Some(600));
        assert_eq!(c.max_age, Some(60));
        assert!(cc("s-maxage=1").has_max_age());
    }

    #[test]
    fn no_cache_with_and_without_field_names() {
        assert_eq!(cc("no-cache").no_cache, Some(FieldScope::Whole));
        assert_eq!(
            cc("no-cache=\"Set-Cookie, X-Trace\"").no_cache,
            Some(FieldScope::Fields(vec![
                "set-cookie".into(),
                "x-trace".into()
            ]))
        );
        assert_eq!(
            cc("no-cache=Set-Cookie").no_cache,
            Some(FieldScope::Fields(vec!["set-cookie".into()]))
        );
        assert_eq!(cc("no-cache=\"\"").no_cache, Some(FieldScope::Whole));
        // Field names, then the bare directive: the whole response.
        assert_eq!(
            cc("no-cache=\"a\", no-cache").no_cache,
            Some(FieldScope::Whole)
        );
        assert_eq!(
            cc("no-cache=\"a\", no-cache=\"b, a\"").no_cache,
            Some(FieldScope::Fields(vec!["a".into(), "b".into()]))
        );
        assert_eq!(cc("max-age=5").no_cache, None);
    }

    #[test]
    fn no_store() {
        assert!(cc("no-store").no_store);
        assert!(cc("NO-STORE").no_store);
        assert!(!cc("no-storex").no_store);
    }

    #[test]
    fn private_with_and_without_field_names() {
        assert_eq!(cc("private").private, Some(FieldScope::Whole));
        assert_eq!(
            cc("private=\"Set-Cookie\"").private,
            Some(FieldScope::Fields(vec!["set-cookie".into()]))
        );
        assert_eq!(
            cc("private=\"x\", private").private,
            Some(FieldScope::Whole)
        );
    }

    #[test]
    fn must_and_proxy_revalidate() {
        let c = cc("must-revalidate");
        assert!(c.must_revalidate && !c.proxy_revalidate);
        let c = cc("proxy-revalidate");
        assert!(c.proxy_revalidate && !c.must_revalidate);
    }

    #[test]
    fn stale_while_revalidate_and_stale_if_error() {
        let c = cc("max-age=60, stale-while-revalidate=30, stale-if-error=86400");
        assert_eq!(c.stale_while_revalidate, Some(30));
        assert_eq!(c.stale_if_error, Some(86400));
        // CloudFront: stale-if-error=0 is how the origin says "never serve the old copy".
        assert_eq!(cc("stale-if-error=0").stale_if_error, Some(0));
        assert_eq!(cc("stale-while-revalidate").stale_while_revalidate, None);
    }

    #[test]
    fn immutable_and_public() {
        let c = cc("public, max-age=31536000, immutable");
        assert!(c.public && c.immutable);
        assert_eq!(c.max_age, Some(31_536_000));
        assert!(!cc("max-age=1").public);
    }

    #[test]
    fn directive_names_are_case_insensitive() {
        let c = cc("Max-Age=10, S-MAXAGE=20, No-Cache, PRIVATE, Stale-If-Error=5, IMMUTABLE");
        assert_eq!(c.max_age, Some(10));
        assert_eq!(c.s_maxage, Some(20));
        assert_eq!(c.no_cache, Some(FieldScope::Whole));
        assert_eq!(c.private, Some(FieldScope::Whole));
        assert_eq!(c.stale_if_error, Some(5));
        assert!(c.immutable);
    }

    #[test]
    fn several_header_lines_are_one_list() {
        let c = CacheControl::parse(["public", "max-age=60", "s-maxage=120, stale-if-error=5"]);
        assert!(c.public && c.present);
        assert_eq!(c.max_age, Some(60));
        assert_eq!(c.s_maxage, Some(120));
        assert_eq!(c.stale_if_error, Some(5));

        let mut headers = HeaderMap::new();
        headers.append(CACHE_CONTROL, "no-cache".parse().unwrap());
        headers.append(CACHE_CONTROL, "max-age=5".parse().unwrap());
        let c = CacheControl::from_headers(&headers);
        assert_eq!(c.no_cache, Some(FieldScope::Whole));
        assert_eq!(c.max_age, Some(5));
    }

    #[test]
    fn malformed_numbers_are_ignored() {
        for bad in [
            "max-age=abc",
            "max-age=-1",
            "max-age=1.5",
            "max-age=",
            "max-age",
            "max-age=+5",
            "max-age=5s",
            "max-age=0x10",
        ] {
            assert_eq!(cc(bad).max_age, None, "{bad}");
            assert!(cc(bad).present);
        }
        // The malformed directive is skipped; its neighbours still count.
        let c = cc("max-age=abc, s-maxage=30, public");
        assert_eq!((c.max_age, c.s_maxage, c.public), (None, Some(30), true));
    }

    #[test]
    fn first_well_formed_occurrence_wins() {
        assert_eq!(cc("max-age=10, max-age=20").max_age, Some(10));
        assert_eq!(cc("max-age=bad, max-age=20").max_age, Some(20));
        assert_eq!(
            CacheControl::parse(["max-age=1", "max-age=2"]).max_age,
            Some(1)
        );
    }

    #[test]
    fn huge_numbers_saturate() {
        // 100 years is accepted by CloudFront; anything larger must not overflow.
        assert_eq!(cc("max-age=3155760000").max_age, Some(3_155_760_000));
        assert_eq!(
            cc("max-age=99999999999999999999999999").max_age,
            Some(u64::MAX)
        );
    }

    #[test]
    fn quoted_values() {
        assert_eq!(cc("max-age=\"60\"").max_age, Some(60));
        assert_eq!(cc("max-age=\" 60 \"").max_age, Some(60));
        // A comma inside quotes does not end the directive.
        let c = cc("private=\"Set-Cookie, Authorization\", max-age=5");
        assert_eq!(
            c.private,
            Some(FieldScope::Fields(vec![
                "set-cookie".into(),
                "authorization".into()
            ]))
        );
        assert_eq!(c.max_age, Some(5));
        // Escapes and unknown directives with quoted values.
        let c = cc("ext=\"a \\\"quoted, \\\\ value\", s-maxage=7");
        assert_eq!(c.s_maxage, Some(7));
        // Unterminated quote runs to the end of this header line only.
        let c = CacheControl::parse(["no-cache=\"x, max-age=5", "max-age=9"]);
        assert_eq!(c.max_age, Some(9));
        assert_eq!(
            c.no_cache,
            Some(FieldScope::Fields(vec!["x".into(), "max-age=5".into()]))
        );
    }

    #[test]
    fn messy_real_world_headers() {
        let c = cc("  public ,, max-age = 300 ,  ,s-maxage=600,,");
        assert!(c.public);
        assert_eq!(c.max_age, Some(300));
        assert_eq!(c.s_maxage, Some(600));

        let c = cc("no-cache, no-store, must-revalidate, max-age=0, post-check=0, pre-check=0");
        assert!(c.no_store && c.must_revalidate);
        assert_eq!(c.no_cache, Some(FieldScope::Whole));
        assert_eq!(c.max_age, Some(0));

        let c = cc("private, max-age=0, no-cache=\"set-cookie\"");
        assert_eq!(c.private, Some(FieldScope::Whole));
        assert_eq!(
            c.no_cache,
            Some(FieldScope::Fields(vec!["set-cookie".into()]))
        );

        // Semicolons are not separators: `60; public` is one malformed value.
        let c = cc("max-age=60; public");
        assert_eq!(c.max_age, None);
        assert!(!c.public);

        let c = cc("public,max-age=31536000,immutable");
        assert!(c.public && c.immutable);
        assert_eq!(c.max_age, Some(31_536_000));

        let c = cc(",");
        assert!(c.present);
        assert_eq!(
            c,
            CacheControl {
                present: true,
                ..Default::default()
            }
        );

        let c = cc("=5, =, max-age=8");
        assert_eq!(c.max_age, Some(8));

        let c = cc("\tmax-age=8\t,\tno-transform");
        assert_eq!(c.max_age, Some(8));
    }

    #[test]
    fn non_utf8_bytes_spoil_only_their_directive() {
        let mut headers = HeaderMap::new();
        headers.append(
            CACHE_CONTROL,
            http::HeaderValue::from_bytes(b"x-ext=\xff\xfe, max-age=42").unwrap(),
        );
        let c = CacheControl::from_headers(&headers);
        assert!(c.present);
        assert_eq!(c.max_age, Some(42));
    }
}
