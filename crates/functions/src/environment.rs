//! Execution environments: one runtime process group each, with its own Runtime API listener
//! (`AWS_LAMBDA_RUNTIME_API` is a plain `host:port`), a scratch directory, and a supervisor
//! that reports crashes, timeouts and memory kills as Lambda reports them.
//!
//! Lifecycle: `Init` (process started; ends at the runtime's first `/next`), `Ready` (serving
//! invocations, one at a time), `Dead` (process group gone). An invocation handed to an
//! environment that is still initialising waits for it: a cold start is never an error.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::AbortHandle;

use crate::extensions::Extensions;
use crate::invocation::{FunctionError, InvokeInput, InvokeOutput, StreamEvent};
use crate::logs::Report;
use crate::memory::MemoryStat;
use crate::pool::Function;
use crate::runtimes;

/// Lambda's limit on the init phase; an init that runs over it is retried inside the first
/// invocation under the function's timeout, so Stratus allows `INIT_LIMIT + timeout` in all.
const INIT_LIMIT: Duration = Duration::from_secs(10);

/// An invocation waiting for an environment's runtime to ask for it.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) input: InvokeInput,
    pub(crate) reply: oneshot::Sender<InvokeOutput>,
}

/// An invocation the runtime has received and not yet answered.
#[derive(Debug)]
struct InFlight {
    request_id: String,
    /// Taken when the answer starts (a streamed answer keeps `stream`).
    reply: Option<oneshot::Sender<InvokeOutput>>,
    /// The stream's sender while a streamed answer is in progress.
    stream: Option<mpsc::Sender<StreamEvent>>,
    started: Instant,
}

impl InFlight {
    /// Fails the invocation: through its reply, or, once a streamed answer has sent its
    /// status, as the stream's last event.
    fn fail(&mut self, err: FunctionError) {
        if let Some(tx) = self.reply.take() {
            let _ = tx.send(InvokeOutput::Error(err));
        } else if let Some(tx) = &self.stream {
            let _ = tx.try_send(StreamEvent::Error(err));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Init,
    Ready,
    Dead,
}

/// Why Stratus itself killed an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KillReason {
    Timeout,
    InitTimeout,
    InitError,
    Shutdown,
}

#[derive(Debug)]
struct EnvState {
    phase: Phase,
    queued: Option<Pending>,
    current: Option<InFlight>,
    /// The last request id answered, for Lambda's 403 on a second answer.
    last_answered: Option<String>,
    /// Reported (once) on the environment's first REPORT line.
    init_duration: Option<Duration>,
    killed: Option<KillReason>,
}

/// An invocation that has ended; its END and REPORT lines are still to be written.
pub(crate) struct Completed {
    env: Arc<Env>,
    request_id: String,
    duration: Duration,
    init: Option<Duration>,
    outcome: Outcome,
    /// Held until the lines are in the sink, so a log flush waits for them.
    _due: crate::logs::ReportDue,
}

impl Completed {
    /// Writes END and REPORT.
    pub(crate) fn report(self) {
        let (status, error_type) = match &self.outcome {
            Outcome::Success => (None, None),
            Outcome::FunctionError(t) => (Some("error"), Some(t.as_str())),
        };
        self.env.report(
            &self.request_id,
            self.duration,
            self.init,
            status,
            error_type,
        );
    }
}

/// How an answer to an invocation ended, for the REPORT line.
pub(crate) enum Outcome {
    /// The runtime posted a response.
    Success,
    /// The runtime posted an error.
    FunctionError(String),
}

/// Result of accepting an answer from the runtime.
pub(crate) enum Answer {
    /// The id is the current invocation: its reply sender.
    Current(oneshot::Sender<InvokeOutput>),
    /// Lambda: 400 `InvalidRequestID`.
    UnknownId,
    /// Lambda: 403 `InvalidStateTransition` (already answered).
    AlreadyAnswered,
}

/// One execution environment.
#[derive(Debug)]
pub(crate) struct Env {
    pub(crate) id: u64,
    pub(crate) function: Arc<Function>,
    /// Log stream name: `YYYY/MM/DD/[$LATEST]<32 hex>`.
    pub(crate) stream: String,
    state: Mutex<EnvState>,
    wake_next: Notify,
    pgid: AtomicU32,
    memory: Arc<MemoryStat>,
    spawned: Instant,
    scratch: PathBuf,
    pub(crate) extensions: Extensions,
}

/// Kills a whole process group.
pub(crate) fn kill_group(pgid: i32) {
    use nix::sys::signal::{killpg, Signal};
    use nix::unistd::Pid;
    if pgid > 0 {
        let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
    }
}

fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64
}

impl Env {
    /// Starts an environment for `function` with `first` waiting for it.
    #[allow(clippy::result_large_err)]
    pub(crate) async fn spawn(
        function: Arc<Function>,
        first: Pending,
    ) -> Result<Arc<Env>, (Pending, FunctionError)> {
        let host = function.host.clone();
        let config = &function.spec.config;
        let task_root = function.spec.code_dir.clone();
        let launch = match runtimes::launch(
            config.runtime,
            config.memory_size.mb(),
            &host.runtime_dir,
            &task_root,
        ) {
            Ok(l) => l,
            Err(e) => {
                let err = FunctionError::platform(
                    e.error_type,
                    &format!("RequestId: {} Error: {}", first.input.request_id, e.message),
                );
                return Err((first, err));
            }
        };
        let listener = match tokio::net::TcpListener::bind(("127.0.0.1", 0)).await {
            Ok(l) => l,
            Err(e) => {
                let err = FunctionError::platform(
                    "Runtime.Unknown",
                    &format!("cannot open the Runtime API listener: {e}"),
                );
                return Err((first, err));
            }
        };
        let api_addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => {
                return Err((
                    first,
                    FunctionError::platform("Runtime.Unknown", &e.to_string()),
                ))
            }
        };
        let id = host.next_env_id();
        let date = chrono::Utc::now().format("%Y/%m/%d");
        let stream = format!("{date}/[$LATEST]{}", stratus_model::ids::hex32());
        let scratch = host
            .scratch_dir
            .join(format!("{}-{id}", config.function_name));
        if let Err(e) = std::fs::create_dir_all(&scratch) {
            let err = FunctionError::platform(
                "Runtime.Unknown",
                &format!("cannot create the scratch directory: {e}"),
            );
            return Err((first, err));
        }

        let mut cmd = tokio::process::Command::new(&launch.program);
        cmd.args(&launch.args)
            .current_dir(&task_root)
            .env_clear()
            .envs(function.process_env(&api_addr, &stream, &scratch))
            .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&scratch);
                let err = FunctionError::platform(
                    "Runtime.InvalidEntrypoint",
                    &format!(
                        "RequestId: {} Error: cannot start {}: {e}",
                        first.input.request_id,
                        launch.program.display()
                    ),
                );
                return Err((first, err));
            }
        };
        let pid = child.id().unwrap_or(0) as i32;
        let env = Arc::new(Env {
            id,
            function: function.clone(),
            stream,
            state: Mutex::new(EnvState {
                phase: Phase::Init,
                queued: Some(first),
                current: None,
                last_answered: None,
                init_duration: None,
                killed: None,
            }),
            wake_next: Notify::new(),
            pgid: AtomicU32::new(pid as u32),
            memory: host.memory.watch(
                &format!("env-{}-{id}", std::process::id()),
                pid,
                function.spec.config.memory_size.mb(),
            ),
            spawned: Instant::now(),
            scratch,
            extensions: Extensions::default(),
        });
        tracing::debug!(
            function = %config.function_name,
            env = id,
            pid,
            runtime_api = %api_addr,
            "execution environment starting"
        );
        if let Some(out) = child.stdout.take() {
            tokio::spawn(pipe_lines(env.clone(), out));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(pipe_lines(env.clone(), err));
        }
        let server = tokio::spawn(crate::runtime_api::serve(listener, env.clone()));
        tokio::spawn(env.clone().supervise(child, server.abort_handle()));
        Ok(env)
    }

    fn lock(&self) -> MutexGuard<'_, EnvState> {
        // A poisoned lock only means a panic elsewhere; the state itself stays consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn pgid(&self) -> i32 {
        self.pgid.load(Ordering::Relaxed) as i32
    }

    /// Hands `p` to this environment, unless it is dead or already has one waiting.
    // The invocation itself comes back on failure, to go elsewhere: boxing it would cost an
    // allocation per invocation.
    #[allow(clippy::result_large_err)]
    pub(crate) fn try_queue(&self, p: Pending) -> Result<(), Pending> {
        let mut st = self.lock();
        if st.phase == Phase::Dead || st.queued.is_some() || st.killed.is_some() {
            return Err(p);
        }
        st.queued = Some(p);
        drop(st);
        self.wake_next.notify_one();
        Ok(())
    }

    /// Has this environment been reclaimed or killed?
    pub(crate) fn is_dead(&self) -> bool {
        let st = self.lock();
        st.phase == Phase::Dead || st.killed.is_some()
    }

    /// `GET /runtime/invocation/next`: waits for the next invocation. The first call ends init.
    pub(crate) async fn next_invocation(self: &Arc<Self>) -> Option<InvokeInput> {
        loop {
            {
                let mut st = self.lock();
                if st.phase == Phase::Dead || st.killed.is_some() {
                    return None;
                }
                if st.phase == Phase::Init {
                    st.phase = Phase::Ready;
                    st.init_duration = Some(self.spawned.elapsed());
                    self.extensions.close_registration();
                }
                if let Some(stale) = st.current.take() {
                    // Lambda: asking for the next event ends the current one; an invocation
                    // the runtime never answered fails.
                    drop(st);
                    self.fail_unanswered(stale);
                    continue;
                }
                if let Some(p) = st.queued.take() {
                    let request_id = p.input.request_id.clone();
                    let timeout = self.function.spec.config.timeout.secs();
                    let started = Instant::now();
                    self.function.host.deadlines.arm(
                        self.id,
                        Arc::downgrade(self),
                        request_id.clone(),
                        started + Duration::from_secs(u64::from(timeout)),
                    );
                    st.current = Some(InFlight {
                        request_id: request_id.clone(),
                        reply: Some(p.reply),
                        stream: None,
                        started,
                    });
                    drop(st);
                    let mut input = p.input;
                    if input.trace_id.is_none() {
                        input.trace_id = Some(stratus_model::ids::trace_header(
                            epoch_ms(SystemTime::now()) / 1000,
                        ));
                    }
                    if input.invoked_arn.is_none() {
                        input.invoked_arn = Some(self.function.arn.clone());
                    }
                    self.log(format!("START RequestId: {request_id} Version: $LATEST"));
                    self.extensions.invoke(&input, self.deadline_ms(timeout));
                    return Some(input);
                }
            }
            self.wake_next.notified().await;
        }
    }

    /// The deadline (epoch ms) of an invocation starting now.
    pub(crate) fn deadline_ms(&self, timeout_secs: u32) -> u64 {
        epoch_ms(SystemTime::now()) + u64::from(timeout_secs) * 1000
    }

    /// Starts answering `request_id`: hands out its reply sender.
    pub(crate) fn begin_answer(&self, request_id: &str) -> Answer {
        let mut st = self.lock();
        let answered_before = st.last_answered.as_deref() == Some(request_id);
        match st.current.as_mut() {
            Some(c) if c.request_id == request_id => match c.reply.take() {
                Some(tx) => Answer::Current(tx),
                None => Answer::AlreadyAnswered,
            },
            _ if answered_before => Answer::AlreadyAnswered,
            _ => Answer::UnknownId,
        }
    }

    /// Records the sender of a stream being answered, so a timeout can end it.
    pub(crate) fn set_stream(&self, request_id: &str, tx: mpsc::Sender<StreamEvent>) {
        let mut st = self.lock();
        if let Some(c) = st.current.as_mut().filter(|c| c.request_id == request_id) {
            c.stream = Some(tx);
        }
    }

    /// Ends the current invocation once its answer has arrived, and puts the environment back
    /// in the pool. The returned [`Completed`] writes END and REPORT: call it after the caller
    /// has its answer, so logging is never on the request path. `None` if the invocation had
    /// already ended (timeout).
    pub(crate) fn complete(
        self: &Arc<Self>,
        request_id: &str,
        outcome: Outcome,
    ) -> Option<Completed> {
        let mut st = self.lock();
        let c = st.current.take_if(|c| c.request_id == request_id)?;
        let duration = c.started.elapsed();
        self.function.host.deadlines.disarm(self.id);
        st.last_answered = Some(c.request_id.clone());
        let init = st.init_duration.take();
        drop(st);
        self.function.release(self.clone());
        Some(Completed {
            _due: self.function.host.logs.report_due(),
            env: self.clone(),
            request_id: c.request_id,
            duration,
            init,
            outcome,
        })
    }

    fn report(
        &self,
        request_id: &str,
        duration: Duration,
        init: Option<Duration>,
        status: Option<&str>,
        error_type: Option<&str>,
    ) {
        // Every ending passes here (answers, function errors, timeouts, crashes, memory
        // kills), so the metrics count them all, by the REPORT line's status.
        let name = &self.function.spec.config.function_name;
        let labels = [
            ("function", name.clone()),
            ("outcome", status.unwrap_or("success").to_string()),
        ];
        metrics::counter!("stratus_function_invocations_total", &labels).increment(1);
        metrics::histogram!("stratus_function_duration_seconds", &labels)
            .record(duration.as_secs_f64());
        if init.is_some() {
            metrics::counter!("stratus_function_cold_starts_total", "function" => name.clone())
                .increment(1);
        }
        self.log(format!("END RequestId: {request_id}"));
        let report = Report {
            request_id,
            duration,
            memory_size_mb: self.function.spec.config.memory_size.mb(),
            max_memory_used_mb: self.memory.peak_mb(Some(self.pgid())),
            init_duration: init,
            status,
            error_type,
        };
        self.log(report.line());
    }

    fn fail_unanswered(&self, mut c: InFlight) {
        self.function.host.deadlines.disarm(self.id);
        let err = FunctionError::platform(
            "Runtime.NoResponse",
            &format!(
                "RequestId: {} Error: the runtime asked for the next invocation without answering this one",
                c.request_id
            ),
        );
        c.fail(err.clone());
        self.report(
            &c.request_id,
            c.started.elapsed(),
            None,
            Some("error"),
            Some(&err.error_type),
        );
    }

    /// Lambda: at the deadline the invocation fails with `Sandbox.Timedout` and the whole
    /// environment is reset (every process in it killed).
    pub(crate) fn on_timeout(&self, request_id: &str) {
        let mut st = self.lock();
        let Some(mut c) = st.current.take_if(|c| c.request_id == request_id) else {
            return;
        };
        st.killed = Some(KillReason::Timeout);
        st.last_answered = Some(c.request_id.clone());
        let init = st.init_duration.take();
        drop(st);
        let timeout = self.function.spec.config.timeout.secs();
        let err = FunctionError::timeout(request_id, timeout);
        let ts = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ");
        self.log(format!(
            "{ts} {request_id} Task timed out after {timeout}.00 seconds"
        ));
        c.fail(err);
        self.report(
            &c.request_id,
            c.started.elapsed(),
            init,
            Some("timeout"),
            None,
        );
        kill_group(self.pgid());
    }

    /// `POST /runtime/init/error`: fails the invocation waiting on this environment at once
    /// and kills it. Returns false when init is already over (Lambda: 403).
    pub(crate) fn init_error(&self, err: FunctionError) -> bool {
        let mut st = self.lock();
        if st.phase != Phase::Init || st.killed.is_some() {
            return false;
        }
        st.killed = Some(KillReason::InitError);
        let queued = st.queued.take();
        drop(st);
        self.log(format!(
            "INIT_REPORT Init Duration: {:.2} ms\tPhase: init\tStatus: error\tError Type: {}",
            self.spawned.elapsed().as_secs_f64() * 1000.0,
            err.error_type
        ));
        if let Some(p) = queued {
            let _ = p.reply.send(InvokeOutput::Error(err));
        }
        // The runtime should exit by itself; give it a moment, then reclaim the group.
        let pgid = self.pgid();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            kill_group(pgid);
        });
        true
    }

    /// Reclaims the environment (idle too long, function updated or removed, shutdown).
    /// Lambda: with extensions registered they get `SHUTDOWN` and the runtime `SIGTERM`, then
    /// everything is killed after 2 s; without, the group is killed at once.
    pub(crate) fn shutdown(self: &Arc<Self>) {
        {
            let mut st = self.lock();
            if st.phase == Phase::Dead || st.killed.is_some() {
                return;
            }
            st.killed = Some(KillReason::Shutdown);
        }
        self.wake_next.notify_one();
        let pgid = self.pgid();
        if self.extensions.shutdown(epoch_ms(SystemTime::now()) + 2000) {
            use nix::sys::signal::{kill, Signal};
            let _ = kill(nix::unistd::Pid::from_raw(pgid), Signal::SIGTERM);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(2)).await;
                kill_group(pgid);
            });
        } else {
            kill_group(pgid);
        }
    }

    async fn supervise(self: Arc<Self>, mut child: tokio::process::Child, server: AbortHandle) {
        let init_limit =
            INIT_LIMIT + Duration::from_secs(u64::from(self.function.spec.config.timeout.secs()));
        let status = tokio::select! {
            s = child.wait() => s,
            _ = tokio::time::sleep(init_limit) => {
                let timed_out = {
                    let mut st = self.lock();
                    let t = st.phase == Phase::Init && st.killed.is_none();
                    if t { st.killed = Some(KillReason::InitTimeout); }
                    t
                };
                if timed_out {
                    self.log(format!(
                        "INIT_REPORT Init Duration: {:.2} ms\tPhase: init\tStatus: timeout",
                        self.spawned.elapsed().as_secs_f64() * 1000.0
                    ));
                    kill_group(self.pgid());
                }
                child.wait().await
            }
        };
        // Whatever the runtime left behind in its group goes with it.
        kill_group(self.pgid());
        server.abort();
        let (current, queued, killed, was_ready) = {
            let mut st = self.lock();
            let was_ready = st.phase == Phase::Ready;
            st.phase = Phase::Dead;
            (st.current.take(), st.queued.take(), st.killed, was_ready)
        };
        let oom = self.memory.out_of_memory();
        let reason = match &status {
            Ok(s) if oom => {
                let _ = s;
                "signal: killed".to_string()
            }
            Ok(s) => match (s.code(), std::os::unix::process::ExitStatusExt::signal(s)) {
                (Some(0), _) => String::new(),
                (Some(code), _) => format!("exit status {code}"),
                (None, Some(9)) => "signal: killed".into(),
                (None, Some(sig)) => format!("signal: {}", signal_name(sig)),
                (None, None) => "unknown".into(),
            },
            Err(e) => e.to_string(),
        };
        let exit_error = |request_id: &str| {
            let error_type = if oom {
                "Runtime.OutOfMemory"
            } else {
                "Runtime.ExitError"
            };
            let message = if reason.is_empty() {
                format!("RequestId: {request_id} Error: Runtime exited without providing a reason")
            } else {
                format!("RequestId: {request_id} Error: Runtime exited with error: {reason}")
            };
            FunctionError::platform(error_type, &message)
        };
        if let Some(mut c) = current {
            self.function.host.deadlines.disarm(self.id);
            let err = exit_error(&c.request_id);
            self.log(String::from_utf8_lossy(&err.body).into_owned());
            let error_type = err.error_type.clone();
            c.fail(err);
            self.report(
                &c.request_id,
                c.started.elapsed(),
                None,
                Some("error"),
                Some(&error_type),
            );
        }
        if let Some(p) = queued {
            match killed {
                Some(KillReason::InitTimeout) => {
                    let timeout = self.function.spec.config.timeout.secs();
                    let _ = p.reply.send(InvokeOutput::Error(FunctionError::timeout(
                        &p.input.request_id,
                        timeout,
                    )));
                }
                // Never delivered, and the environment had been healthy: run it elsewhere.
                _ if was_ready && killed != Some(KillReason::Timeout) => {
                    self.function.clone().redispatch(p);
                }
                _ => {
                    let err = exit_error(&p.input.request_id);
                    self.log(format!(
                        "INIT_REPORT Init Duration: {:.2} ms\tPhase: init\tStatus: error\tError Type: {}",
                        self.spawned.elapsed().as_secs_f64() * 1000.0,
                        err.error_type
                    ));
                    let _ = p.reply.send(InvokeOutput::Error(err));
                }
            }
        }
        self.function.host.memory.forget(self.pgid());
        if let Some(cg) = &self.memory.cgroup {
            cg.remove();
        }
        self.extensions.close();
        self.function.forget(&self);
        let _ = tokio::fs::remove_dir_all(&self.scratch).await;
        tracing::debug!(env = self.id, ?status, "execution environment ended");
    }

    /// Appends a line to this environment's log stream.
    pub(crate) fn log(&self, message: String) {
        self.function.host.logs.line(
            &self.function.spec.config.function_name,
            &self.stream,
            message,
        );
    }

    /// The body of an error posted by the runtime, with its type: the header when present,
    /// else the body's `errorType` (the Node and Python clients send no header).
    pub(crate) fn error_from_post(header_type: Option<&str>, body: Bytes) -> FunctionError {
        let from_body = || {
            serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("errorType")
                        .and_then(|t| t.as_str())
                        .map(String::from)
                })
        };
        let error_type = header_type
            .map(String::from)
            .or_else(from_body)
            .unwrap_or_else(|| "Unhandled".into());
        FunctionError { error_type, body }
    }
}

fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig)
        .map(|s| s.as_str().trim_start_matches("SIG").to_lowercase())
        .unwrap_or_else(|_| sig.to_string())
}

async fn pipe_lines<R: AsyncRead + Unpin>(env: Arc<Env>, reader: R) {
    let mut lines = BufReader::new(reader).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        env.log(line);
    }
}
