//! CloudFront's stale serving without a `stale-if-error` directive (spec §4, "Stale-serving";
//! §7, "Caching of errors"): an expired object whose origin answered 5xx or could not be
//! reached is served for the error-caching period (`ErrorCachingMinTTL`, default 10 s), and
//! only then is the origin tried again. pingora serves the stale copy but would ask the origin
//! again on the very next request; [`Holdoff`] remembers, per cache key, until when the copy
//! is served without asking.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use pingora::cache::key::HashBinary;

/// Keys remembered at most; past this, expired entries are dropped, and if none are, the
/// oldest state is forgotten (the origin is then merely asked again).
const MAX_KEYS: usize = 65_536;

/// Cache keys whose origin failed, each with the moment it may be asked again.
#[derive(Debug, Default)]
pub struct Holdoff {
    until: Mutex<HashMap<HashBinary, Instant>>,
}

impl Holdoff {
    /// The origin failed for `key`: serve its stale copy for `period` without asking.
    pub fn hold(&self, key: HashBinary, period: Duration) {
        let now = Instant::now();
        let mut map = self.until.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_KEYS {
            map.retain(|_, until| *until > now);
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        map.insert(key, now + period);
    }

    /// Is `key` still held off?
    pub fn held(&self, key: &HashBinary) -> bool {
        let map = self.until.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(key).is_some_and(|until| *until > Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_held_for_its_period_only() {
        let h = Holdoff::default();
        let (a, b) = ([1u8; 16], [2u8; 16]);
        h.hold(a, Duration::from_secs(60));
        h.hold(b, Duration::ZERO);
        assert!(h.held(&a));
        assert!(!h.held(&b), "a zero period holds nothing");
        assert!(!h.held(&[3u8; 16]));
    }

    #[test]
    fn the_map_stays_bounded() {
        let h = Holdoff::default();
        for i in 0..(MAX_KEYS + 10) {
            let mut k = [0u8; 16];
            k[..8].copy_from_slice(&(i as u64).to_le_bytes());
            h.hold(k, Duration::from_secs(60));
        }
        assert!(h.until.lock().unwrap().len() <= MAX_KEYS);
    }
}
