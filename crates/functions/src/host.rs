//! The function host: the deployed functions, their URLs, and what their environments share
//! (runtime directory, logs, memory watcher).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use stratus_model::Partition;

use crate::invocation::{InvokeError, InvokeInput, InvokeOutput};
use crate::logs::LogSink;
use crate::memory::MemoryWatcher;
use crate::pool::{Function, FunctionSpec};

/// Host settings.
#[derive(Debug, Clone)]
pub struct HostSettings {
    /// Region and account for ARNs and URLs.
    pub partition: Partition,
    /// State directory: `runtime/` (bootstraps), `envs/` (scratch), `logs/` are made under it.
    pub state_dir: PathBuf,
    /// Reclaim an environment idle this long. Default: 10 minutes.
    pub idle_timeout: Duration,
    /// How often memory is sampled. Default: 100 ms.
    pub memory_tick: Duration,
    /// What functions get as their execution role's credentials (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), so their SDKs sign requests that the
    /// host's own endpoints accept. Default: none (the variables are not set).
    pub credentials: Option<RoleCredentials>,
}

/// Credentials handed to functions as their execution role's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleCredentials {
    /// `AWS_ACCESS_KEY_ID` (and `AWS_ACCESS_KEY`, which Lambda's documentation also lists).
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`: Lambda's role credentials are temporary ones and always carry a
    /// token.
    pub session_token: String,
}

impl HostSettings {
    /// Defaults under `state_dir`.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Self {
            partition: Partition::default(),
            state_dir: state_dir.into(),
            idle_timeout: Duration::from_secs(600),
            memory_tick: Duration::from_millis(100),
            credentials: None,
        }
    }
}

/// What every function's environments share.
#[derive(Debug)]
pub(crate) struct HostShared {
    pub(crate) settings: HostSettings,
    pub(crate) runtime_dir: PathBuf,
    pub(crate) scratch_dir: PathBuf,
    pub(crate) logs_dir: PathBuf,
    pub(crate) logs: LogSink,
    pub(crate) memory: Arc<MemoryWatcher>,
    pub(crate) deadlines: Arc<crate::deadlines::Deadlines>,
    env_ids: AtomicU64,
}

impl HostShared {
    pub(crate) fn next_env_id(&self) -> u64 {
        self.env_ids.fetch_add(1, Ordering::Relaxed)
    }
}

#[derive(Debug, Default)]
struct Registry {
    functions: HashMap<String, Arc<Function>>,
    /// url-id → function.
    urls: HashMap<String, Arc<Function>>,
}

/// Runs functions. Cheap to clone.
#[derive(Debug, Clone)]
pub struct FunctionHost {
    shared: Arc<HostShared>,
    registry: Arc<RwLock<Registry>>,
}

impl FunctionHost {
    /// Installs the bootstraps and starts the log writer, memory watcher and idle reaper.
    /// Must be called inside a tokio runtime.
    pub fn start(settings: HostSettings) -> std::io::Result<Self> {
        let runtime_dir = crate::runtimes::install(&settings.state_dir.join("runtime"))?;
        let scratch_dir = settings.state_dir.join("envs");
        // Scratch directories of a previous run are stale.
        let _ = std::fs::remove_dir_all(&scratch_dir);
        std::fs::create_dir_all(&scratch_dir)?;
        let logs_dir = settings.state_dir.join("logs");
        let logs = LogSink::start(logs_dir.clone())?;
        let memory = MemoryWatcher::start(settings.memory_tick);
        let host = Self {
            shared: Arc::new(HostShared {
                settings,
                runtime_dir,
                scratch_dir,
                logs_dir,
                logs,
                memory,
                deadlines: crate::deadlines::Deadlines::start(),
                env_ids: AtomicU64::new(1),
            }),
            registry: Arc::default(),
        };
        let weak = Arc::downgrade(&host.registry);
        let idle = host.shared.settings.idle_timeout;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval((idle / 4).max(Duration::from_millis(100)));
            loop {
                tick.tick().await;
                let Some(reg) = weak.upgrade() else { return };
                let functions: Vec<Arc<Function>> = reg
                    .read()
                    .map(|r| r.functions.values().cloned().collect())
                    .unwrap_or_default();
                for f in functions {
                    f.reclaim_idle(idle);
                }
            }
        });
        Ok(host)
    }

    /// The settings the host runs with.
    pub fn settings(&self) -> &HostSettings {
        &self.shared.settings
    }

    /// Writes the pending log lines now, the END and REPORT lines of every invocation already
    /// answered included.
    pub async fn flush_logs(&self) {
        self.shared.logs.flush().await;
    }

    /// Where function logs are written.
    pub fn logs_dir(&self) -> &std::path::Path {
        &self.shared.logs_dir
    }

    /// Deploys (or replaces) a function. A replaced function's environments finish what they
    /// are doing and are then reclaimed; new invocations get the new code and configuration.
    pub fn deploy(&self, spec: FunctionSpec) -> Arc<Function> {
        let name = spec.config.function_name.clone();
        let function = Arc::new(Function::new(spec, self.shared.clone()));
        let old = {
            let mut reg = self.registry.write().unwrap_or_else(|e| e.into_inner());
            let old = reg.functions.insert(name, function.clone());
            if let Some(old) = &old {
                if let Some(url) = &old.spec().url {
                    reg.urls.remove(&url.url_id);
                }
            }
            if let Some(url) = &function.spec().url {
                reg.urls.insert(url.url_id.clone(), function.clone());
            }
            old
        };
        if let Some(old) = old {
            if old.spec() == function.spec() {
                // Same configuration: keep the warm environments.
                let mut reg = self.registry.write().unwrap_or_else(|e| e.into_inner());
                reg.functions
                    .insert(old.spec().config.function_name.clone(), old.clone());
                if let Some(url) = &old.spec().url {
                    reg.urls.insert(url.url_id.clone(), old.clone());
                }
                return old;
            }
            old.retire();
        }
        function
    }

    /// Removes a function; its environments are reclaimed.
    pub fn remove(&self, name: &str) -> bool {
        let removed = {
            let mut reg = self.registry.write().unwrap_or_else(|e| e.into_inner());
            let f = reg.functions.remove(name);
            if let Some(url) = f.as_ref().and_then(|f| f.spec().url.clone()) {
                reg.urls.remove(&url.url_id);
            }
            f
        };
        match removed {
            Some(f) => {
                f.retire();
                true
            }
            None => false,
        }
    }

    /// A deployed function by name.
    pub fn function(&self, name: &str) -> Option<Arc<Function>> {
        self.registry
            .read()
            .ok()
            .and_then(|r| r.functions.get(name).cloned())
    }

    /// The names of the deployed functions.
    pub fn function_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .registry
            .read()
            .map(|r| r.functions.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// The function whose URL has this id.
    pub fn url_target(&self, url_id: &str) -> Option<Arc<Function>> {
        self.registry
            .read()
            .ok()
            .and_then(|r| r.urls.get(url_id).cloned())
    }

    /// Invokes a function by name.
    pub async fn invoke(
        &self,
        name: &str,
        input: InvokeInput,
    ) -> Result<InvokeOutput, InvokeError> {
        let f = self.function(name).ok_or_else(|| {
            InvokeError::NotFound(self.shared.settings.partition.function_arn(name))
        })?;
        f.invoke(input).await
    }

    /// Reclaims every environment (for shutdown).
    pub fn shutdown(&self) {
        let functions: Vec<Arc<Function>> = self
            .registry
            .read()
            .map(|r| r.functions.values().cloned().collect())
            .unwrap_or_default();
        for f in functions {
            f.retire();
        }
    }
}
