//! Benchmarks Stratus's Lambda half side by side in one run, over loopback:
//!
//! 1. warm invocations per second and p50/p99 latency through the Function URL of the default
//!    Node.js function, at 1, 16 and 64 concurrent connections;
//! 2. the platform's own overhead per warm invocation: the client's latency minus the
//!    handler's own time (the REPORT line's `Duration`), joined by request id;
//! 3. cold start, request to first byte, for Node.js, Python and a `provided` Rust function,
//!    each beside a bare `node -e ''` / `python3 -c ''` / bootstrap start measured in the same run.
//!
//! It starts the release `stratus` binary it is given on OS-chosen ports, in a temporary state
//! directory, and stops it at the end. Every request goes to 127.0.0.1.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use clap::Parser;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

#[derive(Parser)]
struct Args {
    /// The stratus binary (release build).
    #[arg(long)]
    stratus: PathBuf,
    /// A `provided` bootstrap (the lambda_http fixture, release build).
    #[arg(long)]
    provided: Option<PathBuf>,
    /// Seconds per warm run.
    #[arg(long, default_value = "5")]
    seconds: u64,
    /// Cold starts per runtime.
    #[arg(long, default_value = "15")]
    cold: usize,
}

struct Server {
    child: std::process::Child,
    state: tempfile::TempDir,
    url: SocketAddr,
    bin: PathBuf,
}

impl Server {
    fn start(bin: &Path) -> anyhow::Result<Self> {
        use std::io::BufRead;
        let state = tempfile::tempdir()?;
        std::fs::write(
            state.path().join("config.toml"),
            "idle_timeout_secs = 3600\n",
        )?;
        let mut child = Command::new(bin)
            .arg("--state-dir")
            .arg(state.path())
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
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let out = child.stdout.take().context("stdout")?;
        let mut lines = std::io::BufReader::new(out).lines();
        let url = loop {
            let Some(line) = lines.next() else {
                bail!("stratus exited")
            };
            let line = line?;
            if let Some(rest) = line.strip_prefix("listening: ") {
                let addr = rest
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("function-urls="))
                    .context("no function-urls= in the listening line")?;
                break addr.parse()?;
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Ok(Self {
            child,
            state,
            url,
            bin: bin.to_path_buf(),
        })
    }

    fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new(&self.bin)
            .arg("--state-dir")
            .arg(self.state.path())
            .args(args)
            .output()?;
        if !out.status.success() {
            bail!("stratus {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// The Host of a function's URL.
    fn host(&self, name: &str) -> anyhow::Result<String> {
        let list = self.cli(&["function", "list"])?;
        let url = list
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .and_then(|l| l.split_whitespace().nth(2))
            .context("no URL")?;
        Ok(url
            .trim_start_matches("https://")
            .split(':')
            .next()
            .unwrap_or_default()
            .to_string())
    }

    fn logs(&self, name: &str) -> String {
        std::fs::read_to_string(self.state.path().join(format!("logs/{name}.log")))
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>;

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(256)
        .build_http()
}

async fn get(
    client: &HttpClient,
    addr: SocketAddr,
    host: &str,
) -> anyhow::Result<(Duration, Duration, String)> {
    let req = http::Request::get(format!("http://{addr}/"))
        .header("host", host)
        .body(Empty::new())?;
    let start = Instant::now();
    let resp = client.request(req).await?;
    let first_byte = start.elapsed();
    let id = resp
        .headers()
        .get("x-amzn-requestid")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if !resp.status().is_success() {
        bail!("status {}", resp.status());
    }
    resp.into_body().collect().await?;
    Ok((first_byte, start.elapsed(), id))
}

struct Warm {
    rps: f64,
    hist: Histogram<u64>,
    ids: Vec<(String, u64)>,
}

async fn warm(addr: SocketAddr, host: &str, conns: usize, secs: u64) -> anyhow::Result<Warm> {
    let end = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let host = host.to_string();
        tasks.push(tokio::spawn(async move {
            let c = client();
            let mut hist = Histogram::<u64>::new(3).unwrap();
            let mut ids = Vec::new();
            while Instant::now() < end {
                let (_, total, id) = get(&c, addr, &host).await?;
                let us = total.as_micros() as u64;
                hist.record(us).ok();
                ids.push((id, us));
            }
            anyhow::Ok((hist, ids))
        }));
    }
    let mut hist = Histogram::<u64>::new(3)?;
    let mut ids = Vec::new();
    for t in tasks {
        let (h, i) = t.await??;
        hist.add(h)?;
        ids.extend(i);
    }
    Ok(Warm {
        rps: hist.len() as f64 / secs as f64,
        hist,
        ids,
    })
}

/// REPORT durations (µs) by request id.
fn report_durations(log: &str) -> HashMap<String, u64> {
    log.lines()
        .filter_map(|l| {
            let rest = l.split("REPORT RequestId: ").nth(1)?;
            let (id, rest) = rest.split_once('\t')?;
            let ms: f64 = rest
                .strip_prefix("Duration: ")?
                .split(' ')
                .next()?
                .parse()
                .ok()?;
            Some((id.to_string(), (ms * 1000.0) as u64))
        })
        .collect()
}

fn bare_start(program: &str, args: &[&str], n: usize) -> anyhow::Result<Histogram<u64>> {
    let mut h = Histogram::<u64>::new(3)?;
    for _ in 0..n {
        let t = Instant::now();
        let s = Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .status()?;
        if !s.success() {
            bail!("{program} failed");
        }
        h.record(t.elapsed().as_micros() as u64)?;
    }
    Ok(h)
}

async fn cold(server: &Server, name: &str, n: usize) -> anyhow::Result<Histogram<u64>> {
    let host = server.host(name)?;
    let mut h = Histogram::<u64>::new(3)?;
    for i in 0..n {
        // A configuration change retires the warm environment: the next request is cold.
        server.cli(&["function", "update", name, "--env", &format!("COLD={i}")])?;
        let (first_byte, _, _) = get(&client(), server.url, &host).await?;
        h.record(first_byte.as_micros() as u64)?;
    }
    Ok(h)
}

/// A bare hyper HTTP/1.1 server answering 20 bytes, on its own thread and runtime.
fn floor_server() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(|_req| async {
                        let mut r = http::Response::new(http_body_util::Full::new(
                            Bytes::from_static(b"\"Hello from Lambda!\""),
                        ));
                        r.headers_mut()
                            .insert("x-amzn-requestid", http::HeaderValue::from_static("floor"));
                        Ok::<_, std::convert::Infallible>(r)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
    });
    Ok(addr)
}

fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = Server::start(&args.stratus)?;
    let host = server.host("hello")?;
    // 64 connections need 64 environments: above the default reserved concurrency of 10.
    server.cli(&["function", "update", "hello", "--concurrency", "100"])?;
    get(&client(), server.url, &host).await?;

    println!("## Warm invocations through the Function URL (default Node.js function, HTTP/1.1 keep-alive)\n");
    println!("| connections | requests/s | p50 | p99 |");
    println!("|---:|---:|---:|---:|");
    let mut overhead_samples = Vec::new();
    for conns in [1usize, 16, 64] {
        // Start the environments this level needs outside the measured window.
        warm(server.url, &host, conns, 1).await?;
        let w = warm(server.url, &host, conns, args.seconds).await?;
        println!(
            "| {conns} | {:.0} | {} | {} |",
            w.rps,
            ms(w.hist.value_at_quantile(0.5)),
            ms(w.hist.value_at_quantile(0.99))
        );
        if conns == 1 {
            overhead_samples = w.ids;
        }
    }
    // Let the log writer catch up, then join latencies with the handlers' own durations.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let durations = report_durations(&server.logs("hello"));
    let mut overhead = Histogram::<u64>::new(3)?;
    let mut handler = Histogram::<u64>::new(3)?;
    for (id, total) in &overhead_samples {
        if let Some(d) = durations.get(id) {
            overhead.record(total.saturating_sub(*d)).ok();
            handler.record(*d).ok();
        }
    }
    // The floor: one loopback HTTP/1.1 round trip to a bare hyper server on this machine,
    // measured with the same client in the same run.
    let floor_addr = floor_server()?;
    let floor = warm(floor_addr, "floor", 1, args.seconds).await?;
    println!("\n## Platform overhead per warm invocation (1 connection)\n");
    println!(
        "URL latency minus the REPORT Duration of the same request, {} requests.\n",
        overhead.len()
    );
    println!("| | p50 | p99 |");
    println!("|---|---:|---:|");
    println!(
        "| handler's own time (REPORT Duration) | {} | {} |",
        ms(handler.value_at_quantile(0.5)),
        ms(handler.value_at_quantile(0.99))
    );
    println!(
        "| platform overhead | {} µs | {} µs |",
        overhead.value_at_quantile(0.5),
        overhead.value_at_quantile(0.99)
    );
    println!(
        "| floor: one loopback HTTP round trip to a bare hyper server | {} µs | {} µs |",
        floor.hist.value_at_quantile(0.5),
        floor.hist.value_at_quantile(0.99)
    );

    println!(
        "\n## Cold start, request to first byte ({} each)\n",
        args.cold
    );
    println!("| runtime | cold start p50 | bare interpreter start p50 | difference |");
    println!("|---|---:|---:|---:|");
    server.cli(&["function", "create", "cold-node", "--runtime", "nodejs20.x"])?;
    server.cli(&["function", "url", "cold-node"])?;
    server.cli(&["function", "create", "cold-py", "--runtime", "python3.12"])?;
    server.cli(&["function", "url", "cold-py"])?;
    let node_cold = cold(&server, "cold-node", args.cold).await?;
    let node_bare = bare_start("node", &["-e", ""], args.cold)?;
    let py_cold = cold(&server, "cold-py", args.cold).await?;
    let py_bare = bare_start("python3", &["-c", ""], args.cold)?;
    let row = |name: &str, c: &Histogram<u64>, b: &Histogram<u64>| {
        let (c, b) = (c.value_at_quantile(0.5), b.value_at_quantile(0.5));
        println!(
            "| {name} | {} | {} | {:+.2} ms |",
            ms(c),
            ms(b),
            (c as f64 - b as f64) / 1000.0
        );
    };
    row("nodejs20.x (vs `node -e ''`)", &node_cold, &node_bare);
    row("python3.12 (vs `python3 -c ''`)", &py_cold, &py_bare);
    if let Some(bootstrap) = &args.provided {
        let code = tempfile::tempdir()?;
        std::fs::copy(bootstrap, code.path().join("bootstrap"))?;
        server.cli(&[
            "function",
            "create",
            "cold-rust",
            "--runtime",
            "provided.al2023",
            "--code",
            &code.path().display().to_string(),
        ])?;
        server.cli(&["function", "url", "cold-rust"])?;
        let rust_cold = cold(&server, "cold-rust", args.cold).await?;
        // A bare start of the same binary: with the variables it requires and the Runtime API
        // pointed at a closed loopback port, it starts and exits at its first `next`.
        let mut bare = Histogram::<u64>::new(3)?;
        for _ in 0..args.cold {
            let t = Instant::now();
            let _ = Command::new(bootstrap)
                .env("RUST_BACKTRACE", "0")
                .env("AWS_LAMBDA_FUNCTION_NAME", "bare")
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
                .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()?;
            bare.record(t.elapsed().as_micros() as u64)?;
        }
        row(
            "provided.al2023, lambda_http (vs the same binary starting and exiting)",
            &rust_cold,
            &bare,
        );
    }
    Ok(())
}
