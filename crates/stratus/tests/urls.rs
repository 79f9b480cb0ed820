//! Function URL behaviour, end to end: request → event 2.0, result → HTTP, AWS_IAM (SigV4),
//! CORS, and response streaming.

mod common;

use std::time::{Duration, SystemTime};

use common::{fixture, Server};
use serde_json::Value;

fn dir(name: &str) -> String {
    fixture(name).display().to_string()
}

async fn echo(server: &Server, url_args: &[&str]) -> String {
    server
        .function_with_url(
            "echo",
            &["--runtime", "nodejs20.x", "--code", &dir("node-echo")],
            url_args,
        )
        .await
}

#[tokio::test]
async fn urls_invocation_request_becomes_payload_format_2_0() {
    let server = Server::start("");
    let url = echo(&server, &[]).await;
    let host = common::host_of(&url);
    let client = server.client(&url);
    let resp = client
        .post(format!("{url}pa2%Fth/1?m=foo&m=%2Fbar&empty="))
        .header("cookie", "a=1; b=2")
        .header("x-multi", "one")
        .header("content-type", "application/json")
        .header("user-agent", "stratus-test/1")
        .body(r#"{"k":"v"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let request_id = resp.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let v: Value = resp.json().await.unwrap();
    let e = &v["event"];
    assert_eq!(e["version"], "2.0");
    assert_eq!(e["routeKey"], "$default");
    assert_eq!(e["rawPath"], "/pa2%Fth/1", "percent-encoding kept");
    assert_eq!(e["rawQueryString"], "m=foo&m=%2Fbar&empty=");
    assert_eq!(e["queryStringParameters"]["m"], "foo,/bar");
    assert_eq!(e["queryStringParameters"]["empty"], "");
    assert_eq!(e["cookies"], serde_json::json!(["a=1", "b=2"]));
    assert_eq!(e["headers"]["cookie"], "a=1; b=2");
    // The host as the client addressed it (its port is not the default one here).
    assert_eq!(
        e["headers"]["host"],
        format!("{host}:{}", server.url_addr.port())
    );
    assert_eq!(e["headers"]["x-forwarded-proto"], "https");
    assert_eq!(e["headers"]["x-forwarded-for"], "127.0.0.1");
    assert_eq!(e["headers"]["x-amzn-tls-version"], "TLSv1.3");
    assert!(e["headers"]["x-amzn-trace-id"]
        .as_str()
        .unwrap()
        .starts_with("Root=1-"));
    assert!(e["headers"].get("connection").is_none());
    assert_eq!(e["body"], r#"{"k":"v"}"#);
    assert_eq!(e["isBase64Encoded"], false);
    let rc = &e["requestContext"];
    assert_eq!(rc["accountId"], "anonymous");
    assert_eq!(
        rc["requestId"],
        request_id.as_str(),
        "the URL's request id is the invocation's"
    );
    assert_eq!(v["requestId"], request_id.as_str());
    assert_eq!(rc["domainName"], host.as_str());
    assert_eq!(rc["apiId"], host.split('.').next().unwrap());
    assert_eq!(rc["http"]["method"], "POST");
    assert_eq!(rc["http"]["path"], "/pa2%Fth/1");
    assert_eq!(rc["http"]["sourceIp"], "127.0.0.1");
    assert_eq!(rc["http"]["userAgent"], "stratus-test/1");
    assert_eq!(rc["stage"], "$default");
    assert!(rc["timeEpoch"].is_i64());
    assert!(rc["time"].as_str().unwrap().ends_with(" +0000"));

    // Form posts and bodies without a content type arrive base64-encoded.
    let v: Value = client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a=1&b=2")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["event"]["isBase64Encoded"], true);
    assert_eq!(v["event"]["body"], "YT0xJmI9Mg==");
    // No body, no query, no cookies: the fields are absent, not null.
    let v: Value = common::json(&client, &url).await;
    for absent in ["body", "cookies", "queryStringParameters"] {
        assert!(
            v["event"].get(absent).is_none(),
            "{absent} should be absent: {}",
            v["event"]
        );
    }
    assert_eq!(v["event"]["rawQueryString"], "");
}

#[tokio::test]
async fn urls_invocation_response_mapping() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "shapes",
            &["--runtime", "nodejs20.x", "--code", &dir("node-behaviors")],
            &[],
        )
        .await;
    let client = server.client(&url);
    let get = |path: &str| {
        let c = client.clone();
        let u = format!("{url}{path}");
        async move {
            let r = c.get(u).send().await.unwrap();
            let status = r.status().as_u16();
            let headers = r.headers().clone();
            (status, headers, r.bytes().await.unwrap())
        }
    };
    let (s, h, b) = get("string").await;
    assert_eq!(
        (s, &b[..]),
        (200, &b"hello"[..]),
        "a string loses its quotes"
    );
    assert_eq!(h["content-type"], "application/json");
    let (_, _, b) = get("object").await;
    assert_eq!(&b[..], br#"{"hello":"world"}"#, "re-serialised compactly");
    assert_eq!(&get("number").await.2[..], b"3.1");
    assert_eq!(&get("array").await.2[..], br#"["hello",3,true]"#);
    let (s, _, b) = get("teapot").await;
    assert_eq!(
        (s, &b[..]),
        (418, &b"short and stout"[..]),
        "numeric string statusCode"
    );
    let (s, h, b) = get("cookies").await;
    assert_eq!(s, 200);
    let cookies: Vec<_> = h
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(cookies, ["a=1; Path=/", "b=2"]);
    assert_eq!(h["x-custom"], "yes");
    assert_eq!(&b[..], b"ok");
    let (_, h, b) = get("base64").await;
    assert_eq!(&b[..], &[0, 1, 2, 255]);
    assert_eq!(h["content-type"], "application/octet-stream");
    let (_, h, _) = get("html").await;
    assert_eq!(h["content-type"], "text/html");
}

fn sign(
    url: &str,
    method: &str,
    body: &[u8],
    key: (&str, &str),
    at: SystemTime,
) -> Vec<(String, String)> {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    use aws_sigv4::sign::v4;
    let identity = aws_credential_types::Credentials::new(key.0, key.1, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("lambda")
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable =
        SignableRequest::new(method, url, std::iter::empty(), SignableBody::Bytes(body)).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn local_key(server: &Server) -> (String, String) {
    let text = std::fs::read_to_string(server.state().join("credentials")).unwrap();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| {
                l.split_once('=')
                    .filter(|(a, _)| a.trim() == k)
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap()
    };
    (get("aws_access_key_id"), get("aws_secret_access_key"))
}

#[tokio::test]
async fn urls_auth_aws_iam_allows_signed_and_denies_the_rest() {
    let server = Server::start("");
    let url = echo(&server, &["--auth-type", "AWS_IAM"]).await;
    let client = server.client(&url);
    let (id, secret) = local_key(&server);
    let target = format!("{url}signed?x=1");
    let body = br#"{"a":1}"#;

    let unsigned = client.post(&target).body(&body[..]).send().await.unwrap();
    assert_eq!(unsigned.status(), 403);
    assert_eq!(
        unsigned.headers()["x-amzn-errortype"],
        "AccessDeniedException"
    );

    let mut req = client.post(&target).body(&body[..]);
    for (k, v) in sign(&target, "POST", body, (&id, &secret), SystemTime::now()) {
        req = req.header(k, v);
    }
    let ok = req.send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let v: Value = ok.json().await.unwrap();
    let iam = &v["event"]["requestContext"]["authorizer"]["iam"];
    assert_eq!(iam["accessKey"], id.as_str());
    assert_eq!(v["event"]["requestContext"]["accountId"], "000000000000");
    assert!(
        v["event"]["headers"].get("x-amz-date").is_some(),
        "x-amz-* headers reach the function"
    );

    let mut forged = client.post(&target).body(&body[..]);
    for (k, v) in sign(
        &target,
        "POST",
        body,
        (&id, "not-the-secret"),
        SystemTime::now(),
    ) {
        forged = forged.header(k, v);
    }
    let r = forged.send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["x-amzn-errortype"], "InvalidSignatureException");

    let old = SystemTime::now() - Duration::from_secs(3600);
    let mut expired = client.post(&target).body(&body[..]);
    for (k, v) in sign(&target, "POST", body, (&id, &secret), old) {
        expired = expired.header(k, v);
    }
    let r = expired.send().await.unwrap();
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["Message"]
            .as_str()
            .unwrap()
            .starts_with("Signature expired"),
        "{v}"
    );

    let mut unknown = client.post(&target).body(&body[..]);
    for (k, v) in sign(
        &target,
        "POST",
        body,
        ("AKIAUNKNOWN", &secret),
        SystemTime::now(),
    ) {
        unknown = unknown.header(k, v);
    }
    let r = unknown.send().await.unwrap();
    assert_eq!(
        r.headers()["x-amzn-errortype"],
        "UnrecognizedClientException"
    );
    // None of the refused requests reached the function: one START, the signed request's.
    let log = server.wait_log("echo", "REPORT RequestId").await;
    assert_eq!(log.matches("START RequestId").count(), 1, "{log}");
}

#[tokio::test]
async fn urls_configuration_cors_preflight_is_answered_without_invoking() {
    let server = Server::start("");
    let cors = r#"{"AllowOrigins":["https://app.example"],"AllowMethods":["GET","POST"],"AllowHeaders":["content-type","x-token"],"AllowCredentials":true,"MaxAge":600,"ExposeHeaders":["x-id"]}"#;
    let url = echo(&server, &["--cors", cors]).await;
    let client = server.client(&url);
    let r = client
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "https://app.example");
    assert_eq!(h["access-control-allow-methods"], "GET,POST");
    assert_eq!(h["access-control-allow-headers"], "content-type,x-token");
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert_eq!(h["access-control-max-age"], "600");
    assert_eq!(h["vary"], "Origin");

    let r = client
        .get(&url)
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(r.headers()["access-control-expose-headers"], "x-id");
    assert_eq!(r.headers()["vary"], "Origin");
    // The preflight never reached the function: the only invocation is the GET's.
    let id = r.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let log = server
        .wait_log("echo", &format!("REPORT RequestId: {id}"))
        .await;
    assert_eq!(log.matches("START RequestId").count(), 1, "{log}");
}

#[tokio::test]
async fn response_stream_pieces_arrive_before_the_function_ends() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "streamer",
            &[
                "--runtime",
                "nodejs20.x",
                "--code",
                &dir("node-stream"),
                "--timeout",
                "15",
            ],
            &["--invoke-mode", "RESPONSE_STREAM"],
        )
        .await;
    let flag = server.state().join("flag");
    let client = server.client(&url);
    let mut resp = client
        .get(format!("{url}?flag={}", flag.display()))
        .send()
        .await
        .unwrap();
    // The prelude set the status, headers and cookies.
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["content-type"], "text/plain");
    assert_eq!(resp.headers()["x-streamed"], "yes");
    assert_eq!(resp.headers()["set-cookie"], "s=1");
    // The first piece arrives while the function is still waiting for us.
    let mut got = Vec::new();
    while !String::from_utf8_lossy(&got).contains("piece-1;") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), resp.chunk())
            .await
            .expect("the first piece arrives while the function still runs")
            .unwrap()
            .expect("stream ended early");
        got.extend_from_slice(&chunk);
    }
    assert!(!String::from_utf8_lossy(&got).contains("piece-2"));
    std::fs::write(&flag, "go").unwrap();
    while let Some(chunk) = resp.chunk().await.unwrap() {
        got.extend_from_slice(&chunk);
    }
    assert_eq!(String::from_utf8_lossy(&got), "piece-1;piece-2;piece-3");

    // A failure mid-stream cuts the body short: the status was already sent.
    let mut resp = client.get(format!("{url}fail")).send().await.unwrap();
    assert_eq!(resp.status(), 201);
    let mut body = Vec::new();
    let mut failed = false;
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => body.extend_from_slice(&c),
            Ok(None) => break,
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(
        failed,
        "the client sees an incomplete response: {:?}",
        String::from_utf8_lossy(&body)
    );
    assert!(!String::from_utf8_lossy(&body).contains("piece-3"));
}

#[tokio::test]
async fn a_buffered_handler_behind_response_stream_serves_its_raw_result() {
    let server = Server::start("");
    let url = server
        .function_with_url(
            "raw",
            &["--runtime", "nodejs20.x"],
            &["--invoke-mode", "RESPONSE_STREAM"],
        )
        .await;
    let r = server.client(&url).get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        serde_json::json!({"statusCode":200,"body":"\"Hello from Lambda!\""})
    );
}
