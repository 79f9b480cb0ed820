//! Custom error responses (`CustomErrorResponses`): when the origin answers (or CloudFront
//! generates) a status the distribution customises, CloudFront fetches `ResponsePagePath`
//! through the first cache behavior whose pattern matches it — cached like any object — and
//! sends that page with `ResponseCode` (or the original status).
//!
//! The edge fetches the page the same way: an HTTP request to its own listener on loopback,
//! so the page goes through routing, the cache key, the cache and the page's origin exactly
//! like a viewer's request. A per-process token marks the request as internal: it skips the
//! viewer protocol policy (CloudFront fetches pages itself) and never gets a custom page of
//! its own (no loops).

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use stratus_model::cloudfront::distribution::{CustomErrorResponse, DistributionConfig};

/// The header that marks an internal page fetch; removed before anything else reads the
/// request.
pub const INTERNAL_HEADER: &str = "x-stratus-internal-fetch";

/// The largest page fetched (CloudFront's own limit on error pages is not documented; a page
/// is an HTML document, and this keeps a misconfigured path from pulling a video through).
const MAX_PAGE: usize = 10 * 1024 * 1024;

/// How long a page fetch may take before the original error is sent instead.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// The `CustomErrorResponse` of `config` for `status`, if any.
pub fn custom_response(config: &DistributionConfig, status: u16) -> Option<&CustomErrorResponse> {
    config
        .custom_error_responses
        .iter()
        .find(|r| r.error_code == status)
}

/// The `CustomErrorResponse` that replaces the page for `status` (it names a page path).
pub fn replacement(config: &DistributionConfig, status: u16) -> Option<&CustomErrorResponse> {
    custom_response(config, status).filter(|r| r.response_page_path.is_some())
}

/// A fetched custom error page, ready to send.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    /// `ResponseCode`, or the original status.
    pub status: u16,
    /// The page's headers as its own response carried them (without the framing headers:
    /// `Content-Length` is the page's, set by whoever sends it).
    pub headers: HeaderMap,
    /// The page.
    pub body: Bytes,
}

/// Fetches custom error pages through this edge's own HTTP listener.
#[derive(Debug)]
pub struct PageFetcher {
    addr: OnceLock<SocketAddr>,
    token: String,
}

impl Default for PageFetcher {
    fn default() -> Self {
        Self::new()
    }
}

impl PageFetcher {
    /// A fetcher with a fresh token; [`PageFetcher::set_listener`] tells it where to send.
    pub fn new() -> Self {
        Self {
            addr: OnceLock::new(),
            token: format!("{:032x}", rand::random::<u128>()),
        }
    }

    /// The edge's plain-HTTP listener (an unspecified address becomes loopback).
    pub fn set_listener(&self, mut addr: SocketAddr) {
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = self.addr.set(addr);
    }

    /// Is `value` (of [`INTERNAL_HEADER`]) this process's token?
    pub fn is_internal(&self, value: &[u8]) -> bool {
        value == self.token.as_bytes()
    }

    /// Fetches `response`'s page for distribution `domain`; `None` when the page cannot be
    /// had (no listener, the request failed, or the page is not a 2xx), and the caller sends
    /// the original error.
    pub async fn fetch(
        &self,
        domain: &str,
        original: u16,
        response: &CustomErrorResponse,
    ) -> Option<ErrorPage> {
        let path = response.response_page_path.as_deref()?;
        let addr = *self.addr.get()?;
        let fetched = tokio::time::timeout(FETCH_TIMEOUT, self.get(addr, domain, path)).await;
        let (status, headers, body) = match fetched {
            Ok(Ok(page)) => page,
            Ok(Err(e)) => {
                tracing::debug!(path, "custom error page fetch failed: {e}");
                return None;
            }
            Err(_) => {
                tracing::debug!(path, "custom error page fetch timed out");
                return None;
            }
        };
        if !status.is_success() {
            tracing::debug!(path, %status, "custom error page is not a success");
            return None;
        }
        Some(ErrorPage {
            status: response.response_code.unwrap_or(original),
            headers,
            body,
        })
    }

    async fn get(
        &self,
        addr: SocketAddr,
        domain: &str,
        path: &str,
    ) -> Result<(StatusCode, HeaderMap, Bytes), Box<dyn std::error::Error + Send + Sync>> {
        let tcp = tokio::net::TcpStream::connect(addr).await?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        let request = http::Request::get(path)
            .header(http::header::HOST, domain)
            .header(INTERNAL_HEADER, self.token.as_str())
            .body(Empty::<Bytes>::new())?;
        let response = sender.send_request(request).await?;
        let (mut parts, body) = response.into_parts();
        let body = Limited::new(body, MAX_PAGE).collect().await?.to_bytes();
        driver.abort();
        for framing in [
            http::header::CONTENT_LENGTH,
            http::header::TRANSFER_ENCODING,
            http::header::CONNECTION,
            http::header::HeaderName::from_static("keep-alive"),
        ] {
            parts.headers.remove(framing);
        }
        Ok((parts.status, parts.headers, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(responses: &str) -> DistributionConfig {
        DistributionConfig::from_json(&format!(
            r#"{{
              "Enabled": true,
              "Origins": [{{"Id": "o", "DomainName": "origin.example",
                           "CustomOriginConfig": {{"OriginProtocolPolicy": "http-only"}}}}],
              "DefaultCacheBehavior": {{"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}},
              "CustomErrorResponses": [{responses}]
            }}"#
        ))
        .unwrap()
    }

    #[test]
    fn replacement_needs_a_page_path() {
        let c = config(
            r#"{"ErrorCode": 404, "ResponsePagePath": "/404.html", "ResponseCode": "200"},
               {"ErrorCode": 503, "ErrorCachingMinTTL": 0}"#,
        );
        assert_eq!(
            replacement(&c, 404).and_then(|r| r.response_page_path.as_deref()),
            Some("/404.html")
        );
        assert!(replacement(&c, 503).is_none());
        assert_eq!(
            custom_response(&c, 503).map(|r| r.error_caching_min_ttl),
            Some(0)
        );
        assert!(custom_response(&c, 500).is_none());
    }

    #[test]
    fn tokens_are_per_fetcher_and_exact() {
        let (a, b) = (PageFetcher::new(), PageFetcher::new());
        assert!(a.is_internal(a.token.as_bytes()));
        assert!(!a.is_internal(b.token.as_bytes()));
        assert!(!a.is_internal(b""));
    }

    #[test]
    fn unspecified_listener_becomes_loopback() {
        let f = PageFetcher::new();
        f.set_listener("0.0.0.0:8080".parse().unwrap());
        assert_eq!(
            f.addr.get().copied(),
            Some("127.0.0.1:8080".parse().unwrap())
        );
    }
}
