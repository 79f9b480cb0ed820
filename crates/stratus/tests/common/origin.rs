//! A test origin: a real HTTP/1.1 server on a loopback port the OS chose, answering each path
//! with a canned response the test sets (and may change), counting the requests it gets.
//! Every response says `Connection: close`, so stopping it leaves no pooled connection that
//! could still answer.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;

#[derive(Clone)]
struct Canned {
    delay: std::time::Duration,
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Canned>,
    hits: HashMap<String, usize>,
    methods: HashMap<String, String>,
    headers: HashMap<String, http::HeaderMap>,
    queries: HashMap<String, String>,
}

pub struct TestOrigin {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestOrigin {
    pub async fn start() -> TestOrigin {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let app = axum::Router::new().fallback(move |req: Request| {
            let state = shared.clone();
            async move {
                let (delay, response) = answer(&state, req);
                tokio::time::sleep(delay).await;
                response
            }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestOrigin {
            addr,
            state,
            task: Some(task),
        }
    }

    /// Answers `path` with `status`, `headers` and `body` from now on.
    pub fn route(&self, path: &str, status: u16, headers: &[(&str, &str)], body: &str) {
        self.state.lock().unwrap().routes.insert(
            path.to_string(),
            Canned {
                delay: std::time::Duration::ZERO,
                status,
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                body: body.to_string(),
            },
        );
    }

    /// Answers `path` only after `delay` from now on.
    pub fn delay(&self, path: &str, delay: std::time::Duration) {
        if let Some(c) = self.state.lock().unwrap().routes.get_mut(path) {
            c.delay = delay;
        }
    }

    /// Requests `path` got (any query string).
    pub fn hits(&self, path: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// The method of the last request for `path`.
    pub fn last_method(&self, path: &str) -> Option<String> {
        self.state.lock().unwrap().methods.get(path).cloned()
    }

    /// The headers of the last request for `path`.
    pub fn last_headers(&self, path: &str) -> Option<http::HeaderMap> {
        self.state.lock().unwrap().headers.get(path).cloned()
    }

    /// The query string of the last request for `path` (empty when it had none).
    pub fn last_query(&self, path: &str) -> Option<String> {
        self.state.lock().unwrap().queries.get(path).cloned()
    }

    /// Stops listening: connections are refused from now on.
    pub fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

impl Drop for TestOrigin {
    fn drop(&mut self) {
        self.stop();
    }
}

fn answer(state: &Mutex<State>, req: Request) -> (std::time::Duration, Response) {
    let path = req.uri().path().to_string();
    let mut s = state.lock().unwrap();
    *s.hits.entry(path.clone()).or_default() += 1;
    s.methods.insert(path.clone(), req.method().to_string());
    s.headers.insert(path.clone(), req.headers().clone());
    s.queries.insert(
        path.clone(),
        req.uri().query().unwrap_or_default().to_string(),
    );
    let canned = s.routes.get(&path).cloned().unwrap_or(Canned {
        delay: std::time::Duration::ZERO,
        status: 404,
        headers: vec![],
        body: format!("no route for {path}"),
    });
    let mut builder = Response::builder()
        .status(canned.status)
        .header("connection", "close");
    for (n, v) in &canned.headers {
        builder = builder.header(n, v);
    }
    (canned.delay, builder.body(Body::from(canned.body)).unwrap())
}
