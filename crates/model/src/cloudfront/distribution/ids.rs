//! Identifiers and domain names: distribution ids and domains in CloudFront's shape, and
//! origin domains as users paste them.

use rand::Rng;

const UPPER_ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER_ALPHANUMERIC: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// A new distribution id: `E` + 13 uppercase alphanumerics (`E2QWRUHAPOMQZL`).
pub fn new_distribution_id() -> String {
    format!("E{}", random_from(UPPER_ALPHANUMERIC, 13))
}

/// Is `s` shaped like the ids [`new_distribution_id`] makes?
pub fn is_distribution_id(s: &str) -> bool {
    s.len() == 14
        && s.starts_with('E')
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A new distribution domain name: `d` + 13 lowercase alphanumerics + `.` + `suffix`
/// (`d1na6uytzcnwt9.cloudfront.localhost` for the suffix `cloudfront.localhost`).
pub fn new_distribution_domain(suffix: &str) -> String {
    format!("d{}.{suffix}", random_from(LOWER_ALPHANUMERIC, 13))
}

/// An origin `DomainName` as CloudFront wants it: the host alone. Users paste a Function URL
/// (`https://<url-id>.lambda-url.<region>.on.aws/`); the scheme, the trailing slash and
/// surrounding whitespace are removed (DESIGN: accept what users paste). Anything else is kept
/// for [`DistributionConfig::validate`](super::DistributionConfig::validate) to judge.
pub fn origin_domain_normalised(input: &str) -> String {
    let trimmed = input.trim();
    let host = ["https://", "http://"]
        .iter()
        .find_map(|scheme| {
            trimmed
                .get(..scheme.len())
                .filter(|head| head.eq_ignore_ascii_case(scheme))
                .and_then(|_| trimmed.get(scheme.len()..))
        })
        .unwrap_or(trimmed);
    host.trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::json;

    use super::*;
    use crate::cloudfront::distribution::tests::FN_URL_HOST;
    use crate::cloudfront::distribution::Origin;

    #[test]
    fn pasted_function_urls_are_normalised() {
        for pasted in [
            format!("https://{FN_URL_HOST}/"),
            format!("https://{FN_URL_HOST}"),
            format!("HTTPS://{FN_URL_HOST}//"),
            format!("http://{FN_URL_HOST}/"),
            format!("  {FN_URL_HOST}/\n"),
            FN_URL_HOST.to_string(),
        ] {
            assert_eq!(origin_domain_normalised(&pasted), FN_URL_HOST, "{pasted:?}");
        }
        // A path is not a trailing slash: it stays, and validation says where it belongs.
        assert_eq!(
            origin_domain_normalised("https://h.example/prod/"),
            "h.example/prod"
        );
        assert_eq!(origin_domain_normalised("https://"), "");
        assert_eq!(
            origin_domain_normalised("httpsfoo.example"),
            "httpsfoo.example"
        );

        let o: Origin = serde_json::from_value(json!({
            "Id": "o", "DomainName": format!("https://{FN_URL_HOST}/"),
            "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}
        }))
        .unwrap();
        assert_eq!(o.domain_name, FN_URL_HOST);
    }

    #[test]
    fn distribution_ids_and_domains_have_cloudfronts_shape() {
        let mut seen = HashSet::new();
        for _ in 0..200 {
            let id = new_distribution_id();
            assert!(is_distribution_id(&id), "{id}");
            seen.insert(id);
            let domain = new_distribution_domain("cloudfront.localhost");
            let (label, suffix) = domain.split_once('.').unwrap();
            assert_eq!(suffix, "cloudfront.localhost");
            assert_eq!(label.len(), 14, "{domain}");
            assert!(label.starts_with('d'));
            assert!(
                label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "{domain}"
            );
        }
        assert!(seen.len() > 190, "ids repeat");
        assert!(is_distribution_id("E2QWRUHAPOMQZL"));
        assert!(!is_distribution_id("e2qwruhapomqzl"));
        assert!(!is_distribution_id("E2QWRUHAPOMQZ"));
        assert!(!is_distribution_id("X2QWRUHAPOMQZL"));
    }
}
