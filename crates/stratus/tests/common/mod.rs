//! Test harness: the real `stratus` binary on OS-chosen ports, in a temporary state directory.
//! The ports are learnt from its `listening:` line; the server is stopped (SIGTERM, then
//! SIGKILL) on drop, and its stderr is printed when the test failed.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod origin;

pub const BIN: &str = env!("CARGO_BIN_EXE_stratus");

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub struct Server {
    pub state: tempfile::TempDir,
    /// The state directory (the temp dir itself, or `.stratus` inside it when the server
    /// runs with the defaults).
    state_path: PathBuf,
    child: Option<Child>,
    pub url_addr: SocketAddr,
    pub api_addr: SocketAddr,
    pub edge_http: SocketAddr,
    pub edge_https: SocketAddr,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

fn run_cli(state: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("--state-dir")
        .arg(state)
        .args(args)
        .output()
        .expect("run stratus")
}

/// Runs a CLI command against `state`; returns stdout, panicking with its output on failure.
pub fn cli(state: &Path, args: &[&str]) -> String {
    let out = run_cli(state, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "stratus {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs a CLI command expected to fail; returns stderr.
pub fn cli_err(state: &Path, args: &[&str]) -> String {
    let out = run_cli(state, args);
    assert!(!out.status.success(), "stratus {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

impl Server {
    /// Starts `stratus up` in a fresh state directory (`config` is written as config.toml).
    pub fn start(config: &str) -> Server {
        let state = tempfile::tempdir().expect("tempdir");
        std::fs::write(state.path().join("config.toml"), config).unwrap();
        Self::start_in(state)
    }

    /// Starts `stratus up` in `state`.
    pub fn start_in(state: tempfile::TempDir) -> Server {
        let path = state.path().to_path_buf();
        Self::spawn(state, path, true)
    }

    /// Starts `stratus up` as a new user runs it: no `--state-dir` (so `./.stratus`), from a
    /// fresh working directory.
    pub fn start_default() -> Server {
        let cwd = tempfile::tempdir().expect("tempdir");
        let path = cwd.path().join(".stratus");
        Self::spawn(cwd, path, false)
    }

    fn spawn(state: tempfile::TempDir, state_path: PathBuf, explicit: bool) -> Server {
        let mut cmd = Command::new(BIN);
        if explicit {
            cmd.arg("--state-dir").arg(&state_path);
        }
        let mut child = cmd
            .current_dir(state.path())
            .args([
                "up",
                "--url-port",
                "0",
                "--api-port",
                "0",
                "--edge-http-port",
                "0",
                "--edge-https-port",
                "0",
            ])
            .env("STRATUS_LOG", "info,stratus_functions=debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start stratus");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        {
            let mut err = child.stderr.take().unwrap();
            let sink = stderr.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = err.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    sink.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = String::new();
        let (url_addr, api_addr, edge_http, edge_https) = loop {
            let Some(Ok(line)) = lines.next() else {
                panic!(
                    "stratus exited before listening:\n{seen}\n{}",
                    stderr.lock().unwrap()
                );
            };
            seen.push_str(&line);
            seen.push('\n');
            if let Some(rest) = line.strip_prefix("listening: ") {
                let addr = |key: &str| -> SocketAddr {
                    rest.split_whitespace()
                        .find_map(|p| p.strip_prefix(key))
                        .and_then(|a| a.parse().ok())
                        .unwrap_or_else(|| panic!("no {key} in {line}"))
                };
                break (
                    addr("function-urls="),
                    addr("api="),
                    addr("edge-http="),
                    addr("edge-https="),
                );
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            state,
            state_path,
            child: Some(child),
            url_addr,
            api_addr,
            edge_http,
            edge_https,
            stderr,
        }
    }

    pub fn state(&self) -> &Path {
        &self.state_path
    }

    pub fn cli(&self, args: &[&str]) -> String {
        cli(self.state(), args)
    }

    /// Creates a function and gives it a URL; returns the URL once the server serves it.
    pub async fn function_with_url(&self, name: &str, create: &[&str], url: &[&str]) -> String {
        let mut args = vec!["function", "create", name];
        args.extend_from_slice(create);
        self.cli(&args);
        let mut args = vec!["function", "url", name];
        args.extend_from_slice(url);
        // The CLI has the running server apply the change before it returns.
        self.cli(&args).trim().to_string()
    }

    /// A client for the edge: `host` resolves to the edge's HTTPS listener, the CA is
    /// trusted, redirects are not followed.
    pub fn edge_client(&self, host: &str) -> reqwest::Client {
        let ca = std::fs::read(self.state().join("tls/ca.pem")).unwrap();
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
            .resolve(host, self.edge_https)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Creates a distribution; returns its domain.
    pub fn distribution(&self, args: &[&str]) -> String {
        let mut all = vec!["distribution", "create"];
        all.extend_from_slice(args);
        let out = self.cli(&all);
        let url = out.split_whitespace().nth(1).expect("id and URL");
        host_of(url)
    }

    /// The id (`E…`) of the distribution whose domain is `domain`.
    pub fn distribution_id(&self, domain: &str) -> String {
        self.cli(&["distribution", "list"])
            .lines()
            .find(|l| l.contains(domain))
            .and_then(|l| l.split_whitespace().next())
            .expect("the distribution is listed")
            .to_string()
    }

    /// The standard access log lines of the distribution at `domain`, split into fields,
    /// once there are at least `n` (or after 5 s, whatever is there).
    pub async fn access_log(&self, domain: &str, n: usize) -> Vec<Vec<String>> {
        let id = self.distribution_id(domain);
        let path = self.state().join(format!("logs/cloudfront/{id}.log"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let lines: Vec<Vec<String>> = text
                .lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| l.split('\t').map(String::from).collect())
                .collect();
            if lines.len() >= n || std::time::Instant::now() > deadline {
                return lines;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// The Prometheus text the API serves at `/metrics`.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("http://{}/metrics", self.api_addr))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Creates a distribution from a JSON `DistributionConfig`; returns its domain.
    pub fn distribution_json(&self, config: &str) -> String {
        let path = self.state().join(format!("dist-{}.json", rand_suffix()));
        std::fs::write(&path, config).unwrap();
        self.distribution(&["--distribution-config", path.to_str().unwrap()])
    }

    /// GET `path` through the edge's plain-HTTP listener for distribution `domain`, with
    /// `headers`.
    pub async fn edge_get(
        &self,
        domain: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = reqwest::Client::new()
            .get(self.edge_http_url(path))
            .header("host", domain);
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        req.send().await.unwrap()
    }

    /// `path` on the edge's plain-HTTP listener.
    pub fn edge_http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.edge_http)
    }

    /// Calls the Lambda API's `Invoke` for `name` with `payload`.
    pub async fn invoke(&self, name: &str, payload: &str) -> reqwest::Response {
        reqwest::Client::new()
            .post(format!(
                "http://{}/2015-03-31/functions/{name}/invocations",
                self.api_addr
            ))
            .body(payload.to_string())
            .send()
            .await
            .unwrap()
    }

    /// A client that resolves every Function URL host to the server and trusts its CA.
    pub fn client(&self, url: &str) -> reqwest::Client {
        let ca = std::fs::read(self.state().join("tls/ca.pem")).unwrap();
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
            .resolve(&host_of(url), self.url_addr)
            .build()
            .unwrap()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The function's log file so far.
    pub fn logs(&self, name: &str) -> String {
        std::fs::read_to_string(self.state().join(format!("logs/{name}.log"))).unwrap_or_default()
    }

    /// Waits until the function's log holds `needle` at least `n` times, then a little longer
    /// (two log flushes) for any more to land; returns how many times it holds it. Every
    /// request the test sent has been answered by then, so a further invocation would
    /// already be logged.
    pub async fn log_count(&self, name: &str, needle: &str, n: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.logs(name).matches(needle).count() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        self.logs(name).matches(needle).count()
    }

    /// Waits until the function's log contains `needle`.
    pub async fn wait_log(&self, name: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.logs(name);
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "log of {name} never had {needle:?}:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the server (SIGTERM) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!("--- stratus stderr ---\n{}", self.stderr());
        }
    }
}

/// GETs `url` and returns the body as text.
pub async fn text(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// GETs `url` and returns the body as JSON.
pub async fn json(client: &reqwest::Client, url: &str) -> serde_json::Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

/// The host of a URL.
pub fn host_of(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let hostport = rest.split('/').next().unwrap_or(rest);
    hostport
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(hostport)
        .to_string()
}

/// Is a process alive?
pub fn alive(pid: i32) -> bool {
    // A zombie still answers kill(0); look at its state too.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s.split_whitespace().nth(2).is_none_or(|st| st != "Z"),
        Err(_) => false,
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A response's `X-Cache`.
pub fn x_cache(r: &reqwest::Response) -> String {
    r.headers()["x-cache"].to_str().unwrap().to_string()
}

/// A loopback port that was free a moment ago: nothing listens there.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
