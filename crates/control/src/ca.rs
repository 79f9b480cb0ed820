//! The local development CA: created in the state directory on first start, it issues the
//! listeners' certificates (`*.lambda-url.<region>.localhost`, later `*.cloudfront.localhost`)
//! so curl and browsers can trust Stratus's HTTPS once they trust the CA (`stratus ca`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::ControlError;

/// The CA's certificate and key.
pub struct LocalCa {
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
    cert_path: PathBuf,
}

impl std::fmt::Debug for LocalCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCa")
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

fn tls_error(e: impl std::fmt::Display) -> ControlError {
    ControlError::Io {
        context: "local CA".into(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// The CA certificate's path under a state directory's `tls/`.
pub fn ca_path(tls_dir: &Path) -> PathBuf {
    tls_dir.join("ca.pem")
}

impl LocalCa {
    /// Loads the CA from `dir` (`ca.pem`, `ca-key.pem`), creating it on first use.
    pub fn load_or_create(dir: &Path) -> Result<Self, ControlError> {
        std::fs::create_dir_all(dir).map_err(ControlError::io("creating the TLS directory"))?;
        let cert_path = ca_path(dir);
        let key_path = dir.join("ca-key.pem");
        if cert_path.exists() && key_path.exists() {
            let cert_pem = std::fs::read_to_string(&cert_path)
                .map_err(ControlError::io("reading the CA certificate"))?;
            let key_pem = std::fs::read_to_string(&key_path)
                .map_err(ControlError::io("reading the CA key"))?;
            let key = KeyPair::from_pem(&key_pem).map_err(tls_error)?;
            let issuer = Issuer::from_ca_cert_pem(&cert_pem, key).map_err(tls_error)?;
            return Ok(Self {
                cert_pem,
                issuer,
                cert_path,
            });
        }
        let key = KeyPair::generate().map_err(tls_error)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "Stratus local development CA");
        dn.push(DnType::OrganizationName, "Stratus");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = rcgen::date_time_ymd(2024, 1, 1);
        params.not_after = rcgen::date_time_ymd(2049, 12, 31);
        let cert = params.self_signed(&key).map_err(tls_error)?;
        let cert_pem = cert.pem();
        write_private(&key_path, &key.serialize_pem())?;
        std::fs::write(&cert_path, &cert_pem)
            .map_err(ControlError::io("writing the CA certificate"))?;
        let issuer = Issuer::new(params, key);
        Ok(Self {
            cert_pem,
            issuer,
            cert_path,
        })
    }

    /// The CA certificate's path (what `stratus ca` prints).
    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The CA certificate, DER (to trust it as a root, e.g. for upstream TLS).
    pub fn cert_der(&self) -> Vec<u8> {
        rustls_pemfile::certs(&mut self.cert_pem.as_bytes())
            .flatten()
            .next()
            .map(|c| c.to_vec())
            .unwrap_or_default()
    }

    /// Issues a server certificate for `names` (DNS names or IP addresses).
    pub fn issue(
        &self,
        names: &[String],
    ) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), ControlError> {
        let key = KeyPair::generate().map_err(tls_error)?;
        let mut params = CertificateParams::default();
        params.subject_alt_names = names
            .iter()
            .map(|n| match n.parse::<std::net::IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => n.clone().try_into().map(SanType::DnsName),
            })
            .collect::<Result<_, _>>()
            .map_err(tls_error)?;
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        params.distinguished_name = dn;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.use_authority_key_identifier_extension = true;
        let now = time_now();
        params.not_before = now.0;
        params.not_after = now.1;
        let cert = params.signed_by(&key, &self.issuer).map_err(tls_error)?;
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        Ok((vec![cert.der().clone()], key_der))
    }

    /// A certificate for `names` with its signing key, as a rustls server resolver serves it.
    pub fn certified_key(
        &self,
        names: &[String],
    ) -> Result<Arc<rustls::sign::CertifiedKey>, ControlError> {
        let (chain, key) = self.issue(names)?;
        let provider = rustls::crypto::ring::default_provider();
        rustls::sign::CertifiedKey::from_der(chain, key, &provider)
            .map(Arc::new)
            .map_err(tls_error)
    }

    /// A rustls server configuration (HTTP/2 and HTTP/1.1 by ALPN) whose certificates come from
    /// `resolver` (by SNI).
    pub fn server_config_with(
        resolver: Arc<dyn rustls::server::ResolvesServerCert>,
    ) -> Result<Arc<rustls::ServerConfig>, ControlError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_error)?
            .with_no_client_auth()
            .with_cert_resolver(resolver);
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// A rustls server configuration (HTTP/2 and HTTP/1.1 by ALPN) with a certificate for
    /// `names`.
    pub fn server_config(
        &self,
        names: &[String],
    ) -> Result<Arc<rustls::ServerConfig>, ControlError> {
        let (chain, key) = self.issue(names)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_error)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(tls_error)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// Validity of a leaf: from yesterday for 397 days (the longest browsers accept).
fn time_now() -> (time::OffsetDateTime, time::OffsetDateTime) {
    let now = time::OffsetDateTime::now_utc();
    (
        now - time::Duration::days(1),
        now + time::Duration::days(396),
    )
}

fn write_private(path: &Path, text: &str) -> Result<(), ControlError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(ControlError::io("writing the CA key"))?;
    f.write_all(text.as_bytes())
        .map_err(ControlError::io("writing the CA key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_persists_and_issues() {
        let dir = tempfile::tempdir().unwrap();
        let ca = LocalCa::load_or_create(dir.path()).unwrap();
        let pem = ca.cert_pem().to_string();
        let again = LocalCa::load_or_create(dir.path()).unwrap();
        assert_eq!(again.cert_pem(), pem, "the CA is reused, not recreated");
        let config = again
            .server_config(&[
                "*.lambda-url.us-east-1.localhost".into(),
                "127.0.0.1".into(),
            ])
            .unwrap();
        assert_eq!(config.alpn_protocols[0], b"h2");
        assert!(!again.cert_der().is_empty());
    }
}
