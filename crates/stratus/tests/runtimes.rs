//! The runtimes, end to end: Python, a Rust function built with the official `lambda_http`
//! crate run unmodified on `provided.al2023`, and a hand-written custom runtime using the
//! Runtime and Extensions APIs directly.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{fixture, Server};
use serde_json::Value;

fn dir(name: &str) -> String {
    fixture(name).display().to_string()
}

#[tokio::test]
async fn python_function_runs_with_its_context() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "py",
            &[
                "--runtime",
                "python3.12",
                "--code",
                &dir("python-echo"),
                "--handler",
                "app.handler",
            ],
            &[],
        )
        .await;
    let client = server.client(&url);
    let r = client
        .post(format!("{url}?a=1"))
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["requestId"], id.as_str());
    assert_eq!(v["functionName"], "py");
    assert_eq!(v["method"], "POST");
    assert_eq!(v["query"]["a"], "1");
    assert_eq!(v["body"], "hi");
    assert!(v["remaining"].as_i64().unwrap() > 0);
    let again: Value = common::json(&client, &url).await;
    assert_eq!(v["pid"], again["pid"], "warm reuse");

    let r = client.get(format!("{url}raise")).send().await.unwrap();
    assert_eq!(r.status(), 502);
    let r = server.invoke("py", r#"{"rawPath":"/raise"}"#).await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errorType"], "ValueError");
    assert_eq!(v["errorMessage"], "python says no");
    assert!(
        v["stackTrace"].is_array(),
        "Python reports `stackTrace`: {v}"
    );
}

#[tokio::test]
async fn default_python_template() {
    let server = Server::start("");
    let url = server
        .function_with_url("pydefault", &["--runtime", "python3.13"], &[])
        .await;
    let r = server.client(&url).get(&url).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "\"Hello from Lambda!\"");
}

/// Builds the `lambda_http` fixture (a workspace member) and returns its binary.
fn build_rust_fixture() -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .args(["build", "-p", "rust-url-fn", "--message-format=json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo build");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "rust-url-fn")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("the fixture's executable")
}

#[tokio::test]
async fn a_lambda_http_rust_function_runs_unmodified_on_provided() {
    let exe = build_rust_fixture();
    let code = tempfile::tempdir().unwrap();
    std::fs::copy(&exe, code.path().join("bootstrap")).unwrap();
    let server = Server::start("");
    let url = server
        .function_with_url(
            "rusty",
            &[
                "--runtime",
                "provided.al2023",
                "--code",
                &code.path().display().to_string(),
                "--handler",
                "bootstrap",
            ],
            &[],
        )
        .await;
    let client = server.client(&url);
    let r = client
        .get(format!("{url}greet?name=stratus"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["x-runtime"], "rust");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["message"], "Hello, stratus!");
    assert_eq!(v["method"], "GET");
    assert_eq!(v["path"], "/greet");
    let again: Value = common::json(&client, &url).await;
    assert_eq!(v["pid"], again["pid"]);
}

#[tokio::test]
async fn a_custom_runtime_and_its_extension_speak_the_raw_apis() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "custom",
            &[
                "--runtime",
                "provided.al2023",
                "--code",
                &dir("provided-custom"),
            ],
            &[],
        )
        .await;
    let client = server.client(&url);
    let r = client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["requestId"], id.as_str());
    assert_eq!(
        v["contentType"], "application/json",
        "exactly application/json"
    );
    assert_eq!(
        v["arn"],
        "arn:aws:lambda:us-east-1:000000000000:function:custom"
    );
    assert!(
        v["execEnv"].is_null(),
        "AWS_EXECUTION_ENV is absent on provided runtimes"
    );
    let deadline: u64 = v["deadline"].as_str().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(
        deadline > now && deadline <= now + 3_100,
        "epoch ms deadline {deadline} vs now {now}"
    );

    // The extension registered during init and saw the INVOKE event (never the payload).
    let events: Value = common::json(&client, &format!("{url}events")).await;
    let events = events.as_array().unwrap();
    assert_eq!(events[0]["status"], 200);
    assert_eq!(events[0]["registered"]["functionName"], "custom");
    let invoke = events
        .iter()
        .find(|e| e["eventType"] == "INVOKE" && e["requestId"] == id.as_str())
        .unwrap_or_else(|| panic!("no INVOKE for {id}: {events:?}"));
    assert!(invoke.get("payload").is_none());
    assert!(invoke["deadlineMs"].is_u64());

    // A runtime that posts something that is not JSON: the URL answers 502, the server goes on.
    let r = client.get(format!("{url}badjson")).send().await.unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn node_resolves_nested_commonjs_callbacks_and_type_module_packages() {
    let server = Server::start("");
    server.cli(&[
        "function",
        "create",
        "cb",
        "--runtime",
        "nodejs22.x",
        "--code",
        &dir("node-nested"),
        "--handler",
        "src/handlers/app.handler",
    ]);
    let v: Value = server.invoke("cb", "{}").await.json().await.unwrap();
    assert_eq!(v["style"], "callback");
    assert_eq!(v["wait"], true);
    assert_eq!(v["late"], true, "sent after the event loop drained");

    server.cli(&[
        "function",
        "create",
        "nowait",
        "--runtime",
        "nodejs20.x",
        "--code",
        &dir("node-nested"),
        "--handler",
        "src/handlers/app.noWait",
    ]);
    let started = std::time::Instant::now();
    let r = server.invoke("nowait", "{}").await;
    assert_eq!(r.text().await.unwrap(), "\"sent without waiting\"");
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1500),
        "did not wait for the 2 s timer"
    );

    server.cli(&[
        "function",
        "create",
        "esm",
        "--runtime",
        "nodejs20.x",
        "--code",
        &dir("node-esm-pkg"),
        "--handler",
        "lib/main.handler",
    ]);
    let v: Value = server.invoke("esm", "{}").await.json().await.unwrap();
    assert_eq!(v["module"], "main.js");
    assert_eq!(
        v["arn"],
        "arn:aws:lambda:us-east-1:000000000000:function:esm"
    );

    server.cli(&[
        "function",
        "create",
        "missing",
        "--runtime",
        "nodejs20.x",
        "--code",
        &dir("node-esm-pkg"),
        "--handler",
        "lib/nope.handler",
    ]);
    let r = server.invoke("missing", "{}").await;
    assert_eq!(r.headers()["x-amz-function-error"], "Unhandled");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errorType"], "Runtime.ImportModuleError");
}
