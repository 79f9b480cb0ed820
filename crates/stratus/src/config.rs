//! Configuration: an optional TOML file, overridden by command-line flags.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// An access key pair accepted for `AWS_IAM` Function URLs.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Credential {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
}

/// `config.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Config {
    /// Default: `us-east-1`.
    pub(crate) region: String,
    /// Default: `000000000000`.
    pub(crate) account_id: String,
    /// Default: `127.0.0.1`.
    pub(crate) listen: String,
    /// Function URLs (HTTPS and HTTP). Default: 9000.
    pub(crate) url_port: u16,
    /// Lambda API. Default: 9001.
    pub(crate) api_port: u16,
    /// Edge, HTTP. Default: 8080.
    pub(crate) edge_http_port: u16,
    /// Edge, HTTPS. Default: 8443.
    pub(crate) edge_https_port: u16,
    /// The edge's `X-Amz-Cf-Pop`. Default: `LOC50-C1`.
    pub(crate) pop: String,
    /// The edge's memory cache, in MiB. Default: 256.
    pub(crate) cache_size_mb: usize,
    /// Edge responses say why they were or were not cached (`X-Stratus-Cache`). Default: false.
    pub(crate) debug_headers: bool,
    /// Domain of Function URL hosts (`<id>.lambda-url.<region>.<domain>`). Default: `localhost`.
    pub(crate) domain: String,
    /// Seconds an idle execution environment is kept warm. Default: 600.
    pub(crate) idle_timeout_secs: u64,
    /// Access keys for `AWS_IAM` URLs (beside the generated `<state>/credentials`).
    pub(crate) credentials: Vec<Credential>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            listen: "127.0.0.1".into(),
            url_port: 9000,
            api_port: 9001,
            edge_http_port: 8080,
            edge_https_port: 8443,
            pop: "LOC50-C1".into(),
            cache_size_mb: 256,
            debug_headers: false,
            domain: "localhost".into(),
            idle_timeout_secs: 600,
            credentials: vec![],
        }
    }
}

impl Config {
    /// Reads `explicit`, else `<state>/config.toml` if present, else the defaults.
    pub(crate) fn load(explicit: Option<&Path>, state_dir: &Path) -> anyhow::Result<Self> {
        let path: Option<PathBuf> = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => Some(state_dir.join("config.toml")).filter(|p| p.exists()),
        };
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading configuration {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("in configuration {}", path.display()))
    }

    /// Region and account.
    pub(crate) fn partition(&self) -> stratus_model::Partition {
        stratus_model::Partition {
            region: self.region.clone(),
            account_id: self.account_id.clone(),
        }
    }
}

/// Reads (or creates) the state directory's own access key pair, written as an AWS shared
/// credentials file (profile `stratus`) so SDKs and the `aws` CLI can sign with it.
pub(crate) fn local_credentials(state_dir: &Path) -> anyhow::Result<Credential> {
    let path = state_dir.join("credentials");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let get = |key: &str| {
            text.lines()
                .filter_map(|l| l.split_once('='))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim().to_string())
        };
        if let (Some(id), Some(secret)) = (get("aws_access_key_id"), get("aws_secret_access_key")) {
            return Ok(Credential {
                access_key_id: id,
                secret_access_key: secret,
            });
        }
    }
    let cred = Credential {
        access_key_id: format!(
            "AKIA{}",
            stratus_model::ids::alphanumeric(16).to_ascii_uppercase()
        ),
        secret_access_key: stratus_model::ids::alphanumeric(40),
    };
    std::fs::create_dir_all(state_dir)?;
    let text = format!(
        "[stratus]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        cred.access_key_id, cred.secret_access_key
    );
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(cred)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_file_and_credentials() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Config::load(None, dir.path()).unwrap().url_port, 9000);
        std::fs::write(
            dir.path().join("config.toml"),
            "region = \"eu-west-1\"\nurl_port = 0\n",
        )
        .unwrap();
        let c = Config::load(None, dir.path()).unwrap();
        assert_eq!((c.region.as_str(), c.url_port), ("eu-west-1", 0));
        std::fs::write(dir.path().join("config.toml"), "regoin = \"x\"\n").unwrap();
        let e = Config::load(None, dir.path()).unwrap_err();
        assert!(format!("{e:#}").contains("unknown field"), "{e:#}");
        let a = local_credentials(dir.path()).unwrap();
        let b = local_credentials(dir.path()).unwrap();
        assert_eq!(a.access_key_id, b.access_key_id);
        assert!(a.access_key_id.starts_with("AKIA"));
    }
}
