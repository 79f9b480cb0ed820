//! Identifiers in AWS's formats: request ids, Function URL ids, trace ids.

use rand::distr::{Alphanumeric, SampleString};
use rand::Rng;

/// A Function URL id: 32 lowercase alphanumerics, as on AWS.
pub fn url_id() -> String {
    let mut rng = rand::rng();
    (0..32)
        .map(|_| {
            let n = rng.random_range(0..36u8);
            if n < 10 {
                (b'0' + n) as char
            } else {
                (b'a' + n - 10) as char
            }
        })
        .collect()
}

/// Is `s` a well-formed Function URL id?
pub fn is_url_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// An X-Ray trace header value: `Root=1-<8 hex epoch s>-<24 hex>;Parent=<16 hex>;Sampled=0`.
pub fn trace_header(epoch_secs: u64) -> String {
    let mut rng = rand::rng();
    let root: u128 = rng.random::<u128>() >> 32;
    let parent: u64 = rng.random();
    format!("Root=1-{epoch_secs:08x}-{root:024x};Parent={parent:016x};Sampled=0")
}

/// 32 hex digits, as in a log stream name.
pub fn hex32() -> String {
    format!("{:032x}", rand::rng().random::<u128>())
}

/// A random alphanumeric string of `len` characters.
pub fn alphanumeric(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_ids_have_aws_shape() {
        for _ in 0..100 {
            let id = url_id();
            assert!(is_url_id(&id), "{id}");
        }
        assert!(!is_url_id("ABC"));
        assert!(!is_url_id(&"A".repeat(32)));
    }

    #[test]
    fn trace_header_shape() {
        let t = trace_header(0x5bef4de7);
        assert!(t.starts_with("Root=1-5bef4de7-"), "{t}");
        let root = t.split(';').next().unwrap();
        assert_eq!(root.len(), "Root=1-".len() + 8 + 1 + 24);
        assert!(t.ends_with(";Sampled=0"));
    }
}
