//! Benchmarks Stratus's edge beside nginx `proxy_cache` and Varnish, side by side in one run,
//! over loopback, all three in front of the same origin:
//!
//! 1. cache hits of 1 KiB, 16 KiB and 512 KiB objects: requests per second and p50/p99
//!    latency over 64 keep-alive HTTP/1.1 connections, after the caches are primed (the
//!    origin's request counter, reported per run, shows the runs are pure hits);
//! 2. a miss-heavy run: a unique key per request, so every request goes to the origin.
//!
//! It starts everything itself on 127.0.0.1 with OS-chosen ports (a tiny hyper origin, the
//! release `stratus` binary it is given, nginx and varnishd as foreground processes with
//! their configuration in temporary directories) and stops it all at the end. The cases run
//! interleaved (each case through the three proxies back to back) so drift on a noisy machine
//! spreads over all of them.

use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use clap::Parser;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::rt::TokioIo;

#[derive(Parser)]
struct Args {
    /// The stratus binary (release build).
    #[arg(long)]
    stratus: PathBuf,
    /// The nginx binary.
    #[arg(long, default_value = "nginx")]
    nginx: PathBuf,
    /// The varnishd binary.
    #[arg(long, default_value = "varnishd")]
    varnishd: PathBuf,
    /// Seconds per measured case.
    #[arg(long, default_value = "5")]
    seconds: u64,
    /// Seconds of unmeasured warm-up before each case (after priming).
    #[arg(long, default_value = "1")]
    warmup: u64,
    /// Keep-alive connections.
    #[arg(long, default_value = "64")]
    connections: usize,
    /// Distinct objects per size in the hit runs (each primed once per proxy).
    #[arg(long, default_value = "16")]
    keys: usize,
    /// Object size in the miss-heavy run, in bytes.
    #[arg(long, default_value = "1024")]
    miss_size: usize,
    /// Cache size of each proxy, in MiB (Stratus `cache_size_mb`, Varnish `-s malloc`,
    /// nginx `max_size`).
    #[arg(long, default_value = "256")]
    cache_mb: usize,
    /// Only load Stratus with hits of this size (bytes) for `--seconds`, printing its pid
    /// first: for attaching a profiler. No comparison is made.
    #[arg(long)]
    profile_hits: Option<usize>,
}

const KIB: usize = 1024;
const HIT_SIZES: [usize; 3] = [KIB, 16 * KIB, 512 * KIB];
/// The largest object the origin serves.
const MAX_OBJECT: usize = 8 << 20;

// ---------------------------------------------------------------------------------------
// The origin

/// A hyper HTTP/1.1 server on its own thread and runtime: `/obj/<size>/<anything>` answers
/// `<size>` bytes with `Cache-Control: max-age=3600`; every request is counted.
fn start_origin(count: Arc<AtomicU64>) -> anyhow::Result<SocketAddr> {
    let listener = StdListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let body = Bytes::from(vec![b'x'; MAX_OBJECT]);
    std::thread::Builder::new()
        .name("origin".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("origin runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let (body, count) = (body.clone(), count.clone());
                    tokio::spawn(async move {
                        let svc = hyper::service::service_fn(move |req: http::Request<_>| {
                            count.fetch_add(1, Ordering::Relaxed);
                            let size = req
                                .uri()
                                .path()
                                .strip_prefix("/obj/")
                                .and_then(|rest| rest.split('/').next())
                                .and_then(|s| s.parse::<usize>().ok())
                                .filter(|s| *s <= MAX_OBJECT);
                            let resp = match size {
                                Some(n) => http::Response::builder()
                                    .header("content-type", "application/octet-stream")
                                    .header("cache-control", "max-age=3600")
                                    .body(Full::new(body.slice(..n))),
                                None => http::Response::builder()
                                    .status(404)
                                    .body(Full::new(Bytes::new())),
                            };
                            async move { resp }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
            });
        })?;
    Ok(addr)
}

// ---------------------------------------------------------------------------------------
// The proxies

/// A child process stopped (SIGTERM, then SIGKILL after 5 s) when dropped, with the
/// temporary directory holding its configuration and state removed after it.
struct Proc {
    name: &'static str,
    child: Child,
    dir: tempfile::TempDir,
}

impl Proc {
    fn log(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(file)).unwrap_or_default()
    }

    /// Waits until `addr` accepts connections, failing early if the process exits.
    fn wait_listening(&mut self, addr: SocketAddr, log: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("{} exited ({status}):\n{}", self.name, self.log(log));
            }
            if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "{} is not listening on {addr} after 20 s:\n{}",
                    self.name,
                    self.log(log)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        use nix::sys::signal::{kill, Signal};
        use nix::unistd::Pid;
        let pid = Pid::from_raw(self.child.id() as i32);
        let _ = kill(pid, Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether this process runs as root (`/proc/self` belongs to the effective user).
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A free loopback port, chosen by the OS (bound and released: nginx and varnishd take a
/// port in their configuration, not an inherited socket).
fn free_port() -> anyhow::Result<u16> {
    Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start_nginx(bin: &Path, origin: SocketAddr, cache_mb: usize) -> anyhow::Result<(Proc, u16)> {
    let dir = tempfile::Builder::new()
        .prefix("edge-bench-nginx")
        .tempdir()?;
    let t = dir.path().display().to_string();
    let port = free_port()?;
    // Tuned as a production cache would be: keep-alive to the origin, sendfile for hits,
    // no access log (Varnish and Stratus keep none either), no per-connection request cap.
    // `user root`: as root, nginx's workers would otherwise run as `nobody` and could not
    // write the cache in this (0700) directory.
    let user = if running_as_root() {
        "user root;\n"
    } else {
        ""
    };
    let conf = format!(
        r#"{user}worker_processes auto;
daemon off;
pid {t}/nginx.pid;
error_log {t}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 75s;
    keepalive_requests 100000000;
    client_body_temp_path {t}/client_body;
    proxy_temp_path {t}/proxy_temp;
    fastcgi_temp_path {t}/fastcgi_temp;
    uwsgi_temp_path {t}/uwsgi_temp;
    scgi_temp_path {t}/scgi_temp;
    proxy_cache_path {t}/cache levels=1:2 keys_zone=edge:64m max_size={cache_mb}m inactive=1h use_temp_path=off;
    upstream origin {{
        server {origin};
        keepalive 64;
        keepalive_requests 100000000;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache edge;
            proxy_cache_valid 200 1h;
            proxy_cache_lock on;
        }}
    }}
}}
"#
    );
    std::fs::write(dir.path().join("nginx.conf"), conf)?;
    let stderr = std::fs::File::create(dir.path().join("stderr.log"))?;
    let child = Command::new(bin)
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(dir.path().join("nginx.conf"))
        // Before it reads the configuration, nginx opens its compiled-in error log.
        .arg("-e")
        .arg(dir.path().join("error.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let mut p = Proc {
        name: "nginx",
        child,
        dir,
    };
    p.wait_listening(SocketAddr::from(([127, 0, 0, 1], port)), "error.log")?;
    Ok((p, port))
}

fn start_varnish(bin: &Path, origin: SocketAddr, cache_mb: usize) -> anyhow::Result<(Proc, u16)> {
    let dir = tempfile::Builder::new()
        .prefix("edge-bench-varnish")
        .tempdir()?;
    let port = free_port()?;
    let vcl = format!(
        r#"vcl 4.1;
backend origin {{
    .host = "{}";
    .port = "{}";
}}
sub vcl_backend_response {{
    if (beresp.status == 200) {{
        set beresp.ttl = 1h;
    }}
}}
"#,
        origin.ip(),
        origin.port()
    );
    std::fs::write(dir.path().join("default.vcl"), vcl)?;
    let log = std::fs::File::create(dir.path().join("varnishd.log"))?;
    let mut cmd = Command::new(bin);
    cmd.arg("-F")
        .arg("-a")
        .arg(format!("127.0.0.1:{port}"))
        .arg("-f")
        .arg(dir.path().join("default.vcl"))
        .arg("-n")
        .arg(dir.path())
        .arg("-s")
        .arg(format!("malloc,{cache_mb}m"))
        // No management port.
        .args(["-T", "none"])
        .args(["-p", "default_ttl=3600"]);
    if running_as_root() {
        // As root, varnishd's default jail runs it as `varnish`/`vcache`, which cannot read
        // this (0700) directory; without a jail it stays root.
        cmd.args(["-j", "none"]);
    }
    let child = cmd
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let mut p = Proc {
        name: "varnishd",
        child,
        dir,
    };
    p.wait_listening(SocketAddr::from(([127, 0, 0, 1], port)), "varnishd.log")?;
    Ok((p, port))
}

/// `stratus up` in a temporary state directory; returns it with its edge's HTTP address.
fn start_stratus(bin: &Path, cache_mb: usize) -> anyhow::Result<(Proc, SocketAddr)> {
    use std::io::BufRead;
    let dir = tempfile::Builder::new()
        .prefix("edge-bench-stratus")
        .tempdir()?;
    std::fs::write(
        dir.path().join("config.toml"),
        format!("cache_size_mb = {cache_mb}\n"),
    )?;
    let mut child = Command::new(bin)
        .arg("--state-dir")
        .arg(dir.path())
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
        .env("STRATUS_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let out = child.stdout.take().context("stdout")?;
    let p = Proc {
        name: "stratus",
        child,
        dir,
    };
    let mut lines = std::io::BufReader::new(out).lines();
    let edge = loop {
        let Some(line) = lines.next() else {
            bail!("stratus exited before listening")
        };
        let line = line?;
        if let Some(rest) = line.strip_prefix("listening: ") {
            let addr = rest
                .split_whitespace()
                .find_map(|w| w.strip_prefix("edge-http="))
                .context("no edge-http= in the listening line")?;
            break addr.parse::<SocketAddr>()?;
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok((p, edge))
}

/// `stratus distribution create` in front of `origin`; returns the distribution's domain.
fn create_distribution(bin: &Path, state: &Path, origin: SocketAddr) -> anyhow::Result<String> {
    let out = Command::new(bin)
        .arg("--state-dir")
        .arg(state)
        .args(["distribution", "create", "--origin"])
        // The scheme says the port is the origin's HTTP port.
        .arg(format!("http://{origin}"))
        .args([
            "--origin-protocol-policy",
            "http-only",
            "--viewer-protocol-policy",
            "allow-all",
            "--cache-policy",
            "CachingOptimized",
        ])
        .output()?;
    if !out.status.success() {
        bail!(
            "stratus distribution create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // `<id> https://<domain>:<port>/`
    let stdout = String::from_utf8_lossy(&out.stdout);
    let url = stdout
        .split_whitespace()
        .nth(1)
        .with_context(|| format!("unexpected output: {stdout}"))?;
    let domain = url
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .split(':')
        .next()
        .unwrap_or_default();
    if domain.is_empty() {
        bail!("unexpected output: {stdout}");
    }
    Ok(domain.to_string())
}

// ---------------------------------------------------------------------------------------
// The load generator

#[derive(Clone)]
struct Target {
    name: &'static str,
    addr: SocketAddr,
    host: String,
    /// The proxy's main process: its CPU time and its direct children's are measured.
    pid: u32,
}

/// CPU time (user + system, clock ticks of 10 ms) of `pid` and its direct children (nginx's
/// workers, varnishd's cache process), from `/proc`.
fn cpu_ticks(pid: u32, children: bool) -> u64 {
    let mut pids = vec![pid];
    let children_file = format!("/proc/{pid}/task/{pid}/children");
    if let Some(list) = children
        .then(|| std::fs::read_to_string(children_file).ok())
        .flatten()
    {
        pids.extend(
            list.split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok()),
        );
    }
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .map(|stat| {
            // After the command's closing parenthesis: state is field 3, utime 14, stime 15.
            let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
            let f: Vec<u64> = rest
                .split_whitespace()
                .map(|x| x.parse().unwrap_or(0))
                .collect();
            f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)
        })
        .sum()
}

/// Linux's USER_HZ on every mainstream architecture.
const TICKS_PER_SEC: f64 = 100.0;

type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn connect(addr: SocketAddr) -> anyhow::Result<Sender> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// One GET; the body is read (not kept) and its length checked.
async fn get(sender: &mut Sender, target: &Target, path: &str, size: usize) -> anyhow::Result<()> {
    sender.ready().await?;
    let req = http::Request::get(path)
        .header(http::header::HOST, &target.host)
        .body(Empty::new())?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    let mut body = resp.into_body();
    let mut len = 0;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            len += data.len();
        }
    }
    if status != http::StatusCode::OK || len != size {
        bail!("{} {path}: status {status}, {len} bytes", target.name);
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Keys {
    /// `keys` objects of `size` bytes, already cached.
    Hit { size: usize, keys: usize },
    /// A fresh key per request; `run` keeps runs apart.
    Miss { size: usize, run: u64 },
}

impl Keys {
    fn size(self) -> usize {
        match self {
            Keys::Hit { size, .. } | Keys::Miss { size, .. } => size,
        }
    }

    fn path(self, conn: usize, i: u64) -> String {
        match self {
            Keys::Hit { size, keys } => {
                format!("/obj/{size}/k{}", (conn + i as usize) % keys)
            }
            Keys::Miss { size, run } => format!("/obj/{size}/miss-{run}-{conn}-{i}"),
        }
    }
}

struct Run {
    requests: u64,
    rps: f64,
    hist: Histogram<u64>,
    errors: u64,
    first_error: Option<String>,
    origin_requests: u64,
    /// CPU seconds the proxy used during the window.
    proxy_cpu: f64,
    /// CPU seconds this process (load generator and origin) used during the window.
    client_cpu: f64,
    elapsed: f64,
}

/// `conns` keep-alive connections, each sending its next request as soon as the last one's
/// body is read, for `secs`; latency is request sent to body read, in µs.
async fn load(
    target: &Target,
    keys: Keys,
    conns: usize,
    secs: u64,
    origin_count: &AtomicU64,
) -> anyhow::Result<Run> {
    let before = origin_count.load(Ordering::SeqCst);
    // Connect first: the measured window holds requests only.
    let mut senders = Vec::with_capacity(conns);
    for _ in 0..conns {
        senders.push(connect(target.addr).await?);
    }
    let cpu_before = cpu_ticks(target.pid, true);
    let client_before = cpu_ticks(std::process::id(), false);
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let mut tasks = Vec::with_capacity(conns);
    for (conn, mut sender) in senders.into_iter().enumerate() {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new(3)?;
            let (mut errors, mut first_error) = (0u64, None);
            let mut i = 0u64;
            while Instant::now() < end {
                let path = keys.path(conn, i);
                i += 1;
                let t = Instant::now();
                match get(&mut sender, &target, &path, keys.size()).await {
                    Ok(()) => {
                        hist.record(t.elapsed().as_micros() as u64)?;
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("{e:#}"));
                        // A closed or broken connection: open another one.
                        if sender.is_closed() || sender.ready().await.is_err() {
                            match connect(target.addr).await {
                                Ok(s) => sender = s,
                                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                            }
                        }
                    }
                }
            }
            anyhow::Ok((hist, errors, first_error))
        }));
    }
    let mut hist = Histogram::<u64>::new(3)?;
    let (mut errors, mut first_error) = (0, None);
    for t in tasks {
        let (h, e, f) = t.await??;
        hist.add(h)?;
        errors += e;
        if first_error.is_none() {
            first_error = f;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let proxy_cpu = cpu_ticks(target.pid, true).saturating_sub(cpu_before) as f64 / TICKS_PER_SEC;
    let client_cpu =
        cpu_ticks(std::process::id(), false).saturating_sub(client_before) as f64 / TICKS_PER_SEC;
    Ok(Run {
        proxy_cpu,
        client_cpu,
        elapsed,
        requests: hist.len(),
        rps: hist.len() as f64 / elapsed,
        hist,
        errors,
        first_error,
        origin_requests: origin_count.load(Ordering::SeqCst) - before,
    })
}

/// Fetches every hit object once through `target`, twice over: the second pass must not
/// reach the origin.
async fn prime(target: &Target, keys: usize, origin_count: &AtomicU64) -> anyhow::Result<()> {
    let mut sender = connect(target.addr).await?;
    for pass in 0..2 {
        let before = origin_count.load(Ordering::SeqCst);
        for size in HIT_SIZES {
            for k in 0..keys {
                get(&mut sender, target, &format!("/obj/{size}/k{k}"), size).await?;
            }
        }
        let fetched = origin_count.load(Ordering::SeqCst) - before;
        if pass == 1 && fetched != 0 {
            bail!(
                "{}: {fetched} origin requests while re-reading primed objects",
                target.name
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Output

fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

fn size_name(size: usize) -> String {
    if size.is_multiple_of(KIB) {
        format!("{} KiB", size / KIB)
    } else {
        format!("{size} B")
    }
}

fn version(bin: &Path, arg: &str) -> String {
    Command::new(bin)
        .arg(arg)
        .output()
        .map(|o| {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            text.lines().next().unwrap_or_default().trim().to_string()
        })
        .unwrap_or_else(|e| format!("? ({e})"))
}

/// One table of a case's runs (Stratus last), then Stratus's ratios to each peer.
fn print_case(title: &str, runs: &[(&Target, Run)], note: &str) {
    println!("\n### {title}\n");
    println!(
        "| proxy | requests/s | p50 | p99 | requests | origin requests | errors | proxy CPU (cores) | proxy CPU per request | client + origin CPU (cores) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (t, r) in runs {
        println!(
            "| {} | {:.0} | {} | {} | {} | {} | {} | {:.2} | {:.1} µs | {:.2} |",
            t.name,
            r.rps,
            ms(r.hist.value_at_quantile(0.5)),
            ms(r.hist.value_at_quantile(0.99)),
            r.requests,
            r.origin_requests,
            r.errors,
            r.proxy_cpu / r.elapsed,
            r.proxy_cpu * 1e6 / r.requests.max(1) as f64,
            r.client_cpu / r.elapsed
        );
    }
    if !note.is_empty() {
        println!("\n{note}");
    }
    for (t, r) in runs {
        if let Some(e) = &r.first_error {
            println!("\n{}: first error: {e}", t.name);
        }
    }
}

fn print_ratios(rows: &[(String, Vec<(&Target, Run)>)]) {
    println!("\n### Stratus against each peer (ratios; same run)\n");
    println!(
        "| case | req/s vs nginx | req/s vs Varnish | p99 vs nginx | p99 vs Varnish | throughput ≥ both | p99 ≤ both |"
    );
    println!("|---|---:|---:|---:|---:|:---:|:---:|");
    for (case, runs) in rows {
        let get = |name: &str| runs.iter().find(|(t, _)| t.name == name).map(|(_, r)| r);
        let (Some(s), Some(n), Some(v)) = (get("Stratus"), get("nginx"), get("Varnish")) else {
            continue;
        };
        let p99 = |r: &Run| r.hist.value_at_quantile(0.99) as f64;
        let yes = |b: bool| if b { "yes" } else { "no" };
        println!(
            "| {case} | {:.2}× | {:.2}× | {:.2}× | {:.2}× | {} | {} |",
            s.rps / n.rps,
            s.rps / v.rps,
            p99(s) / p99(n),
            p99(s) / p99(v),
            yes(s.rps >= n.rps && s.rps >= v.rps),
            yes(p99(s) <= p99(n) && p99(s) <= p99(v)),
        );
    }
    println!(
        "\nreq/s ratio above 1 and p99 ratio at or below 1 favour Stratus (p99 ratios compare \
         latencies rounded to the histogram's 3 significant digits)."
    );
}

// ---------------------------------------------------------------------------------------

async fn run(args: Args) -> anyhow::Result<()> {
    let origin_count = Arc::new(AtomicU64::new(0));
    let origin = start_origin(origin_count.clone())?;
    let (nginx, nginx_port) = start_nginx(&args.nginx, origin, args.cache_mb)?;
    let (varnish, varnish_port) = start_varnish(&args.varnishd, origin, args.cache_mb)?;
    let (stratus, edge) = start_stratus(&args.stratus, args.cache_mb)?;
    let domain = create_distribution(&args.stratus, stratus.dir.path(), origin)?;
    let loopback = |port| SocketAddr::from(([127, 0, 0, 1], port));
    let targets = [
        Target {
            name: "nginx",
            addr: loopback(nginx_port),
            host: "127.0.0.1".into(),
            pid: nginx.child.id(),
        },
        Target {
            name: "Varnish",
            addr: loopback(varnish_port),
            host: "127.0.0.1".into(),
            pid: varnish.child.id(),
        },
        Target {
            name: "Stratus",
            addr: edge,
            host: domain,
            pid: stratus.child.id(),
        },
    ];

    // The edge picks the new distribution up on reload: wait until it routes.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = async {
            let mut s = connect(edge).await?;
            get(&mut s, &targets[2], "/obj/1/ready", 1).await
        }
        .await;
        match r {
            Ok(()) => break,
            Err(e) if Instant::now() > deadline => {
                return Err(e.context("the Stratus distribution does not answer after 10 s"))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }

    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("# Edge: cache hits and misses through nginx, Varnish and Stratus\n");
    println!(
        "{nproc} CPUs; {}; {}; stratus {}; {} keep-alive HTTP/1.1 connections; {} s per case \
         after {} s of warm-up; {} MiB cache each; {} objects per size in the hit runs.",
        version(&args.nginx, "-v"),
        version(&args.varnishd, "-V"),
        args.stratus.display(),
        args.connections,
        args.seconds,
        args.warmup,
        args.cache_mb,
        args.keys,
    );

    for t in &targets {
        prime(t, args.keys, &origin_count).await?;
    }
    println!(
        "\nPrimed: every object fetched once through each proxy (origin requests so far: {}), \
         a second pass reached the origin 0 times.",
        origin_count.load(Ordering::SeqCst)
    );

    if let Some(size) = args.profile_hits {
        let t = &targets[2];
        println!("\nprofiling: stratus pid {}", t.pid);
        let keys = Keys::Hit {
            size,
            keys: args.keys,
        };
        load(t, keys, args.connections, args.warmup, &origin_count).await?;
        let run = load(t, keys, args.connections, args.seconds, &origin_count).await?;
        print_case(
            &format!("Stratus only, hits of {} bytes", size),
            &[(t, run)],
            "",
        );
        return Ok(());
    }

    let mut summary = Vec::new();
    for size in HIT_SIZES {
        let keys = Keys::Hit {
            size,
            keys: args.keys,
        };
        let mut runs = Vec::new();
        for t in &targets {
            load(t, keys, args.connections, args.warmup, &origin_count).await?;
            runs.push((
                t,
                load(t, keys, args.connections, args.seconds, &origin_count).await?,
            ));
        }
        print_case(
            &format!("Cache hits, {} objects", size_name(size)),
            &runs,
            "",
        );
        summary.push((format!("hits, {}", size_name(size)), runs));
    }

    let mut runs = Vec::new();
    for (n, t) in targets.iter().enumerate() {
        let warm = Keys::Miss {
            size: args.miss_size,
            run: 2 * n as u64,
        };
        load(t, warm, args.connections, args.warmup, &origin_count).await?;
        let keys = Keys::Miss {
            size: args.miss_size,
            run: 2 * n as u64 + 1,
        };
        runs.push((
            t,
            load(t, keys, args.connections, args.seconds, &origin_count).await?,
        ));
    }
    print_case(
        &format!(
            "Miss-heavy: a unique key per request, {} objects",
            size_name(args.miss_size)
        ),
        &runs,
        "Every request is a miss: origin requests should equal requests (plus those in flight \
         when the window closed).",
    );
    summary.push((format!("misses, {}", size_name(args.miss_size)), runs));
    print_ratios(&summary);

    drop((nginx, varnish, stratus));
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    // On a signal the run's future is dropped, and with it every process it started.
    tokio::select! {
        r = run(args) => r,
        _ = term.recv() => bail!("terminated"),
        _ = int.recv() => bail!("interrupted"),
    }
}
