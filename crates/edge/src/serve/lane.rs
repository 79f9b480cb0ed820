//! One HTTP/1.x connection: each request head is read here and either answered by the hit
//! lane (`Edge::lane_hit`) or handed, with every byte read so far, to pingora's proxy as its
//! next request (`set_pipelined_prefix`), whose session gives the connection back when it
//! can be reused. Pipelined requests are answered in order: what follows one request in the
//! buffer is the next.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use pingora::apps::HttpServerApp;
use pingora::http::RequestHeader;
use pingora::protocols::http::ServerSession;
use pingora::protocols::Stream;
use pingora::proxy::HttpProxy;
use pingora::server::ShutdownWatch;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::proxy::Edge;

/// How long an idle keep-alive connection waits for its next request (pingora's default).
const KEEPALIVE: Duration = Duration::from_secs(60);

/// A head longer than this is left to pingora (which answers 413 past CloudFront's limit).
const MAX_LANE_HEAD: usize = 16 * 1024;

/// Free space made in the read buffer before each read.
const READ_RESERVE: usize = 4096;

/// Headers a lane request may carry; more and pingora reads it.
const MAX_LANE_HEADERS: usize = 64;

/// Serves an HTTP/1.x connection until it closes.
pub(super) async fn serve_h1(
    edge: &Edge,
    proxy: &Arc<HttpProxy<Edge>>,
    mut stream: Stream,
    peer: SocketAddr,
    shutdown: &ShutdownWatch,
) {
    let mut buf = BytesMut::new();
    loop {
        // The next request head, or `None` when pingora should read this one.
        let parsed = loop {
            if !buf.is_empty() {
                match parse(&buf) {
                    Parsed::Lane(req, len) => break Some((req, len)),
                    Parsed::Partial if buf.len() < MAX_LANE_HEAD => {}
                    Parsed::Partial | Parsed::Other => break None,
                }
            }
            // Room for a whole head in one read (BytesMut would otherwise grow 64 B a time).
            buf.reserve(READ_RESERVE);
            match tokio::time::timeout(KEEPALIVE, stream.read_buf(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => {}
                // Closed, failed or idle too long: a request half sent is dropped, as
                // pingora drops it.
                _ => return,
            }
        };
        if let Some((req, len)) = parsed {
            let keepalive = !wants_close(&req);
            match edge.lane_hit(&req, len, peer).await {
                Ok(Some(mut hit)) => {
                    crate::stats::lane_hits().increment(1);
                    buf.advance(len);
                    let (sent, error) = write_hit(&mut stream, &mut hit, keepalive).await;
                    edge.lane_logged(&req, &mut hit, sent, peer, error.as_deref());
                    if error.is_some() || !keepalive {
                        let _ = stream.shutdown().await;
                        return;
                    }
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::debug!("hit lane: {e}"),
            }
        }
        // pingora reads this request from what was read so far, then the stream.
        let mut session = ServerSession::new_http1(stream);
        session.set_keepalive(Some(KEEPALIVE.as_secs()));
        if !buf.is_empty() {
            session.set_pipelined_prefix(std::mem::take(&mut buf));
        }
        match proxy.process_new_http(session, shutdown).await {
            Some(reused) => stream = reused.consume().0,
            None => return,
        }
    }
}

/// Writes a lane hit: the head, then the body (the stream coalesces them into one write).
/// Returns the body bytes written and the error that stopped it.
async fn write_hit(
    stream: &mut Stream,
    hit: &mut crate::proxy::LaneHit,
    keepalive: bool,
) -> (usize, Option<Box<pingora::Error>>) {
    let head = match hit.head_bytes(keepalive) {
        Ok(h) => h,
        Err(e) => return (0, Some(e)),
    };
    let down = |e: std::io::Error| {
        let mut e = pingora::Error::because(pingora::ErrorType::WriteError, "writing a hit", e);
        e.as_down();
        Some(e)
    };
    if let Err(e) = stream.write_all(&head).await {
        return (0, down(e));
    }
    let mut sent = 0;
    for chunk in hit.body() {
        if let Err(e) = stream.write_all(chunk).await {
            return (sent, down(e));
        }
        sent += chunk.len();
    }
    match stream.flush().await {
        Ok(()) => (sent, None),
        Err(e) => (sent, down(e)),
    }
}

/// `Connection: close` (the only other token [`parse`] lets through is `keep-alive`).
fn wants_close(req: &RequestHeader) -> bool {
    req.headers
        .get_all(http::header::CONNECTION)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
}

#[allow(clippy::large_enum_variant)] // lives on the stack for one request; boxing would allocate
enum Parsed {
    /// A plain HTTP/1.1 GET or HEAD without a body, and its head's length.
    Lane(RequestHeader, usize),
    /// The head is not complete yet.
    Partial,
    /// Anything else: pingora reads it.
    Other,
}

/// Reads the request head at the start of `buf`. Only what the lane can answer parses:
/// HTTP/1.1, GET or HEAD, no `Upgrade`, `Expect`, `Content-Length` or `Transfer-Encoding`,
/// no `Connection` token but `keep-alive` and `close`.
fn parse(buf: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_LANE_HEADERS];
    let mut r = httparse::Request::new(&mut headers);
    let len = match r.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(_) => return Parsed::Other,
    };
    let (Some(method), Some(path), Some(1)) = (r.method, r.path, r.version) else {
        return Parsed::Other;
    };
    if !matches!(method, "GET" | "HEAD") || !path.starts_with('/') {
        return Parsed::Other;
    }
    let Ok(mut req) = RequestHeader::build_no_case(method, path.as_bytes(), Some(r.headers.len()))
    else {
        return Parsed::Other;
    };
    for h in r.headers.iter() {
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(h.name.as_bytes()),
            http::HeaderValue::from_bytes(h.value),
        ) else {
            return Parsed::Other;
        };
        use http::header::{CONNECTION, CONTENT_LENGTH, EXPECT, TRANSFER_ENCODING, UPGRADE};
        if [UPGRADE, EXPECT, CONTENT_LENGTH, TRANSFER_ENCODING].contains(&name) {
            return Parsed::Other;
        }
        if name == CONNECTION
            && !value.as_bytes().split(|&b| b == b',').all(|t| {
                let t = t.trim_ascii();
                t.eq_ignore_ascii_case(b"keep-alive") || t.eq_ignore_ascii_case(b"close")
            })
        {
            return Parsed::Other;
        }
        if req.append_header(name, value).is_err() {
            return Parsed::Other;
        }
    }
    Parsed::Lane(req, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane(raw: &[u8]) -> Option<(RequestHeader, usize)> {
        match parse(raw) {
            Parsed::Lane(r, n) => Some((r, n)),
            _ => None,
        }
    }

    #[test]
    fn plain_gets_and_heads_parse_with_their_length() {
        let raw = b"GET /a?b=1 HTTP/1.1\r\nHost: d.example\r\nX-One: 1\r\n\r\nGET /next";
        let (req, len) = lane(raw).unwrap();
        assert_eq!(len, raw.len() - b"GET /next".len());
        assert_eq!(req.method, http::Method::GET);
        assert_eq!(req.uri.path(), "/a");
        assert_eq!(req.uri.query(), Some("b=1"));
        assert_eq!(req.headers["host"], "d.example");
        assert_eq!(req.headers["x-one"], "1");
        assert!(lane(b"HEAD / HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n").is_some());
    }

    #[test]
    fn everything_else_is_left_to_pingora() {
        assert!(matches!(
            parse(b"GET / HTTP/1.1\r\nHost: d\r\n"),
            Parsed::Partial
        ));
        for raw in [
            &b"POST / HTTP/1.1\r\nHost: d\r\nContent-Length: 1\r\n\r\nx"[..],
            b"GET / HTTP/1.0\r\nHost: d\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: d\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: d\r\nExpect: 100-continue\r\n\r\n",
            b"GET http://d/ HTTP/1.1\r\nHost: d\r\n\r\n",
            b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        ] {
            assert!(
                matches!(parse(raw), Parsed::Other),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn connection_close_is_read() {
        let (req, _) = lane(b"GET / HTTP/1.1\r\nHost: d\r\nConnection: Close\r\n\r\n").unwrap();
        assert!(wants_close(&req));
        let (req, _) = lane(b"GET / HTTP/1.1\r\nHost: d\r\n\r\n").unwrap();
        assert!(!wants_close(&req));
    }
}
