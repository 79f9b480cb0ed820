//! A deployed function and its pool of execution environments.
//!
//! An invocation takes the most recently used idle environment (warm), else starts a new one
//! while the function is under its reserved concurrency, else is throttled as Lambda throttles.
//! Environments idle longer than the host's idle timeout are reclaimed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::oneshot;

use stratus_model::{FunctionConfig, FunctionUrlConfig};

use crate::environment::{Env, Pending};
use crate::host::HostShared;
use crate::invocation::{InvokeError, InvokeInput, InvokeOutput, MAX_REQUEST_PAYLOAD};

/// What the host needs to run a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    /// The validated configuration.
    pub config: FunctionConfig,
    /// The unpacked code (Lambda's `/var/task`), read-only.
    pub code_dir: PathBuf,
    /// The function's URL, if it has one.
    pub url: Option<FunctionUrlConfig>,
}

#[derive(Debug, Default)]
struct Pool {
    /// Idle environments, most recently used last.
    idle: Vec<(Arc<Env>, Instant)>,
    /// Environments alive or starting (= concurrency in use or held warm).
    total: u32,
}

/// A deployed function.
#[derive(Debug)]
pub struct Function {
    pub(crate) spec: FunctionSpec,
    pub(crate) arn: String,
    pub(crate) host: Arc<HostShared>,
    pool: Mutex<Pool>,
    retired: AtomicBool,
}

impl Function {
    pub(crate) fn new(spec: FunctionSpec, host: Arc<HostShared>) -> Self {
        Self {
            arn: host
                .settings
                .partition
                .function_arn(&spec.config.function_name),
            spec,
            host,
            pool: Mutex::new(Pool::default()),
            retired: AtomicBool::new(false),
        }
    }

    /// The function's specification.
    pub fn spec(&self) -> &FunctionSpec {
        &self.spec
    }

    /// The unqualified function ARN.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    fn lock(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Invokes the function and waits for its output.
    pub async fn invoke(self: &Arc<Self>, input: InvokeInput) -> Result<InvokeOutput, InvokeError> {
        if input.payload.len() > MAX_REQUEST_PAYLOAD {
            return Err(InvokeError::RequestTooLarge);
        }
        let (tx, rx) = oneshot::channel();
        self.dispatch(Pending { input, reply: tx }).await?;
        rx.await.map_err(|_| {
            InvokeError::Service("the execution environment ended without an answer".into())
        })
    }

    /// Gives `p` to an idle environment, or a new one, or throttles it.
    async fn dispatch(self: &Arc<Self>, mut p: Pending) -> Result<(), InvokeError> {
        let limit = self.spec.config.reserved_concurrency.get();
        {
            let mut pool = self.lock();
            while let Some((env, _)) = pool.idle.pop() {
                match env.try_queue(p) {
                    Ok(()) => return Ok(()),
                    Err(back) => p = back,
                }
            }
            if pool.total >= limit || self.retired.load(Ordering::Relaxed) {
                return Err(InvokeError::Throttled);
            }
            pool.total += 1;
        }
        match Env::spawn(self.clone(), p).await {
            Ok(_) => Ok(()),
            Err((p, err)) => {
                self.lock().total -= 1;
                let _ = p.reply.send(InvokeOutput::Error(err));
                Ok(())
            }
        }
    }

    /// Runs an invocation that a dying environment never delivered.
    pub(crate) fn redispatch(self: Arc<Self>, p: Pending) {
        tokio::spawn(async move {
            let (tx, rx) = oneshot::channel();
            let reply = p.reply;
            let retry = Pending {
                input: p.input,
                reply: tx,
            };
            let out = match self.dispatch(retry).await {
                Ok(()) => rx.await.ok(),
                Err(_) => None,
            };
            if let Some(out) = out {
                let _ = reply.send(out);
            }
        });
    }

    /// An environment finished an invocation: it waits, warm, for the next.
    pub(crate) fn release(&self, env: Arc<Env>) {
        if self.retired.load(Ordering::Relaxed) || env.is_dead() {
            env.shutdown();
            return;
        }
        self.lock().idle.push((env, Instant::now()));
    }

    /// An environment ended: it no longer counts against concurrency.
    pub(crate) fn forget(&self, env: &Arc<Env>) {
        let mut pool = self.lock();
        pool.idle.retain(|(e, _)| !Arc::ptr_eq(e, env));
        pool.total = pool.total.saturating_sub(1);
    }

    /// Reclaims environments idle for longer than `max_idle`.
    pub(crate) fn reclaim_idle(&self, max_idle: std::time::Duration) {
        let stale: Vec<Arc<Env>> = {
            let mut pool = self.lock();
            let now = Instant::now();
            let (stale, keep) = std::mem::take(&mut pool.idle)
                .into_iter()
                .partition(|(_, since)| now.duration_since(*since) > max_idle);
            pool.idle = keep;
            stale.into_iter().map(|(e, _)| e).collect()
        };
        for env in stale {
            env.shutdown();
        }
    }

    /// The function was replaced or removed: idle environments go now, busy ones when done.
    pub(crate) fn retire(&self) {
        self.retired.store(true, Ordering::Relaxed);
        let idle = std::mem::take(&mut self.lock().idle);
        for (env, _) in idle {
            env.shutdown();
        }
    }

    /// Environments alive or starting, and how many of them are idle.
    pub fn environments(&self) -> (u32, usize) {
        let pool = self.lock();
        (pool.total, pool.idle.len())
    }

    /// The environment variables of a runtime process (Lambda's reserved variables plus the
    /// function's own).
    pub(crate) fn process_env(
        &self,
        api: &SocketAddr,
        stream: &str,
        scratch: &Path,
    ) -> Vec<(String, String)> {
        let c = &self.spec.config;
        let p = &self.host.settings.partition;
        let task_root = self.spec.code_dir.to_string_lossy().into_owned();
        let mut env: Vec<(String, String)> = c
            .environment
            .vars()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
        let reserved = [
            ("_HANDLER", c.handler.as_str().to_string()),
            ("AWS_REGION", p.region.clone()),
            ("AWS_DEFAULT_REGION", p.region.clone()),
            ("AWS_LAMBDA_FUNCTION_NAME", c.function_name.clone()),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                c.memory_size.mb().to_string(),
            ),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", c.function_name),
            ),
            ("AWS_LAMBDA_LOG_STREAM_NAME", stream.to_string()),
            ("AWS_LAMBDA_RUNTIME_API", api.to_string()),
            ("LAMBDA_TASK_ROOT", task_root),
            (
                "LAMBDA_RUNTIME_DIR",
                self.host.runtime_dir.to_string_lossy().into_owned(),
            ),
            ("TZ", ":UTC".into()),
            ("LANG", "en_US.UTF-8".into()),
            ("PATH", path),
            ("HOME", scratch.to_string_lossy().into_owned()),
            // Lambda's only writable path is /tmp: here each environment has its own.
            ("TMPDIR", scratch.to_string_lossy().into_owned()),
        ];
        env.extend(reserved.into_iter().map(|(k, v)| (k.to_string(), v)));
        if let Some(role) = &self.host.settings.credentials {
            env.extend(
                [
                    ("AWS_ACCESS_KEY_ID", &role.access_key_id),
                    ("AWS_ACCESS_KEY", &role.access_key_id),
                    ("AWS_SECRET_ACCESS_KEY", &role.secret_access_key),
                    ("AWS_SESSION_TOKEN", &role.session_token),
                ]
                .map(|(k, v)| (k.to_string(), v.clone())),
            );
        }
        if let Some(exec_env) = c.runtime.execution_env() {
            env.push(("AWS_EXECUTION_ENV".into(), exec_env));
        }
        env
    }
}
