//! `stratus distribution …`: CloudFront distributions in the store.

use std::path::Path;

use anyhow::{bail, Context};
use serde_json::{json, Value};
use stratus_control::{sync, PolicyKind, Store};
use stratus_model::cloudfront::distribution::{
    new_distribution_domain, new_distribution_id, origin_domain_normalised, DistributionConfig,
};

use crate::cli::DistributionArgs;
use crate::config::Config;
use crate::policy::resolve;
use crate::server::{open_state, reload, ServerInfo};

/// Distribution domains end with this.
pub(crate) const DOMAIN_SUFFIX: &str = "cloudfront.localhost";

/// The configuration `create` stores: from a file, or built from the options (policy names,
/// managed or custom, resolved to ids in `store`).
pub(crate) async fn config_from_args(
    args: &DistributionArgs,
    store: &Store,
) -> anyhow::Result<DistributionConfig> {
    if let Some(path) = &args.distribution_config {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        // `aws cloudfront get-distribution-config` wraps it: {"ETag": …, "DistributionConfig": {…}}.
        let value: Value = serde_json::from_str(&text).context("the file is not JSON")?;
        let value = value.get("DistributionConfig").cloned().unwrap_or(value);
        return Ok(DistributionConfig::from_value(value)?);
    }
    let Some(origin) = &args.origin else {
        bail!("--origin or --distribution-config is required");
    };
    let (domain, port) = split_port(&origin_domain_normalised(origin));
    let mut origin_config = json!({"OriginProtocolPolicy": args.origin_protocol_policy});
    if let Some(port) = port {
        // A pasted URL's port: its scheme says which of the origin's ports it is.
        let key = if origin.starts_with("http://") {
            "HTTPPort"
        } else {
            "HTTPSPort"
        };
        origin_config[key] = json!(port);
    }
    let mut headers = Vec::new();
    for h in &args.origin_headers {
        let Some((name, value)) = h.split_once('=') else {
            bail!("--origin-header {h}: expected NAME=VALUE");
        };
        headers.push(json!({"HeaderName": name, "HeaderValue": value}));
    }
    let mut behavior = json!({
        "TargetOriginId": "origin",
        "ViewerProtocolPolicy": args.viewer_protocol_policy,
        "CachePolicyId": resolve(store, PolicyKind::Cache, &args.cache_policy).await?,
        "Compress": args.compress,
    });
    if let Some(p) = &args.origin_request_policy {
        behavior["OriginRequestPolicyId"] =
            json!(resolve(store, PolicyKind::OriginRequest, p).await?);
    }
    if let Some(p) = &args.response_headers_policy {
        behavior["ResponseHeadersPolicyId"] =
            json!(resolve(store, PolicyKind::ResponseHeaders, p).await?);
    }
    let mut value = json!({
        "Enabled": true,
        "Aliases": args.aliases,
        "Origins": [{
            "Id": "origin",
            "DomainName": domain,
            "OriginCustomHeaders": headers,
            "CustomOriginConfig": origin_config,
        }],
        "DefaultCacheBehavior": behavior,
    });
    if args.access_log {
        value["Logging"] =
            json!({"Enabled": true, "IncludeCookies": false, "Bucket": "", "Prefix": ""});
    }
    Ok(DistributionConfig::from_value(value)?)
}

/// `host:port` → (`host`, port); anything else → (itself, None).
fn split_port(domain: &str) -> (String, Option<u16>) {
    match domain.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(p) => (host.to_string(), Some(p)),
            Err(_) => (domain.to_string(), None),
        },
        _ => (domain.to_string(), None),
    }
}

/// `https://<domain>[:port]/`.
pub(crate) fn distribution_url(domain: &str, https_port: u16) -> String {
    if https_port == 443 {
        format!("https://{domain}/")
    } else {
        format!("https://{domain}:{https_port}/")
    }
}

fn https_port(state: &Path, config: &Config) -> u16 {
    ServerInfo::running(state)
        .and_then(|s| s.edge_https_addr.map(|a| a.port()))
        .unwrap_or(config.edge_https_port)
}

/// `stratus distribution create`.
pub(crate) async fn create(
    state: &Path,
    config: &Config,
    args: DistributionArgs,
) -> anyhow::Result<()> {
    let (store, _) = open_state(state).await?;
    let dist = config_from_args(&args, &store).await?;
    dist.validate()?;
    let id = new_distribution_id();
    let domain = new_distribution_domain(DOMAIN_SUFFIX);
    // What the edge would refuse (an unknown policy id, an alias taken) is refused before
    // anything is stored: the running edge keeps serving what it served.
    sync::check_new_distribution(&store, &id, &domain, &dist).await?;
    store.create_distribution(&id, &domain, &dist).await?;
    reload(state).await;
    println!(
        "{id} {}",
        distribution_url(&domain, https_port(state, config))
    );
    Ok(())
}

/// `stratus distribution list`.
pub(crate) async fn list(state: &Path, config: &Config) -> anyhow::Result<()> {
    let (store, _) = open_state(state).await?;
    let port = https_port(state, config);
    for d in store.distributions().await? {
        let origins: Vec<&str> = d
            .config
            .origins
            .iter()
            .map(|o| o.domain_name.as_str())
            .collect();
        println!(
            "{} {} {}",
            d.id,
            distribution_url(&d.domain, port),
            origins.join(",")
        );
    }
    Ok(())
}

/// `stratus invalidate`: every cached variant of the paths becomes a miss.
pub(crate) async fn invalidate(state: &Path, id: &str, paths: &[String]) -> anyhow::Result<()> {
    // CloudFront: a leading `/` is required by the API, optional in the console.
    let paths: Vec<String> = paths
        .iter()
        .map(|p| {
            if p.starts_with('/') {
                p.clone()
            } else {
                format!("/{p}")
            }
        })
        .collect();
    for p in &paths {
        stratus_edge::invalidation::InvalidationPath::parse(p)?;
    }
    let (store, _) = open_state(state).await?;
    let record = store.create_invalidation(id, &paths).await?;
    reload(state).await;
    // Applied at once here; CloudFront reports InProgress, then Completed.
    println!("{} Completed {}", record.id, paths.join(" "));
    Ok(())
}

/// `stratus distribution delete`.
pub(crate) async fn delete(state: &Path, id: &str) -> anyhow::Result<()> {
    let (store, _) = open_state(state).await?;
    if !store.delete_distribution(id).await? {
        bail!("NoSuchDistribution: The specified distribution does not exist: {id}");
    }
    reload(state).await;
    println!("Deleted distribution {id}");
    Ok(())
}
