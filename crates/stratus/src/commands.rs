//! `stratus function …`, `stratus logs`, `stratus ca`: they change the store directly (a
//! running server picks the change up) or ask the running server.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};
use stratus_control::code::{CodeSource, CodeStore};
use stratus_control::sync::spec_of;
use stratus_functions::{FunctionHost, HostSettings, InvokeInput};
use stratus_model::{
    AuthType, Cors, Environment, FunctionConfig, FunctionUrlConfig, Handler, InvokeMode,
    MemorySize, ReservedConcurrency, Runtime, Timeout,
};

use crate::cli::{CreateArgs, FunctionSettings, UpdateArgs, UrlArgs};
use crate::config::Config;
use crate::server::{function_url, open_state, reload, ServerInfo};

fn code_source(path: &Path) -> anyhow::Result<CodeSource> {
    if path.is_dir() {
        Ok(CodeSource::Dir(path.to_path_buf()))
    } else if path.is_file() {
        Ok(CodeSource::Zip(path.to_path_buf()))
    } else {
        bail!("--code {}: no such file or directory", path.display())
    }
}

fn apply_settings(config: &mut FunctionConfig, s: &FunctionSettings) -> anyhow::Result<()> {
    if let Some(h) = &s.handler {
        config.handler = Handler::new(h.clone())?;
    }
    if let Some(t) = s.timeout {
        config.timeout = Timeout::new(t)?;
    }
    if let Some(m) = s.memory {
        config.memory_size = MemorySize::new(m)?;
    }
    if let Some(c) = s.concurrency {
        config.reserved_concurrency = ReservedConcurrency::new(c)?;
    }
    if !s.env.is_empty() {
        let mut vars: BTreeMap<String, String> = config.environment.vars().clone();
        for kv in &s.env {
            let Some((k, v)) = kv.split_once('=') else {
                bail!("--env {kv}: expected KEY=VALUE");
            };
            vars.insert(k.to_string(), v.to_string());
        }
        config.environment = Environment::new(vars)?;
    }
    Ok(())
}

/// `stratus function create`.
pub(crate) async fn create(state: &Path, args: CreateArgs) -> anyhow::Result<()> {
    let runtime: Runtime = args.runtime.parse()?;
    let mut config = FunctionConfig::new(&args.name, runtime)?;
    apply_settings(&mut config, &args.settings)?;
    let source = match &args.settings.code {
        Some(p) => code_source(p)?,
        None => CodeSource::Template(runtime),
    };
    let (store, code) = open_state(state).await?;
    let stored = code.store(&source)?;
    let record = store
        .create_function(&config, &stored.sha256, stored.size)
        .await?;
    reload(state).await;
    println!(
        "Created function {} ({}, handler {}, {} MB, {} s, CodeSha256 {})",
        record.config.function_name,
        record.config.runtime,
        record.config.handler.as_str(),
        record.config.memory_size.mb(),
        record.config.timeout.secs(),
        record.code_sha256
    );
    Ok(())
}

/// `stratus function update`.
pub(crate) async fn update(state: &Path, args: UpdateArgs) -> anyhow::Result<()> {
    let (store, code) = open_state(state).await?;
    let Some(record) = store.function(&args.name).await? else {
        bail!("Function not found: {}", args.name);
    };
    let mut config = record.config.clone();
    apply_settings(&mut config, &args.settings)?;
    let stored = match &args.settings.code {
        Some(p) => Some(code.store(&code_source(p)?)?),
        None => None,
    };
    let record = store
        .update_function(
            &config,
            stored.as_ref().map(|s| (s.sha256.as_str(), s.size)),
        )
        .await?;
    reload(state).await;
    println!(
        "Updated function {} (RevisionId {})",
        record.config.function_name, record.revision_id
    );
    Ok(())
}

/// `stratus function delete`.
pub(crate) async fn delete(state: &Path, name: &str) -> anyhow::Result<()> {
    let (store, _) = open_state(state).await?;
    if !store.delete_function(name).await? {
        bail!("Function not found: {name}");
    }
    reload(state).await;
    println!("Deleted function {name}");
    Ok(())
}

fn url_port(state: &Path, config: &Config) -> u16 {
    ServerInfo::running(state)
        .map(|s| s.url_addr.port())
        .unwrap_or(config.url_port)
}

/// `stratus function list`.
pub(crate) async fn list(state: &Path, config: &Config) -> anyhow::Result<()> {
    let (store, _) = open_state(state).await?;
    let port = url_port(state, config);
    for r in store.functions().await? {
        let url = r
            .url
            .as_ref()
            .map(|u| function_url(u, config, port))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<24} {:<16} {}",
            r.config.function_name, r.config.runtime, url
        );
    }
    Ok(())
}

/// `stratus function url`: creates or changes the URL and prints it.
pub(crate) async fn url(state: &Path, config: &Config, args: UrlArgs) -> anyhow::Result<()> {
    let (store, _) = open_state(state).await?;
    let Some(record) = store.function(&args.name).await? else {
        bail!("Function not found: {}", args.name);
    };
    let mut url = record.url.unwrap_or(FunctionUrlConfig {
        url_id: stratus_model::ids::url_id(),
        auth_type: AuthType::None,
        invoke_mode: InvokeMode::Buffered,
        cors: None,
    });
    if let Some(a) = &args.auth_type {
        url.auth_type = AuthType::parse(a)?;
    }
    if let Some(m) = &args.invoke_mode {
        url.invoke_mode = InvokeMode::parse(m)?;
    }
    if let Some(c) = &args.cors {
        let cors: Cors = serde_json::from_str(c).context("--cors: expected Lambda's Cors JSON")?;
        cors.validate()?;
        url.cors = Some(cors);
    }
    store.put_url(&args.name, &url).await?;
    reload(state).await;
    println!("{}", function_url(&url, config, url_port(state, config)));
    Ok(())
}

/// `stratus function invoke`: through the running server's Lambda API, else in-process.
pub(crate) async fn invoke(
    state: &Path,
    config: &Config,
    name: &str,
    payload: &str,
) -> anyhow::Result<()> {
    serde_json::from_str::<serde::de::IgnoredAny>(payload).context("--payload must be JSON")?;
    let (body, function_error) = match ServerInfo::running(state) {
        Some(server) => {
            let resp = reqwest::Client::new()
                .post(format!(
                    "http://{}/2015-03-31/functions/{name}/invocations",
                    server.api_addr
                ))
                .body(payload.to_string())
                .send()
                .await
                .context("calling the running server's Lambda API")?;
            let status = resp.status();
            let error_type = resp
                .headers()
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok())
                .map(String::from);
            let function_error = resp.headers().contains_key("x-amz-function-error");
            let body = resp.bytes().await?;
            if let Some(t) = error_type.filter(|_| !status.is_success()) {
                bail!("{t}: {}", String::from_utf8_lossy(&body));
            }
            (body.to_vec(), function_error)
        }
        None => invoke_in_process(state, config, name, payload).await?,
    };
    std::io::stdout().write_all(&body)?;
    println!();
    if function_error {
        bail!("the function failed (X-Amz-Function-Error: Unhandled)");
    }
    Ok(())
}

async fn invoke_in_process(
    state: &Path,
    config: &Config,
    name: &str,
    payload: &str,
) -> anyhow::Result<(Vec<u8>, bool)> {
    let (store, code) = open_state(state).await?;
    let Some(record) = store.function(name).await? else {
        bail!(
            "ResourceNotFoundException: Function not found: {}",
            config.partition().function_arn(name)
        );
    };
    let mut settings = HostSettings::new(state.join("invoke"));
    settings.partition = config.partition();
    let host = FunctionHost::start(settings)?;
    host.deploy(spec_of(&CodeStore::clone(&code), &record));
    let out = host
        .invoke(name, InvokeInput::new(payload.to_string()))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let result = match out.into_payload().await {
        Ok(body) => (body.to_vec(), false),
        Err(e) => (e.body.to_vec(), true),
    };
    host.shutdown();
    host.flush_logs().await;
    // Its log belongs with the function's others.
    let from = stratus_functions::logs::log_path(host.logs_dir(), name);
    if let Ok(text) = std::fs::read(&from) {
        let to = stratus_functions::logs::log_path(&state.join("logs"), name);
        std::fs::create_dir_all(state.join("logs"))?;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(to)?;
        f.write_all(&text)?;
        let _ = std::fs::remove_file(from);
    }
    Ok(result)
}

/// `stratus logs`.
pub(crate) async fn logs(state: &Path, name: &str, follow: bool) -> anyhow::Result<()> {
    let path = stratus_functions::logs::log_path(&state.join("logs"), name);
    let mut pos = 0u64;
    let mut out = std::io::stdout();
    if !follow && !path.exists() {
        bail!("no log for {name} yet ({} does not exist)", path.display());
    }
    loop {
        if let Ok(mut f) = std::fs::File::open(&path) {
            let len = f.metadata()?.len();
            if len < pos {
                pos = 0; // rotated
            }
            f.seek(SeekFrom::Start(pos))?;
            let mut buf = Vec::new();
            f.read_to_end(&mut buf)?;
            pos += buf.len() as u64;
            out.write_all(&buf)?;
            out.flush()?;
        }
        if !follow {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `stratus ca`.
pub(crate) fn ca(state: &Path) -> anyhow::Result<()> {
    let ca = stratus_control::ca::LocalCa::load_or_create(&state.join("tls"))?;
    println!("{}", ca.cert_path().display());
    Ok(())
}
