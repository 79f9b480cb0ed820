//! `stratus up`: opens the store, seeds the default function on first start, starts the
//! function host, the Function URL listener (HTTPS and HTTP on one port) and the Lambda API,
//! and runs until SIGINT or SIGTERM.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use stratus_control::code::{CodeSource, CodeStore};
use stratus_control::{api, ca::LocalCa, sync, Store};
use stratus_functions::{FunctionHost, HostSettings, RoleCredentials, UrlFront};
use stratus_model::{AuthType, FunctionConfig, FunctionUrlConfig, InvokeMode, Runtime};

use crate::cli::UpArgs;
use crate::config::{local_credentials, Config};

/// Name of the function the first start creates.
pub(crate) const DEFAULT_FUNCTION: &str = "hello";

/// What a running server tells other commands (`<state>/server.json`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ServerInfo {
    pub(crate) pid: u32,
    pub(crate) url_addr: SocketAddr,
    pub(crate) api_addr: SocketAddr,
    #[serde(default)]
    pub(crate) edge_http_addr: Option<SocketAddr>,
    #[serde(default)]
    pub(crate) edge_https_addr: Option<SocketAddr>,
}

impl ServerInfo {
    fn path(state: &Path) -> PathBuf {
        state.join("server.json")
    }

    /// The running server of this state directory, if there is one.
    pub(crate) fn running(state: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(Self::path(state)).ok()?;
        let info: Self = serde_json::from_str(&text).ok()?;
        let alive =
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(info.pid as i32), None).is_ok();
        alive.then_some(info)
    }
}

/// Tells the running server, if any, to apply the store now.
pub(crate) async fn reload(state: &Path) {
    if let Some(server) = ServerInfo::running(state) {
        let r = reqwest::Client::new()
            .post(format!("http://{}/_stratus/reload", server.api_addr))
            .send()
            .await;
        if let Err(e) = r.and_then(|r| r.error_for_status()) {
            eprintln!("warning: the running server did not reload: {e}");
        }
    }
}

/// `https://<id>.lambda-url.<region>.<domain>:<port>/`.
pub(crate) fn function_url(url: &FunctionUrlConfig, config: &Config, port: u16) -> String {
    let host = url.host(&config.region, &config.domain);
    if port == 443 {
        format!("https://{host}/")
    } else {
        format!("https://{host}:{port}/")
    }
}

/// Opens the store and code directory of a state directory.
pub(crate) async fn open_state(state: &Path) -> anyhow::Result<(Arc<Store>, CodeStore)> {
    let store = Store::open(&state.join("state.db"))
        .await
        .with_context(|| format!("opening the state store in {}", state.display()))?;
    Ok((Arc::new(store), CodeStore::new(state.join("code"))))
}

async fn seed_default(store: &Store, code: &CodeStore, settings: &Config) -> anyhow::Result<()> {
    if !store.functions().await?.is_empty() {
        return Ok(());
    }
    let config = FunctionConfig::new(DEFAULT_FUNCTION, Runtime::Nodejs20)?;
    let stored = code.store(&CodeSource::Template(config.runtime))?;
    store
        .create_function(&config, &stored.sha256, stored.size)
        .await?;
    let url = FunctionUrlConfig {
        url_id: stratus_model::ids::url_id(),
        auth_type: AuthType::None,
        invoke_mode: InvokeMode::Buffered,
        cors: None,
    };
    store.put_url(DEFAULT_FUNCTION, &url).await?;
    // The seed's distribution: the Function URL as an https-only origin, redirect-to-https,
    // Managed-CachingOptimized: the reference architecture, as the blog deploys it.
    let dist = stratus_model::cloudfront::distribution::DistributionConfig::from_value(
        serde_json::json!({
            "Enabled": true,
            "Comment": "Stratus default: CloudFront in front of the default function's URL",
            "Origins": [{
                "Id": "function-url",
                "DomainName": url.host(&settings.region, &settings.domain),
                "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"},
            }],
            "DefaultCacheBehavior": {
                "TargetOriginId": "function-url",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            },
            // Standard access logs, in the state directory's logs/cloudfront/.
            "Logging": {"Enabled": true, "IncludeCookies": false, "Bucket": "", "Prefix": ""},
        }),
    )?;
    store
        .create_distribution(
            &stratus_model::cloudfront::distribution::new_distribution_id(),
            &stratus_model::cloudfront::distribution::new_distribution_domain(
                crate::distribution::DOMAIN_SUFFIX,
            ),
            &dist,
        )
        .await?;
    Ok(())
}

/// Runs the server.
pub(crate) async fn up(state: &Path, mut config: Config, args: UpArgs) -> anyhow::Result<()> {
    if let Some(l) = args.listen {
        config.listen = l;
    }
    if let Some(p) = args.url_port {
        config.url_port = p;
    }
    if let Some(p) = args.api_port {
        config.api_port = p;
    }
    if let Some(p) = args.edge_http_port {
        config.edge_http_port = p;
    }
    if let Some(p) = args.edge_https_port {
        config.edge_https_port = p;
    }
    if let Some(other) = ServerInfo::running(state) {
        anyhow::bail!(
            "Stratus is already running for {} (pid {}, Function URLs on {})",
            state.display(),
            other.pid,
            other.url_addr
        );
    }
    let (store, code) = open_state(state).await?;
    seed_default(&store, &code, &config).await?;

    let mut keys: HashMap<String, String> = config
        .credentials
        .iter()
        .map(|c| (c.access_key_id.clone(), c.secret_access_key.clone()))
        .collect();
    let local = local_credentials(state)?;
    keys.insert(local.access_key_id.clone(), local.secret_access_key.clone());

    let ca = LocalCa::load_or_create(&state.join("tls"))?;
    let tls = ca.server_config(&[
        format!("*.lambda-url.{}.{}", config.region, config.domain),
        "localhost".into(),
        "127.0.0.1".into(),
        "::1".into(),
    ])?;

    let mut settings = HostSettings::new(state);
    settings.partition = config.partition();
    settings.idle_timeout = Duration::from_secs(config.idle_timeout_secs);
    // Functions run with the state directory's own key as their role's credentials, so an SDK
    // inside a function signs requests Stratus accepts (AWS_IAM URLs). Lambda's role
    // credentials are temporary and carry a session token; Stratus does not check it.
    settings.credentials = Some(RoleCredentials {
        access_key_id: local.access_key_id.clone(),
        secret_access_key: local.secret_access_key.clone(),
        session_token: stratus_model::ids::alphanumeric(64),
    });
    let host = FunctionHost::start(settings).context("starting the function host")?;
    let edge_table: sync::EdgeTable = Arc::default();
    let syncer = sync::Syncer::new(
        store.clone(),
        code.clone(),
        host.clone(),
        edge_table.clone(),
    );
    syncer.apply_now().await?;
    syncer.watch(Duration::from_millis(250));
    let kept: Vec<String> = store
        .functions()
        .await?
        .into_iter()
        .map(|r| r.code_sha256)
        .collect();
    code.collect_garbage(&kept);

    let url_listener = tokio::net::TcpListener::bind((config.listen.as_str(), config.url_port))
        .await
        .with_context(|| format!("listening on {}:{}", config.listen, config.url_port))?;
    let api_listener = tokio::net::TcpListener::bind((config.listen.as_str(), config.api_port))
        .await
        .with_context(|| format!("listening on {}:{}", config.listen, config.api_port))?;
    let edge_http = tokio::net::TcpListener::bind((config.listen.as_str(), config.edge_http_port))
        .await
        .with_context(|| format!("listening on {}:{}", config.listen, config.edge_http_port))?;
    let edge_https =
        tokio::net::TcpListener::bind((config.listen.as_str(), config.edge_https_port))
            .await
            .with_context(|| {
                format!("listening on {}:{}", config.listen, config.edge_https_port)
            })?;
    let url_addr = url_listener.local_addr()?;
    let api_addr = api_listener.local_addr()?;
    let edge_http_addr = edge_http.local_addr()?;
    let edge_https_addr = edge_https.local_addr()?;

    let front = Arc::new(UrlFront::new(host.clone(), keys, config.domain.clone()));
    tokio::spawn(front.serve(url_listener, Some(tokio_rustls::TlsAcceptor::from(tls))));
    start_edge(
        state,
        &config,
        &ca,
        &host,
        edge_table.clone(),
        url_addr,
        (edge_http, edge_https),
    )?;
    let router = api::router(api::Api {
        store: store.clone(),
        host: host.clone(),
        syncer,
    });
    // Prometheus metrics beside the Lambda API: GET /metrics.
    let router = match metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder() {
        Ok(handle) => router.route(
            "/metrics",
            axum::routing::get(move || {
                let handle = handle.clone();
                async move {
                    handle.run_upkeep();
                    handle.render()
                }
            }),
        ),
        Err(e) => {
            tracing::warn!("metrics are off: {e}");
            router
        }
    };
    tokio::spawn(async move {
        if let Err(e) = axum::serve(api_listener, router).await {
            tracing::error!("Lambda API stopped: {e}");
        }
    });

    let info = ServerInfo {
        pid: std::process::id(),
        url_addr,
        api_addr,
        edge_http_addr: Some(edge_http_addr),
        edge_https_addr: Some(edge_https_addr),
    };
    std::fs::write(ServerInfo::path(state), serde_json::to_string(&info)?)?;

    println!("Stratus is running (state: {})", state.display());
    println!("  Function URLs   {url_addr} (HTTPS and HTTP)");
    println!("  Lambda API      http://{api_addr}");
    println!("  Edge            http://{edge_http_addr}  https://{edge_https_addr}");
    println!(
        "  CA certificate  {}  (curl --cacert …)",
        ca.cert_path().display()
    );
    for record in store.functions().await? {
        if let Some(url) = &record.url {
            println!(
                "  Function {:<16} {}",
                record.config.function_name,
                function_url(url, &config, url_addr.port())
            );
        }
    }
    for d in store.distributions().await? {
        println!(
            "  Distribution {}  {}",
            d.id,
            crate::distribution::distribution_url(&d.domain, edge_https_addr.port())
        );
    }
    // Tests and scripts read this line.
    println!(
        "listening: function-urls={url_addr} api={api_addr} edge-http={edge_http_addr} edge-https={edge_https_addr}"
    );

    wait_for_signal().await;
    println!("Stopping.");
    host.shutdown();
    let _ = std::fs::remove_file(ServerInfo::path(state));
    // Give the environments' supervisors a moment to reap their process groups.
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(())
}

/// Starts the edge's HTTP and HTTPS listeners on pingora's proxy. Origins that are this
/// process's own Function URLs resolve to its URL listener, as DNS would on AWS, and are
/// verified against the local CA.
fn start_edge(
    state: &Path,
    config: &Config,
    ca: &LocalCa,
    host: &FunctionHost,
    table: sync::EdgeTable,
    url_addr: SocketAddr,
    (http, https): (tokio::net::TcpListener, tokio::net::TcpListener),
) -> anyhow::Result<()> {
    let https_port = https.local_addr()?.port();
    let functions = host.clone();
    let region = config.region.clone();
    let local_origins: stratus_edge::proxy::LocalOrigins = Arc::new(move |domain: &str| {
        stratus_functions::url::url_id_of(domain, &region)
            .filter(|id| functions.url_target(id).is_some())
            .map(|_| url_addr)
    });
    let access_log =
        stratus_edge::access_log::AccessLogWriter::start(state.join("logs").join("cloudfront"))
            .context("starting the access log writer")?;
    let settings = Arc::new(stratus_edge::proxy::EdgeSettings {
        access_log: Some(access_log),
        cache: Some(stratus_edge::proxy::EdgeCache::leak(
            config.cache_size_mb * 1024 * 1024,
        )),
        pop: config.pop.clone(),
        debug_headers: config.debug_headers,
        https_port: Some(https_port),
        local_origins,
        local_ca: vec![ca.cert_der()],
        node: stratus_edge::responses::node_id(),
        error_pages: stratus_edge::error_pages::PageFetcher::new(),
        variants: Default::default(),
        holdoff: Default::default(),
    });
    // Custom error pages are fetched through the plain-HTTP listener.
    settings.error_pages.set_listener(http.local_addr()?);
    // Viewer certificates by SNI: distribution domains get the `*.cloudfront.localhost`
    // certificate; a hello without SNI (an IP address) or naming anything else gets the
    // default. Alias certificates join the same resolver when they come.
    let default_cert = ca.certified_key(&["localhost".into(), "127.0.0.1".into(), "::1".into()])?;
    let certificates = Arc::new(stratus_edge::certs::SniCertificates::new(default_cert));
    certificates.insert(
        &format!("*.{}", crate::distribution::DOMAIN_SUFFIX),
        ca.certified_key(&[format!("*.{}", crate::distribution::DOMAIN_SUFFIX)])?,
    );
    let tls = stratus_control::ca::LocalCa::server_config_with(certificates)?;
    for (listener, is_https) in [(http, false), (https, true)] {
        let edge = stratus_edge::proxy::Edge::new(table.clone(), settings.clone(), is_https);
        let tls = is_https.then(|| tls.clone());
        tokio::spawn(stratus_edge::serve::serve(edge, listener, tls));
    }
    Ok(())
}

async fn wait_for_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
