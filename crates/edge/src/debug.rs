//! The debug aid CloudFront lacks: with `debug_headers` on, a miss says which part of its
//! cache key differed from a variant stored for the same path (query string, a header,
//! cookies, the normalised `Accept-Encoding`), or that no variant of the path was stored.
//!
//! [`Variants`] remembers the keys of the last few stored variants of each path (the key's
//! primary part: distribution domain, path, and the method for OPTIONS). It is bounded and
//! only fed when the debug header is on: it costs nothing otherwise.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use crate::cache_key::CacheKeyParts;

/// Stored variants remembered per path.
const PER_PATH: usize = 8;
/// Paths remembered; past this the index starts over (it is a debug aid, not a cache).
const PATHS: usize = 10_000;

/// Recently stored cache keys, by path.
#[derive(Debug, Default)]
pub struct Variants {
    by_path: Mutex<HashMap<String, VecDeque<CacheKeyParts>>>,
}

impl Variants {
    /// Notes that an object was stored under `parts`.
    pub fn remember(&self, parts: &CacheKeyParts) {
        let mut map = self.by_path.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= PATHS && !map.contains_key(parts.primary()) {
            map.clear();
        }
        let list = map.entry(parts.primary().to_string()).or_default();
        list.retain(|p| p.diff(parts).is_some());
        list.push_front(parts.clone());
        list.truncate(PER_PATH);
    }

    /// Why a request with key `parts` missed, as the debug header says it.
    pub fn explain_miss(&self, parts: &CacheKeyParts) -> String {
        let map = self.by_path.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(list) = map.get(parts.primary()).filter(|l| !l.is_empty()) else {
            return "no variant of this path was stored".to_string();
        };
        if list.iter().any(|p| p.diff(parts).is_none()) {
            return "this key was stored, but the copy is gone (evicted, invalidated or purged)"
                .to_string();
        }
        // The most recently stored variant names the part.
        match list.front().and_then(|p| p.diff(parts)) {
            Some(part) => format!("key differs from a stored variant in {part}"),
            None => "no variant of this path was stored".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use http::{HeaderMap, HeaderValue, Method, Version};
    use stratus_model::cloudfront::policies::{cache_policy, CachePolicyHeaderBehavior};

    use super::*;
    use crate::cache_key::{ViewerRequest, ViewerScheme};

    fn parts(path: &str, query: Option<&str>, lang: Option<&str>) -> CacheKeyParts {
        let mut policy = cache_policy("CachingOptimized").unwrap().config.clone();
        let params = &mut policy.parameters_in_cache_key_and_forwarded_to_origin;
        params.headers_config.header_behavior = CachePolicyHeaderBehavior::Whitelist;
        params.headers_config.headers = vec!["Accept-Language".into()].into();
        let mut headers = HeaderMap::new();
        if let Some(l) = lang {
            headers.insert("accept-language", HeaderValue::from_str(l).unwrap());
        }
        let viewer = ViewerRequest {
            method: &Method::GET,
            path,
            query,
            headers: &headers,
            peer: SocketAddr::from(([127, 0, 0, 1], 1)),
            scheme: ViewerScheme::Https,
            version: Version::HTTP_11,
            country: None,
        };
        CacheKeyParts::new(&policy, "d111.cloudfront.net", &viewer)
    }

    #[test]
    fn a_miss_names_the_part_that_differs_from_the_latest_stored_variant() {
        let v = Variants::default();
        assert_eq!(
            v.explain_miss(&parts("/a", None, Some("en"))),
            "no variant of this path was stored"
        );
        v.remember(&parts("/a", None, Some("en")));
        assert_eq!(
            v.explain_miss(&parts("/a", None, Some("fr"))),
            "key differs from a stored variant in header:accept-language"
        );
        // CachingOptimized keeps query strings out of the key: same key, copy gone.
        assert_eq!(
            v.explain_miss(&parts("/a", Some("x=1"), Some("en"))),
            "this key was stored, but the copy is gone (evicted, invalidated or purged)"
        );
        assert_eq!(
            v.explain_miss(&parts("/b", None, Some("en"))),
            "no variant of this path was stored"
        );
    }

    #[test]
    fn variants_per_path_are_bounded_and_deduplicated() {
        let v = Variants::default();
        for i in 0..20 {
            v.remember(&parts("/a", None, Some(&format!("l{i}"))));
            v.remember(&parts("/a", None, Some(&format!("l{i}"))));
        }
        let map = v.by_path.lock().unwrap();
        assert_eq!(map.values().next().unwrap().len(), PER_PATH);
    }
}
