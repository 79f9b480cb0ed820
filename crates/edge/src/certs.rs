//! Viewer certificates chosen by SNI, as CloudFront chooses between its `*.cloudfront.net`
//! certificate and an alternate domain's. Names are exact (`www.example.com`) or wildcards
//! (`*.cloudfront.localhost`, one label, as in X.509); a hello without SNI, or with a name
//! nothing covers, gets the default certificate. Certificates can be added while the listener
//! runs (alias certificates come from their own deploy step).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// Certificates by server name; see the module docs.
#[derive(Debug)]
pub struct SniCertificates {
    default: Arc<CertifiedKey>,
    by_name: RwLock<HashMap<String, Arc<CertifiedKey>>>,
}

impl SniCertificates {
    /// A resolver answering `default` until names are added.
    pub fn new(default: Arc<CertifiedKey>) -> Self {
        Self {
            default,
            by_name: RwLock::new(HashMap::new()),
        }
    }

    /// Serves `key` for `name` (`host.example` or `*.example`, case-insensitive).
    pub fn insert(&self, name: &str, key: Arc<CertifiedKey>) {
        self.by_name
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name.to_ascii_lowercase(), key);
    }

    /// The certificate for `server_name`: an exact name, else the wildcard of its parent,
    /// else the default.
    pub fn choose(&self, server_name: Option<&str>) -> Arc<CertifiedKey> {
        let Some(name) = server_name else {
            return self.default.clone();
        };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let map = self
            .by_name
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(k) = map.get(&name) {
            return k.clone();
        }
        if let Some((_, parent)) = name.split_once('.') {
            if let Some(k) = map.get(&format!("*.{parent}")) {
                return k.clone();
            }
        }
        self.default.clone()
    }
}

impl ResolvesServerCert for SniCertificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.choose(hello.server_name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    fn key(name: &str) -> Arc<CertifiedKey> {
        let cert = rcgen_like(name);
        let provider = rustls::crypto::ring::default_provider();
        Arc::new(CertifiedKey::from_der(vec![cert.0], cert.1, &provider).unwrap())
    }

    /// A self-signed certificate for `name` (rustls only needs the key to match).
    fn rcgen_like(name: &str) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let k = rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap();
        (
            k.cert.der().clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(k.signing_key.serialize_der())),
        )
    }

    #[test]
    fn exact_then_wildcard_then_default() {
        let (default, wildcard, exact) = (
            key("localhost"),
            key("*.cloudfront.localhost"),
            key("www.example.test"),
        );
        let sni = SniCertificates::new(default.clone());
        sni.insert("*.cloudfront.localhost", wildcard.clone());
        sni.insert("WWW.example.test", exact.clone());
        let is = |a: &Arc<CertifiedKey>, b: &Arc<CertifiedKey>| Arc::ptr_eq(a, b);
        assert!(is(
            &sni.choose(Some("d123.cloudfront.localhost")),
            &wildcard
        ));
        assert!(is(
            &sni.choose(Some("D123.CloudFront.localhost.")),
            &wildcard
        ));
        assert!(is(&sni.choose(Some("www.example.test")), &exact));
        // A wildcard covers one label only.
        assert!(is(&sni.choose(Some("a.b.cloudfront.localhost")), &default));
        assert!(is(&sni.choose(Some("other.test")), &default));
        assert!(is(&sni.choose(None), &default));
    }
}
