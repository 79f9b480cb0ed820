//! Execution environment lifecycle, end to end through Function URLs: cold then warm, reserved
//! concurrency and throttling, timeouts, crashes, init errors, memory limits, restarts.

mod common;

use std::time::{Duration, Instant};

use common::{alive, fixture, Server};
use serde_json::Value;

fn echo_dir() -> String {
    fixture("node-echo").display().to_string()
}

fn behaviors_dir() -> String {
    fixture("node-behaviors").display().to_string()
}

#[tokio::test]
async fn default_function_answers_hello_from_lambda_over_https_and_http() {
    // Exactly as the README runs it: the default (relative) state directory.
    let server = Server::start_default();
    let list = server.cli(&["function", "list"]);
    let url = list
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .expect("the default function has a URL")
        .to_string();
    let client = server.client(&url);
    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_2, "h2 by ALPN");
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert!(resp.headers().contains_key("x-amzn-requestid"));
    // Lambda's default console function: the body keeps JSON.stringify's quotes.
    assert_eq!(resp.text().await.unwrap(), "\"Hello from Lambda!\"");

    // Plain HTTP on the same port, with the Host header naming the URL.
    let plain = reqwest::Client::new()
        .get(format!("http://{}/", server.url_addr))
        .header("host", common::host_of(&url))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(plain.text().await.unwrap().len(), 20);
}

#[tokio::test]
async fn cold_start_then_warm_reuse_of_the_same_process() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "echo",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &echo_dir(),
                "--env",
                "GREETING=hi",
            ],
            &[],
        )
        .await;
    let client = server.client(&url);
    let first: Value = common::json(&client, &url).await;
    let second: Value = common::json(&client, &url).await;
    assert_eq!(
        first["pid"], second["pid"],
        "the warm environment is reused"
    );
    assert_ne!(first["requestId"], second["requestId"]);
    assert_eq!(first["custom"], "hi");
    assert_eq!(first["region"], "us-east-1");
    // The role's credentials: the state directory's own key, which Stratus accepts.
    let credentials = std::fs::read_to_string(server.state().join("credentials")).unwrap();
    let key = first["accessKeyId"]
        .as_str()
        .expect("AWS_ACCESS_KEY_ID is set");
    assert!(
        credentials.contains(&format!("aws_access_key_id = {key}")),
        "{key} is not in {credentials}"
    );
    assert_eq!(first["hasSecret"], true);
    assert_eq!(first["hasSessionToken"], true);
    assert_eq!(first["memoryLimitInMB"], "128");
    assert_eq!(
        first["cwd"], first["taskRoot"],
        "working directory is the task root"
    );
    let remaining = first["remaining"].as_i64().unwrap();
    assert!(remaining > 0 && remaining <= 3000, "{remaining}");
    let api = first["runtimeApi"].as_str().unwrap();
    assert!(
        api.starts_with("127.0.0.1:") && !api.contains('/'),
        "plain host:port: {api}"
    );
    assert!(first["traceEnv"].as_str().unwrap().starts_with("Root=1-"));

    let log = server
        .wait_log(
            "echo",
            &format!(
                "REPORT RequestId: {}",
                second["requestId"].as_str().unwrap()
            ),
        )
        .await;
    let reports: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("REPORT RequestId"))
        .collect();
    assert_eq!(reports.len(), 2, "{log}");
    assert!(
        reports[0].contains("\tInit Duration: "),
        "cold start reports init: {}",
        reports[0]
    );
    assert!(
        !reports[1].contains("Init Duration"),
        "warm start does not: {}",
        reports[1]
    );
    assert!(
        reports[0].contains("\tMemory Size: 128 MB\tMax Memory Used: "),
        "{}",
        reports[0]
    );
    assert!(log.contains(&format!(
        "START RequestId: {} Version: $LATEST",
        first["requestId"].as_str().unwrap()
    )));
}

#[tokio::test]
async fn concurrency_is_reserved_and_excess_invocations_are_throttled() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "busy",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &behaviors_dir(),
                "--handler",
                "index.handler",
                "--concurrency",
                "2",
                "--timeout",
                "10",
            ],
            &[],
        )
        .await;
    let client = server.client(&url);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let c = client.clone();
        let u = format!("{url}sleep?ms=1500");
        tasks.push(tokio::spawn(async move {
            let r = c.get(u).send().await.unwrap();
            let status = r.status().as_u16();
            let kind = r
                .headers()
                .get("x-amzn-errortype")
                .map(|v| v.to_str().unwrap().to_string());
            (status, kind, r.text().await.unwrap())
        }));
    }
    let mut ok = 0;
    let mut throttled = 0;
    for t in tasks {
        let (status, kind, body) = t.await.unwrap();
        match status {
            200 => ok += 1,
            429 => {
                throttled += 1;
                assert_eq!(kind.as_deref(), Some("TooManyRequestsException"));
                let v: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(
                    v["Reason"],
                    "ReservedFunctionConcurrentInvocationLimitExceeded"
                );
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((ok, throttled), (2, 2));
    // Once they finish, the warm environments serve again.
    let r = client.get(format!("{url}pid")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn reserved_concurrency_zero_deactivates_the_function() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "off",
            &["--runtime", "nodejs20.x", "--concurrency", "0"],
            &[],
        )
        .await;
    let r = server.client(&url).get(&url).send().await.unwrap();
    assert_eq!(r.status(), 429);
}

#[tokio::test]
async fn a_timeout_kills_the_whole_environment_and_the_next_call_gets_a_fresh_one() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "slow",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &behaviors_dir(),
                "--timeout",
                "1",
            ],
            &[],
        )
        .await;
    let client = server.client(&url);
    let pid_before: i32 = common::text(&client, &format!("{url}pid"))
        .await
        .parse()
        .unwrap();
    let started = Instant::now();
    let r = client
        .get(format!("{url}child?ms=5000"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(r.text().await.unwrap(), "Internal Server Error");
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(4),
        "the 1 s timeout cut it short, took {took:?}"
    );
    let log = server.wait_log("slow", "Status: timeout").await;
    assert!(log.contains("Task timed out after 1.00 seconds"), "{log}");
    // The runtime process is gone.
    let deadline = Instant::now() + Duration::from_secs(3);
    while alive(pid_before) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !alive(pid_before),
        "runtime {pid_before} survived its timeout"
    );
    let pid_after: i32 = common::text(&client, &format!("{url}pid"))
        .await
        .parse()
        .unwrap();
    assert_ne!(pid_before, pid_after, "a fresh environment after the reset");
    // Metrics count the timeout as the REPORT line does, beside the two successes, and both
    // environments' cold starts.
    // (The last REPORT is written just after its reply: poll briefly.)
    let lines = [
        r#"stratus_function_invocations_total{function="slow",outcome="timeout"} 1"#,
        r#"stratus_function_invocations_total{function="slow",outcome="success"} 2"#,
        r#"stratus_function_cold_starts_total{function="slow"} 2"#,
    ];
    let deadline = Instant::now() + Duration::from_secs(3);
    let metrics = loop {
        let m = server.metrics().await;
        if lines.iter().all(|l| m.contains(l)) || Instant::now() > deadline {
            break m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for line in lines {
        assert!(metrics.contains(line), "{line}\n{metrics}");
    }
}

#[tokio::test]
async fn grandchildren_die_with_their_environment() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "kids",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &behaviors_dir(),
                "--timeout",
                "2",
            ],
            &[],
        )
        .await;
    let client = server.client(&url);
    let child: i32 = common::text(&client, &format!("{url}childpid"))
        .await
        .parse()
        .unwrap();
    assert!(alive(child));
    // A crash resets the environment: the whole process group goes.
    let r = client.get(format!("{url}crash")).send().await.unwrap();
    assert_eq!(r.status(), 502);
    let deadline = Instant::now() + Duration::from_secs(3);
    while alive(child) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!alive(child), "grandchild {child} outlived its environment");
}

#[tokio::test]
async fn a_crash_mid_invoke_is_a_502_then_a_fresh_environment_serves() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "crashy",
            &["--runtime", "nodejs20.x", "--code", &behaviors_dir()],
            &[],
        )
        .await;
    let client = server.client(&url);
    let before: String = common::text(&client, &format!("{url}pid")).await;
    let r = client.get(format!("{url}crash")).send().await.unwrap();
    assert_eq!(r.status(), 502);
    let log = server
        .wait_log("crashy", "Error Type: Runtime.ExitError")
        .await;
    assert!(
        log.contains("Runtime exited with error: exit status 3"),
        "{log}"
    );
    let after: String = common::text(&client, &format!("{url}pid")).await;
    assert_ne!(before, after);

    // Through the Lambda API the same failure is a 200 with X-Amz-Function-Error.
    let r = server.invoke("crashy", r#"{"rawPath":"/kill"}"#).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-amz-function-error"], "Unhandled");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errorType"], "Runtime.ExitError");
    assert!(
        v["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Runtime exited with error: signal: killed"),
        "{v}"
    );
}

#[tokio::test]
async fn an_init_error_fails_the_waiting_invocation_at_once() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "broken",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &fixture("node-init-error").display().to_string(),
                "--timeout",
                "30",
            ],
            &[],
        )
        .await;
    let started = Instant::now();
    let r = server.client(&url).get(&url).send().await.unwrap();
    assert_eq!(r.status(), 502);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "not held until the timeout"
    );
    let r = server.invoke("broken", "{}").await;
    assert_eq!(r.headers()["x-amz-function-error"], "Unhandled");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errorType"], "Error");
    assert_eq!(v["errorMessage"], "cannot start");
    server
        .wait_log("broken", "Phase: init\tStatus: error")
        .await;
}

#[tokio::test]
async fn function_errors_are_502_on_urls_and_reported_on_invoke() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "thrower",
            &["--runtime", "nodejs20.x", "--code", &behaviors_dir()],
            &[],
        )
        .await;
    let r = server
        .client(&url)
        .get(format!("{url}throw"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    let r = server.invoke("thrower", r#"{"rawPath":"/throw"}"#).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errorType"], "Error");
    assert_eq!(v["errorMessage"], "boom");
    assert!(v["trace"].is_array(), "Node reports `trace`: {v}");
}

#[tokio::test]
async fn an_environment_over_its_memory_size_is_killed() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "hungry",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &behaviors_dir(),
                "--memory",
                "128",
                "--timeout",
                "20",
            ],
            &[],
        )
        .await;
    let client = server.client(&url);
    let r = client.get(format!("{url}memory")).send().await.unwrap();
    assert_eq!(r.status(), 502);
    let log = server
        .wait_log("hungry", "Error Type: Runtime.OutOfMemory")
        .await;
    assert!(log.contains("signal: killed"), "{log}");
    // And the next invocation works in a fresh environment.
    assert_eq!(
        client
            .get(format!("{url}pid"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn oversized_responses_and_requests_get_lambdas_errors() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "big",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &behaviors_dir(),
                "--memory",
                "512",
            ],
            &[],
        )
        .await;
    let client = server.client(&url);
    let r = client.get(format!("{url}big")).send().await.unwrap();
    assert_eq!(r.status(), 502);
    let r = server.invoke("big", r#"{"rawPath":"/big"}"#).await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errorType"], "Function.ResponseSizeTooLarge");
    assert_eq!(
        v["errorMessage"],
        "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
    );

    let giant = vec![b'a'; 6_291_457];
    let r = client.post(&url).body(giant).send().await.unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.headers()["x-amzn-errortype"],
        "RequestEntityTooLargeException"
    );
    // Still serving.
    assert_eq!(
        client
            .get(format!("{url}pid"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn state_survives_a_restart() {
    let mut server = Server::start("");
    let url = server
        .function_with_url(
            "keep",
            &[
                "--runtime",
                "python3.12",
                "--code",
                &fixture("python-echo").display().to_string(),
                "--handler",
                "app.handler",
            ],
            &[],
        )
        .await;
    server.stop();
    let state = std::mem::replace(&mut server.state, tempfile::tempdir().unwrap());
    let server = Server::start_in(state);
    // Same url-id, new port.
    let port_url =
        url.rsplit_once(':').unwrap().0.to_string() + &format!(":{}/", server.url_addr.port());
    let listed = server.cli(&["function", "list"]);
    assert!(listed.contains(&port_url), "{listed}\n{port_url}");
    let r = server
        .client(&port_url)
        .get(&port_url)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn idle_environments_are_reclaimed() {
    let server = Server::start("idle_timeout_secs = 1\n");
    let url = server
        .function_with_url(
            "idle",
            &["--runtime", "nodejs20.x", "--code", &behaviors_dir()],
            &[],
        )
        .await;
    let client = server.client(&url);
    let pid: i32 = common::text(&client, &format!("{url}pid"))
        .await
        .parse()
        .unwrap();
    assert!(alive(pid));
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!alive(pid), "the idle environment was reclaimed");
    let again: i32 = common::text(&client, &format!("{url}pid"))
        .await
        .parse()
        .unwrap();
    assert_ne!(pid, again);
}

#[tokio::test]
async fn update_redeploys_only_what_changed_and_delete_takes_the_url_away() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "evolving",
            &["--runtime", "nodejs20.x", "--code", &behaviors_dir()],
            &[],
        )
        .await;
    let client = server.client(&url);
    let pid = |path: &'static str| {
        let (client, url) = (&client, &url);
        async move {
            common::text(client, &format!("{url}{path}"))
                .await
                .parse::<i32>()
                .unwrap()
        }
    };
    let first = pid("pid").await;
    // Nothing changes: the warm environment stays.
    server.cli(&["function", "update", "evolving", "--timeout", "3"]);
    assert_eq!(
        pid("pid").await,
        first,
        "an unchanged configuration keeps it warm"
    );
    // A new setting: a fresh environment with it (the old one is retired).
    server.cli(&["function", "update", "evolving", "--env", "MODE=two"]);
    let second = pid("pid").await;
    assert_ne!(
        second, first,
        "a changed configuration starts a new environment"
    );
    // New code through the same URL.
    server.cli(&["function", "update", "evolving", "--code", &echo_dir()]);
    let v: serde_json::Value = common::json(&client, &format!("{url}after")).await;
    assert_eq!(
        v["event"]["rawPath"], "/after",
        "the echo function answers now"
    );
    // Delete: the URL stops answering for it and the list forgets it.
    server.cli(&["function", "delete", "evolving"]);
    let r = client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(!server.cli(&["function", "list"]).contains("evolving"));
}
