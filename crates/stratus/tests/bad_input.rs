//! Bad input at every boundary gets a clear error in AWS's shape, and the server keeps
//! serving: Function URLs, the Runtime API, the Lambda API and the CLI.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{cli_err, fixture, Server};
use serde_json::Value;

fn raw(addr: &str, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn garbage_on_the_function_url_listener_does_not_stop_it() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "echo",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &fixture("node-echo").display().to_string(),
            ],
            &[],
        )
        .await;
    let addr = server.url_addr.to_string();
    let answer = tokio::task::spawn_blocking(move || {
        let a = raw(&addr, b"\x00\x01garbage\r\n\r\n");
        let b = raw(
            &addr,
            b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
        );
        // A TLS record header followed by nonsense.
        let c = raw(&addr, b"\x16\x03\x01\x00\x05hello");
        let big = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "a".repeat(2 * 1024 * 1024)
        );
        let d = raw(&addr, big.as_bytes());
        (a, b, c, d)
    })
    .await
    .unwrap();
    // A broken ClientHello on the TLS-sniffing listener: a TLS alert record (0x15) or a
    // closed connection, never an HTTP answer.
    assert!(
        answer.2.is_empty() || answer.2.starts_with('\u{15}'),
        "{:?}",
        answer.2
    );
    assert!(
        answer.0.is_empty() || answer.0.starts_with("HTTP/1.1 400"),
        "{:?}",
        answer.0
    );
    assert!(
        answer.1.is_empty() || answer.1.starts_with("HTTP/1.1 400"),
        "{:?}",
        answer.1
    );
    assert!(
        answer.3.is_empty() || answer.3.starts_with("HTTP/1.1 431"),
        "{:?}",
        &answer.3[..answer.3.len().min(80)]
    );
    // Still serving, over TLS and plain HTTP.
    let r = server.client(&url).get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn runtime_api_rejects_wrong_ids_and_repeated_answers() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "echo",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &fixture("node-echo").display().to_string(),
            ],
            &[],
        )
        .await;
    let client = server.client(&url);
    let v: Value = common::json(&client, &url).await;
    let api = v["runtimeApi"].as_str().unwrap().to_string();
    let answered = v["requestId"].as_str().unwrap().to_string();
    let http = reqwest::Client::new();
    let base = format!("http://{api}/2018-06-01");

    let r = http
        .post(format!("{base}/runtime/invocation/not-a-request/response"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["errorType"], "InvalidRequestID");
    assert_eq!(e["errorMessage"], "Invalid request ID");

    let r = http
        .post(format!("{base}/runtime/invocation/{answered}/response"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "a second answer to one id");
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["errorType"], "InvalidStateTransition");

    let r = http
        .post(format!("{base}/runtime/invocation/{answered}/error"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let r = http
        .post(format!("{base}/runtime/init/error"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "init is over");

    let r = http
        .get(format!("http://{api}/2018-06-01/runtime/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let r = http
        .post(format!("http://{api}/2020-01-01/extension/event/next"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let r = http
        .get(format!("http://{api}/2020-01-01/extension/event/next"))
        .header("Lambda-Extension-Identifier", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["errorType"], "Extension.InvalidExtensionIdentifier");
    let r = http
        .post(format!("http://{api}/2020-01-01/extension/register"))
        .header("Lambda-Extension-Name", "late")
        .body(r#"{"events":["INVOKE"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "registration closes with init");

    let addr = api.clone();
    tokio::task::spawn_blocking(move || raw(&addr, b"\xff\xfe not http at all\r\n\r\n"))
        .await
        .unwrap();
    // None of that disturbed the environment: same process, still serving.
    let again: Value = common::json(&client, &url).await;
    assert_eq!(again["pid"], v["pid"]);
}

#[tokio::test]
async fn lambda_api_errors_have_aws_shape() {
    let server = Server::start("");
    let http = reqwest::Client::new();
    let api = server.api_addr;
    let invoke = |name: &str, invocation_type: Option<&str>, body: Vec<u8>| {
        let mut r = http
            .post(format!(
                "http://{api}/2015-03-31/functions/{name}/invocations"
            ))
            .body(body);
        if let Some(t) = invocation_type {
            r = r.header("x-amz-invocation-type", t);
        }
        r.send()
    };
    let error_type = |r: &reqwest::Response| r.headers()["x-amzn-errortype"].clone();

    let r = invoke("nope", None, b"{}".to_vec()).await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_type(&r), "ResourceNotFoundException");
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["Message"],
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"
    );

    let r = invoke("hello", None, b"{not json".to_vec()).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_type(&r), "InvalidRequestContentException");

    let r = invoke("hello", Some("DryRun"), vec![]).await.unwrap();
    assert_eq!(r.status(), 204);

    // An unknown invocation type: Lambda's ValidationException.
    let r = invoke("hello", Some("Later"), b"{}".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_type(&r), "ValidationException");
    let v: Value = r.json().await.unwrap();
    assert!(v["message"]
        .as_str()
        .unwrap()
        .starts_with("1 validation error detected: Value 'Later' at 'invocationType'"));

    let r = invoke("hello", None, vec![b' '; 6_291_457]).await.unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(error_type(&r), "RequestEntityTooLargeException");

    // Event invocations take at most 1 MB.
    let mut big = br#"{"x":""#.to_vec();
    big.extend(vec![b'a'; 1_048_576]);
    big.extend(br#""}"#);
    let r = invoke("hello", Some("Event"), big.clone()).await.unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(error_type(&r), "RequestEntityTooLargeException");
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["message"],
        format!(
            "{} byte payload is too large for the Event invocation type (limit 1048576 bytes)",
            big.len()
        )
    );
    let r = invoke("hello", Some("Event"), b"{}".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status(), 202);

    let r = invoke("hello", None, br#"{"x":1}"#.to_vec()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-amz-executed-version"], "$LATEST");
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"statusCode":200,"body":"\"Hello from Lambda!\""}"#
    );
}

#[test]
fn cli_refuses_bad_input_with_clear_messages() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path();
    let e = cli_err(s, &["function", "create", "f", "--runtime", "nodejs8.10"]);
    assert!(
        e.contains("failed to satisfy constraint: Member must satisfy enum value set"),
        "{e}"
    );
    let e = cli_err(
        s,
        &[
            "function",
            "create",
            "f",
            "--runtime",
            "nodejs20.x",
            "--memory",
            "64",
        ],
    );
    assert!(
        e.contains("Member must have value greater than or equal to 128"),
        "{e}"
    );
    let e = cli_err(
        s,
        &[
            "function",
            "create",
            "f",
            "--runtime",
            "nodejs20.x",
            "--timeout",
            "901",
        ],
    );
    assert!(e.contains("less than or equal to 900"), "{e}");
    let e = cli_err(
        s,
        &["function", "create", "bad name", "--runtime", "nodejs20.x"],
    );
    assert!(e.contains("functionName"), "{e}");
    let e = cli_err(
        s,
        &[
            "function",
            "create",
            "f",
            "--runtime",
            "nodejs20.x",
            "--env",
            "AWS_REGION=x",
        ],
    );
    assert!(e.contains("reserved keys"), "{e}");
    let e = cli_err(
        s,
        &["function", "create", "f", "--runtime", "provided.al2023"],
    );
    assert!(e.contains("no default template"), "{e}");
    let notzip = s.join("code.zip");
    std::fs::write(&notzip, "not a zip").unwrap();
    let e = cli_err(
        s,
        &[
            "function",
            "create",
            "f",
            "--runtime",
            "nodejs20.x",
            "--code",
            notzip.to_str().unwrap(),
        ],
    );
    assert!(e.contains("Could not unzip"), "{e}");
    common::cli(s, &["function", "create", "f", "--runtime", "nodejs20.x"]);
    let e = cli_err(s, &["function", "create", "f", "--runtime", "nodejs20.x"]);
    assert!(e.contains("Function already exist: f"), "{e}");
    let e = cli_err(s, &["function", "url", "f", "--auth-type", "IAM"]);
    assert!(
        e.contains("Member must satisfy enum value set: [NONE, AWS_IAM]"),
        "{e}"
    );
    let e = cli_err(
        s,
        &[
            "function",
            "url",
            "f",
            "--cors",
            r#"{"AllowMethods":["OPTIONS"]}"#,
        ],
    );
    assert!(e.contains("cors.allowMethods"), "{e}");
    let e = cli_err(s, &["function", "invoke", "f", "--payload", "{oops"]);
    assert!(e.contains("--payload must be JSON"), "{e}");
    let e = cli_err(s, &["function", "invoke", "missing"]);
    assert!(e.contains("Function not found"), "{e}");
    std::fs::write(s.join("config.toml"), "url_prot = 1\n").unwrap();
    let e = cli_err(s, &["function", "list"]);
    assert!(e.contains("unknown field `url_prot`"), "{e}");
}

#[test]
fn cli_invoke_runs_in_process_without_a_server() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path();
    common::cli(s, &["function", "create", "f", "--runtime", "python3.11"]);
    let out = common::cli(s, &["function", "invoke", "f", "--payload", "{}"]);
    assert_eq!(
        out.trim(),
        r#"{"statusCode": 200, "body": "\"Hello from Lambda!\""}"#
    );
    let logs = common::cli(s, &["logs", "f"]);
    assert!(logs.contains("REPORT RequestId"), "{logs}");
}
