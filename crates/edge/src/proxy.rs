//! The edge: one `ProxyHttp` implementation on pingora, each phase calling this crate's pure
//! rules (`docs/edge.md` has the phase chart). It routes by `Host` and path, answers what
//! CloudFront answers itself (redirects, 403s, error pages), and proxies to the behavior's
//! origin with the origin request CloudFront would send.
//!
//! Caching: `request_cache_filter` enables pingora's cache for behaviors whose cache policy
//! allows it, `cache_key_callback` keys by the cache policy (`cache_key`),
//! `response_cache_filter` applies CloudFront's TTL table (`ttl`), and `X-Cache` reports
//! pingora's cache phase. Objects live in [`MemoryStorage`]; a cache lock collapses concurrent
//! misses for one key into one origin request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Version};
use pingora::cache::key::CacheHashKey;
use pingora::cache::lock::{CacheKeyLockImpl, CacheLock};
use pingora::cache::{
    CacheKey, CacheMeta, CachePhase, ForcedFreshness, HitHandler, NoCacheReason, RespCacheable,
};
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::protocols::http::compression::ResponseCompressionCtx;
use pingora::proxy::{FailToProxy, ProxyHttp, Session};
use pingora::upstreams::peer::HttpPeer;
use pingora::{Error, ErrorType, Result};
use stratus_model::cloudfront::distribution::OriginProtocolPolicy;
use stratus_model::cloudfront::policies::CachePolicyHeaderBehavior;

use crate::access_log::{AccessRecord, DetailedResult, EdgeResult, ViewerProtocol};
use crate::cache_control::CacheControl;
use crate::cache_key::{AcceptEncoding, CacheKeyParts, ViewerRequest as KeyViewer, ViewerScheme};
use crate::error_pages::{ErrorPage, INTERNAL_HEADER};
use crate::origin_request::{build_origin_request, EdgeIdentity, OriginTarget};
use crate::response_headers::{CacheTiming, RequestFacts, ServerTiming};
use crate::responses;
use crate::router::{
    CompiledBehavior, CompiledDistribution, EdgeConfig, Forbidden, Route, ViewerRequest,
};
use crate::storage::{MemoryStorage, MemoryStorageConfig};
use crate::ttl::{freshness, Freshness, OriginResponse};

mod lane;
pub(crate) use lane::LaneHit;

/// Origins Stratus serves itself (Function URL hosts): host → the local listener's address,
/// as DNS would answer on AWS.
pub type LocalOrigins = Arc<dyn Fn(&str) -> Option<SocketAddr> + Send + Sync>;

/// The cache every listener of the edge shares, created once per process (pingora wants
/// `'static` references).
#[derive(Clone, Copy)]
pub struct EdgeCache {
    /// Objects.
    pub storage: &'static MemoryStorage,
    /// Collapses concurrent misses for one key.
    pub lock: &'static CacheKeyLockImpl,
}

impl EdgeCache {
    /// A cache of `budget_bytes`, kept for the life of the process.
    pub fn leak(budget_bytes: usize) -> Self {
        let storage: &'static MemoryStorage = Box::leak(Box::new(MemoryStorage::new(
            MemoryStorageConfig::new(budget_bytes),
        )));
        // CloudFront: waiters follow the first request for a key; the lock outlives the
        // longest origin read timeout it allows (180 s).
        let lock: &'static CacheKeyLockImpl =
            Box::leak(Box::new(CacheLock::new(Duration::from_secs(180))));
        Self { storage, lock }
    }
}

impl std::fmt::Debug for EdgeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeCache")
            .field("objects", &self.storage.len())
            .field("bytes", &self.storage.size_bytes())
            .finish()
    }
}

/// What every request of the edge shares.
pub struct EdgeSettings {
    /// Standard access logs, one file per distribution; `None` logs nothing.
    pub access_log: Option<crate::access_log::AccessLogWriter>,
    /// The cache; `None` proxies everything.
    pub cache: Option<EdgeCache>,
    /// `X-Amz-Cf-Pop`.
    pub pop: String,
    /// Add `X-Stratus-Cache`, saying why a response was or was not cached (a debug aid
    /// CloudFront lacks).
    pub debug_headers: bool,
    /// The HTTPS listener's port, for `redirect-to-https` locations.
    pub https_port: Option<u16>,
    /// Origins served by this process.
    pub local_origins: LocalOrigins,
    /// Extra roots (DER) trusted for upstream TLS to local origins: the local CA.
    pub local_ca: Vec<Vec<u8>>,
    /// This edge's node name in `Via` (32 hex digits, one per process).
    pub node: String,
    /// Fetches custom error pages through this edge (its HTTP listener is set once bound).
    pub error_pages: crate::error_pages::PageFetcher,
    /// Stored cache keys by path, for the debug header's "which part differed".
    pub variants: crate::debug::Variants,
    /// Keys whose origin failed: their stale copies are served without asking it again for
    /// the error-caching period.
    pub holdoff: crate::holdoff::Holdoff,
}

impl std::fmt::Debug for EdgeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeSettings")
            .field("pop", &self.pop)
            .field("https_port", &self.https_port)
            .finish_non_exhaustive()
    }
}

/// The proxy for one listener (HTTP or HTTPS).
#[derive(Clone)]
pub struct Edge {
    config: Arc<ArcSwap<EdgeConfig>>,
    settings: Arc<EdgeSettings>,
    https: bool,
    local_ca: Option<Arc<pingora::protocols::tls::CaType>>,
    /// `Via` and `X-Amz-Cf-Pop` as stamped on every response.
    via: HeaderValue,
    /// This node's host in the `Via` of origin requests.
    via_host: String,
    pop: HeaderValue,
}

/// Per-request state.
#[derive(Debug, Default)]
pub struct EdgeCtx {
    request_id: String,
    distribution: Option<Arc<CompiledDistribution>>,
    behavior: Option<Arc<CompiledBehavior>>,
    local_origin: bool,
    /// Which member of an origin group this attempt uses (0: primary).
    member: usize,
    /// Connection attempts made to the current origin.
    connect_attempts: u32,
    /// The origin this attempt goes to.
    origin_id: Option<String>,
    /// The edge compresses this request's response (decided in `early_request_filter`).
    compress: bool,
    /// The compressor, made for an origin response that may be compressed: it runs before the
    /// response is cached (CloudFront stores the compressed object).
    compressor: Option<Box<Compressor>>,
    /// When the request arrived (Server-Timing, access log).
    started: Option<std::time::Instant>,
    /// The distribution the Host named, even when CloudFront answered itself.
    logged_distribution: Option<Arc<CompiledDistribution>>,
    /// The behavior the path matched (resolved once, in `early_request_filter`).
    matched: Option<Arc<CompiledBehavior>>,
    /// `Redirect` / `Error` for responses CloudFront generated.
    generated: Option<EdgeResult>,
    /// Why the response was or was not cached, for the debug header.
    cache_note: Option<String>,
    /// This edge fetching a custom error page for another request.
    internal: bool,
    /// The status the origin (or the cache) answered with, before a custom error page.
    origin_status: Option<u16>,
    /// The request's cache key and its parts, computed once (see `Edge::cache_key`).
    cache_key: Option<CacheKey>,
    key_parts: Option<CacheKeyParts>,
    /// Why this request missed (debug header).
    miss_note: Option<String>,
    /// Served by [`Edge::fast_hit`]: a Hit, though pingora's cache never ran.
    fast_hit: bool,
    /// When the current origin request was sent (origin latency).
    upstream_started: Option<std::time::Instant>,
    /// A custom error page replacing the response; its body goes out in
    /// `response_body_filter` (or whole from `fail_to_proxy`, for bodiless errors).
    error_page: Option<ErrorPage>,
    /// When the response header was handed to the viewer's connection (`time-to-first-byte`).
    first_byte: Option<Duration>,
    /// `x-edge-detailed-result-type` when the request itself decided it (a refused method).
    detailed: Option<DetailedResult>,
}

/// pingora's response compression, driven by the edge on the origin's response.
struct Compressor(ResponseCompressionCtx);

impl std::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Compressor")
    }
}

impl EdgeCtx {
    /// The origin of the current attempt: an origin group's member by attempt, or the
    /// behavior's origin.
    fn select_origin(&mut self) -> Option<String> {
        let (dist, b) = (self.distribution.as_ref()?, self.behavior.as_ref()?);
        let id = match dist.config.origin_group(&b.target_origin_id) {
            Some(g) => g.members.get(self.member)?.origin_id.clone(),
            None => b.target_origin_id.clone(),
        };
        self.origin_id = Some(id.clone());
        Some(id)
    }

    /// Can this request move to the group's secondary? CloudFront: only from the primary, only
    /// for GET, HEAD and OPTIONS.
    fn can_fail_over(&self, method: &http::Method) -> bool {
        let grouped = match (&self.distribution, &self.behavior) {
            (Some(d), Some(b)) => d.config.origin_group(&b.target_origin_id).is_some(),
            _ => false,
        };
        grouped
            && self.member == 0
            && matches!(
                *method,
                http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
            )
    }
}

impl Edge {
    /// An edge serving `config` (swapped by the caller on every deploy).
    pub fn new(config: Arc<ArcSwap<EdgeConfig>>, settings: Arc<EdgeSettings>, https: bool) -> Self {
        let local_ca = if settings.local_ca.is_empty() {
            None
        } else {
            let certs: Vec<_> = settings
                .local_ca
                .iter()
                .map(|der| {
                    pingora::utils::tls::WrappedX509::new(
                        der.clone(),
                        pingora::utils::tls::parse_x509,
                    )
                })
                .collect();
            Some(Arc::from(certs.into_boxed_slice()))
        };
        let via_host = format!("{}.cloudfront.net", settings.node);
        // Toward the viewer, CloudFront's `Via` names HTTP/1.1 whatever the viewer spoke.
        let via = HeaderValue::from_str(&crate::origin_request::via_value(
            Version::HTTP_11,
            &via_host,
        ))
        .unwrap_or(HeaderValue::from_static("1.1 cloudfront.net (CloudFront)"));
        let pop =
            HeaderValue::from_str(&settings.pop).unwrap_or(HeaderValue::from_static("LOC50-C1"));
        Self {
            config,
            settings,
            https,
            local_ca,
            via,
            via_host,
            pop,
        }
    }

    fn stamp(&self, resp: &mut ResponseHeader, request_id: &str, x_cache: &str) -> Result<()> {
        resp.insert_header("x-cache", x_cache)?;
        resp.insert_header("via", self.via.clone())?;
        resp.insert_header("x-amz-cf-pop", self.pop.clone())?;
        resp.insert_header("x-amz-cf-id", request_id)?;
        Ok(())
    }

    /// Writes a response CloudFront generates itself.
    async fn generated(
        &self,
        session: &mut Session,
        ctx: &mut EdgeCtx,
        status: u16,
        location: Option<&str>,
        body: String,
    ) -> Result<()> {
        let mut resp = ResponseHeader::build(status, Some(8))?;
        resp.insert_header("server", "CloudFront")?;
        resp.insert_header("content-type", "text/html")?;
        resp.insert_header("content-length", body.len().to_string())?;
        if let Some(l) = location {
            resp.insert_header("location", l)?;
        }
        let x_cache = if location.is_some() {
            "Redirect from cloudfront"
        } else {
            "Error from cloudfront"
        };
        ctx.generated = Some(if location.is_some() {
            EdgeResult::Redirect
        } else {
            EdgeResult::Error
        });
        self.stamp(&mut resp, &ctx.request_id, x_cache)?;
        ctx.first_byte = ctx.started.map(|t| t.elapsed());
        let head_only = session.req_header().method == http::Method::HEAD;
        session
            .write_response_header(Box::new(resp), head_only)
            .await?;
        if !head_only {
            session
                .write_response_body(Some(Bytes::from(body)), true)
                .await?;
        }
        Ok(())
    }
}

impl Edge {
    /// The request as the cache-key and origin-request rules read it, with `headers` (the
    /// viewer's, or those pingora prepared for the origin).
    fn key_viewer<'a>(
        &self,
        req: &'a RequestHeader,
        headers: &'a HeaderMap,
        peer: SocketAddr,
    ) -> KeyViewer<'a> {
        KeyViewer {
            method: &req.method,
            path: req.uri.path(),
            query: req.uri.query(),
            headers,
            peer,
            scheme: if self.https {
                ViewerScheme::Https
            } else {
                ViewerScheme::Http
            },
            version: req.version,
            country: None,
        }
    }

    /// The request's cache key under its behavior's cache policy, computed once per request
    /// (the fast path and pingora's cache both ask); its parts stay in `ctx` for invalidation
    /// matching and the debug header.
    fn cache_key(&self, session: &Session, ctx: &mut EdgeCtx) -> Result<CacheKey> {
        self.cache_key_of(session.req_header(), peer_of(session), ctx)
    }

    /// [`Edge::cache_key`] for a request read outside a pingora session.
    fn cache_key_of(
        &self,
        req: &RequestHeader,
        peer: SocketAddr,
        ctx: &mut EdgeCtx,
    ) -> Result<CacheKey> {
        if let Some(key) = &ctx.cache_key {
            return Ok(key.clone());
        }
        let (Some(dist), Some(b)) = (&ctx.distribution, &ctx.behavior) else {
            return Err(internal("no route for this request"));
        };
        let policy = &b.cache_policy;
        let headers = viewer_headers(req);
        let viewer = self.key_viewer(req, &headers, peer);
        let parts = CacheKeyParts::new(policy, &dist.domain, &viewer);
        let key = CacheKey::new(parts.hash_input(), dist.id.clone());
        ctx.key_parts = Some(parts);
        ctx.cache_key = Some(key.clone());
        Ok(key)
    }

    /// Was the stored object `meta` invalidated since it was stored? CloudFront: when query
    /// strings are in the cache key they are part of the path an invalidation matches: the
    /// keyed parameters, so every request that shares the object matches alike.
    fn invalidated(&self, session: &Session, meta: &CacheMeta, ctx: &EdgeCtx) -> bool {
        self.invalidated_at(session.req_header().uri.path(), meta, ctx)
    }

    /// [`Edge::invalidated`] for the request path `path`.
    fn invalidated_at(&self, path: &str, meta: &CacheMeta, ctx: &EdgeCtx) -> bool {
        let Some(dist) = &ctx.distribution else {
            return false;
        };
        if dist.invalidations.is_empty() {
            return false;
        }
        let query = ctx
            .key_parts
            .as_ref()
            .map(CacheKeyParts::query_string)
            .unwrap_or_default();
        let subject = if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        };
        dist.invalidations.invalidated(&subject, meta.created())
    }

    /// CloudFront's commonest answer without pingora's cache state machine: a fresh stored
    /// 200 with a `Content-Length`, for an unconditional GET or HEAD without `Range`, not
    /// invalidated. It is written exactly as pingora writes a hit (the stored header, `Age`,
    /// HTTP/1.1, then [`Edge::decorate`] and the downstream modules, e.g. compression);
    /// everything else (misses, stale or invalidated copies, conditional and range
    /// requests, other statuses, the debug header) returns `false` and takes pingora's path.
    async fn fast_hit(&self, session: &mut Session, ctx: &mut EdgeCtx) -> Result<bool> {
        let Some((mut header, body)) = self
            .fresh_hit(session.req_header(), peer_of(session), ctx)
            .await?
        else {
            return Ok(false);
        };
        let head = session.req_header().method == http::Method::HEAD;
        self.decorate(session, &mut header, ctx, CachePhase::Hit)
            .await?;
        ctx.fast_hit = true;
        session
            .write_response_header(Box::new(header), head || body.is_empty())
            .await?;
        if !head {
            let last = body.len().saturating_sub(1);
            for (i, chunk) in body.into_iter().enumerate() {
                session.write_response_body(Some(chunk), i == last).await?;
            }
        }
        Ok(true)
    }

    /// The stored response for `req` (routed: `ctx` has its distribution and behavior) when
    /// it is a fresh 200, the request an unconditional GET or HEAD without `Range`, and no
    /// invalidation covers it: its header with `Age` and a `Content-Length` (a compressed
    /// object was stored chunked), as HTTP/1.1, and its body. `None` sends the request
    /// through pingora's cache.
    async fn fresh_hit(
        &self,
        req: &RequestHeader,
        peer: SocketAddr,
        ctx: &mut EdgeCtx,
    ) -> Result<Option<(ResponseHeader, Vec<Bytes>)>> {
        let (Some(cache), Some(b)) = (&self.settings.cache, &ctx.behavior) else {
            return Ok(None);
        };
        if self.settings.debug_headers || ctx.internal {
            return Ok(None);
        }
        let head = req.method == http::Method::HEAD;
        if b.ttl.max_ttl == 0
            || !(head || req.method == http::Method::GET)
            || !b.cached_methods.caches(req.method.as_str())
        {
            return Ok(None);
        }
        use http::header::{
            IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE, RANGE,
        };
        let conditional = [
            RANGE,
            IF_NONE_MATCH,
            IF_MODIFIED_SINCE,
            IF_MATCH,
            IF_UNMODIFIED_SINCE,
            IF_RANGE,
        ];
        if conditional.iter().any(|h| req.headers.contains_key(h)) {
            return Ok(None);
        }
        let key = self.cache_key_of(req, peer, ctx)?;
        let span = pingora::cache::trace::Span::inactive().handle();
        let Some((meta, mut hit)) =
            pingora::cache::storage::Storage::lookup(cache.storage, &key, &span).await?
        else {
            return Ok(None);
        };
        let stored = meta.response_header();
        if stored.status != http::StatusCode::OK
            || !meta.is_fresh(std::time::SystemTime::now())
            || self.invalidated_at(req.uri.path(), &meta, ctx)
        {
            return Ok(None);
        }
        let mut body = Vec::new();
        while let Some(chunk) = hit.read_body().await? {
            body.push(chunk);
        }
        let mut header = meta.response_header_copy();
        if !header.headers.contains_key(http::header::CONTENT_LENGTH) {
            header.remove_header(&http::header::TRANSFER_ENCODING);
            let len: usize = body.iter().map(Bytes::len).sum();
            header.insert_header(http::header::CONTENT_LENGTH, len)?;
        }
        header.insert_header(http::header::AGE, meta.age().as_secs())?;
        header.set_version(Version::HTTP_11);
        if req.method == http::Method::HEAD {
            body.clear();
        }
        Ok(Some((header, body)))
    }

    /// Everything CloudFront does to a response on its way to the viewer, for the cache
    /// `phase` it was served in: `X-Cache` and the other stamps, custom error pages, `Vary`,
    /// the debug header, the response headers policy, the compression veto.
    async fn decorate(
        &self,
        session: &mut Session,
        upstream_response: &mut ResponseHeader,
        ctx: &mut EdgeCtx,
        phase: CachePhase,
    ) -> Result<()> {
        ctx.first_byte = ctx.started.map(|t| t.elapsed());
        // CloudFront's X-Cache from the cache phase: collapsed waiters and stale copies are
        // hits; a 304 revalidation is a RefreshHit; everything that went to the origin for a
        // new object is a Miss.
        let status = upstream_response.status.as_u16();
        ctx.origin_status = Some(status);
        let (x_cache, timing) = match phase {
            // CloudFront labels every 4xx/5xx answer an Error, cached or not.
            _ if status >= 400 => ("Error from cloudfront", CacheTiming::Miss),
            CachePhase::Hit | CachePhase::Stale | CachePhase::StaleUpdating => {
                ("Hit from cloudfront", CacheTiming::Hit)
            }
            CachePhase::Revalidated | CachePhase::RevalidatedNoCache(_) => {
                ("RefreshHit from cloudfront", CacheTiming::Refresh)
            }
            _ => ("Miss from cloudfront", CacheTiming::Miss),
        };
        if status >= 400 {
            if let Some(page) = self.custom_error_page(ctx, status).await {
                let bodiless = upstream_response
                    .headers
                    .get(http::header::CONTENT_LENGTH)
                    .is_some_and(|v| v.as_bytes() == b"0");
                *upstream_response = page_header(&page, upstream_response.version)?;
                let head = session.req_header().method == http::Method::HEAD;
                ctx.error_page = Some(page);
                // An empty error body ends the response with its header: the page cannot
                // follow in the body filter, so `fail_to_proxy` sends it whole (the error
                // itself is already in the cache).
                if bodiless && !head {
                    return Err(Error::explain(
                        ErrorType::Custom(CUSTOM_ERROR_PAGE),
                        "custom error page for a bodiless error",
                    ));
                }
            }
        }
        self.finish_header(
            session.req_header(),
            upstream_response,
            ctx,
            &phase,
            (x_cache, timing),
        )
    }

    /// The stamps every response gets (`X-Cache`, `Via`, `X-Amz-Cf-Pop`, `X-Amz-Cf-Id`), the
    /// `Vary` CloudFront keeps, the debug header and the response headers policy.
    fn finish_header(
        &self,
        req: &RequestHeader,
        upstream_response: &mut ResponseHeader,
        ctx: &mut EdgeCtx,
        phase: &CachePhase,
        (x_cache, timing): (&'static str, CacheTiming),
    ) -> Result<()> {
        self.stamp(upstream_response, &ctx.request_id, x_cache)?;
        if let (Some(b), true) = (
            &ctx.behavior,
            upstream_response.headers.contains_key(http::header::VARY),
        ) {
            let mut vary = HeaderMap::new();
            for v in upstream_response.headers.get_all(http::header::VARY) {
                vary.append(http::header::VARY, v.clone());
            }
            crate::origin_request::viewer_vary(
                &b.cache_policy,
                b.origin_request_policy.as_deref(),
                &mut vary,
            );
            upstream_response.remove_header(&http::header::VARY);
            if let Some(v) = vary.remove(http::header::VARY) {
                upstream_response.insert_header(http::header::VARY, v)?;
            }
        }
        if self.settings.debug_headers {
            let note = match (&ctx.cache_note, &phase) {
                (_, CachePhase::Hit) => "served from the cache".to_string(),
                (Some(n), _) => n.clone(),
                (None, p) => format!("cache phase {}", p.as_str()),
            };
            // Why a miss missed: which key part differed from a stored variant.
            let note = match (&phase, &ctx.miss_note) {
                (CachePhase::Miss, Some(why)) => format!("{why}; {note}"),
                (CachePhase::Expired, _) => format!("the stored copy expired; {note}"),
                _ => note,
            };
            let value = format!("{}; {note}", phase.as_str());
            if let Ok(v) = HeaderValue::from_str(&value) {
                upstream_response.insert_header("x-stratus-cache", v)?;
            }
        }
        if let Some(policy) = ctx
            .behavior
            .as_ref()
            .and_then(|b| b.response_headers_policy.clone())
        {
            // CloudFront applies the response headers policy to every response of the
            // behavior, hits and misses.
            let facts = RequestFacts::from_headers(&req.method, &req.headers);
            let elapsed_ms = ctx.started.map_or(0, |t| t.elapsed().as_millis() as u64);
            let server_timing = ServerTiming {
                cache: timing,
                pop: &self.settings.pop,
                request_id: &ctx.request_id,
                upstream_connect_ms: None,
                upstream_first_byte_ms: None,
                downstream_first_byte_ms: elapsed_ms,
                sample: rand::random::<f64>(),
            };
            let mut headers = upstream_response.headers.clone();
            crate::response_headers::apply(&policy, &facts, &mut headers, Some(&server_timing));
            replace_headers(upstream_response, &headers)?;
        }
        Ok(())
    }

    /// The custom error page for `status`, fetched through this edge, when the distribution
    /// customises it (never for the edge's own page fetches).
    async fn custom_error_page(&self, ctx: &EdgeCtx, status: u16) -> Option<ErrorPage> {
        if ctx.internal {
            return None;
        }
        let dist = ctx.logged_distribution.as_ref()?;
        let response = crate::error_pages::replacement(&dist.config, status)?;
        // Boxed: the fetch's state (an HTTP client) would otherwise sit inside every
        // request's future, which pingora moves into a box per request.
        Box::pin(
            self.settings
                .error_pages
                .fetch(&dist.domain, status, response),
        )
        .await
    }

    /// Writes a custom error page as the whole response (for errors that never reached
    /// `response_filter` with a body to replace).
    async fn write_page(
        &self,
        session: &mut Session,
        ctx: &mut EdgeCtx,
        page: ErrorPage,
    ) -> Result<()> {
        let mut resp = page_header(&page, session.req_header().version)?;
        self.stamp(&mut resp, &ctx.request_id, "Error from cloudfront")?;
        ctx.generated = Some(EdgeResult::Error);
        let head_only = session.req_header().method == http::Method::HEAD;
        session
            .write_response_header(Box::new(resp), head_only)
            .await?;
        if !head_only {
            session.write_response_body(Some(page.body), true).await?;
        }
        Ok(())
    }
}

/// `ErrorType::Custom` of the error that hands a bodiless error's custom page to
/// `fail_to_proxy`.
const CUSTOM_ERROR_PAGE: &str = "CustomErrorPage";

/// The response header for a custom error page: `ResponseCode` with the page's own headers.
fn page_header(page: &ErrorPage, version: Version) -> Result<ResponseHeader> {
    let mut resp = ResponseHeader::build(page.status, Some(page.headers.len() + 8))?;
    resp.set_version(version);
    for (name, value) in page.headers.iter() {
        resp.append_header(name.clone(), value.clone())?;
    }
    resp.insert_header(http::header::CONTENT_LENGTH, page.body.len().to_string())?;
    Ok(resp)
}

impl Edge {
    /// CloudFront compresses when the behavior has `Compress`, its cache policy enables gzip
    /// and/or Brotli with a TTL above zero, and the viewer accepts one of them; never for
    /// HTTP/1.0 or ranges. pingora's compression module parses `Accept-Encoding` before
    /// `request_filter`, so this runs in `early_request_filter`; the viewer's header is
    /// rewritten to the normalised value so Brotli is preferred, as on CloudFront.
    fn enable_compression(&self, session: &mut Session, ctx: &mut EdgeCtx) {
        let Some(b) = ctx.matched.clone() else {
            return;
        };
        let Some(value) = edge_compression(&b, session.req_header()) else {
            return;
        };
        let _ = session
            .req_header_mut()
            .insert_header(http::header::ACCEPT_ENCODING, value);
        ctx.compress = true;
    }

    /// Compresses the origin's response header (before it is cached) when the edge compresses
    /// this request and CloudFront's rules allow it for the response.
    fn compress_upstream(session: &Session, resp: &mut ResponseHeader, ctx: &mut EdgeCtx) {
        ctx.compressor = None;
        // A HEAD reaches the origin as HEAD only when nothing is cached (a cache fill asks
        // with GET): its response has no body to compress.
        let req = session.req_header();
        if !ctx.compress || (req.method == http::Method::HEAD && !session.cache.enabled()) {
            return;
        }
        if let Err(why) = crate::compression::may_compress(resp.status, &resp.headers) {
            tracing::trace!(reason = why.as_str(), "not compressed");
            return;
        }
        // CloudFront's level is not published; 6 is gzip's default and a fair one for Brotli.
        let mut c = ResponseCompressionCtx::new(6, false, false);
        c.request_filter(req);
        c.response_header_filter(resp, false);
        ctx.compressor = Some(Box::new(Compressor(c)));
    }
}

impl Edge {
    /// The distribution `req`'s host names and the behavior its path matches.
    fn matched(
        &self,
        req: &RequestHeader,
    ) -> Option<(Arc<CompiledDistribution>, Arc<CompiledBehavior>)> {
        let dist = self.config.load().distribution(host_str(req)).cloned()?;
        let behavior = dist.behavior(req.uri.path()).clone();
        Some((dist, behavior))
    }

    /// The parts of `req` its routing reads (`internal`: this edge fetching an error page).
    fn route_request<'a>(&self, req: &'a RequestHeader, internal: bool) -> ViewerRequest<'a> {
        let host = host_str(req);
        let path = req.uri.path();
        ViewerRequest {
            method: req.method.as_str(),
            path,
            path_and_query: req.uri.path_and_query().map_or(path, |p| p.as_str()),
            host: host.rsplit_once(':').map_or(host, |(h, _)| h),
            // CloudFront fetches error pages itself, whatever the viewer protocol policy.
            https: self.https || internal,
            http10: req.version == Version::HTTP_10,
            has_body: has_body(&req.headers),
            https_port: self.settings.https_port,
        }
    }
}

/// The normalised `Accept-Encoding` when the edge compresses responses to `req` under
/// behavior `b` (see [`Edge::enable_compression`]); `None` when it does not.
fn edge_compression(b: &CompiledBehavior, req: &RequestHeader) -> Option<&'static str> {
    let params = &b
        .cache_policy
        .parameters_in_cache_key_and_forwarded_to_origin;
    if !b.compress || b.ttl.max_ttl == 0 || req.version == Version::HTTP_10 {
        return None;
    }
    // CloudFront: a cache policy that lists Accept-Encoding itself gets no edge compression.
    if params.headers_config.header_behavior == CachePolicyHeaderBehavior::Whitelist
        && params
            .headers_config
            .headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case("accept-encoding"))
    {
        return None;
    }
    if req.headers.contains_key(http::header::RANGE) {
        return None;
    }
    AcceptEncoding::normalize(
        params.enable_accept_encoding_gzip,
        params.enable_accept_encoding_brotli,
        &req.headers,
        req.version,
    )
    .key_value()
}

/// What the logging phase reads of a finished request.
struct Served<'a> {
    req: &'a RequestHeader,
    resp: Option<&'a ResponseHeader>,
    phase: CachePhase,
    body_sent: usize,
    body_read: usize,
    peer: SocketAddr,
}

impl Edge {
    /// The request's access log line, metrics and Prometheus series (pingora's `logging`
    /// phase, and the hit lane's).
    fn log_request(&self, served: &Served<'_>, e: Option<&Error>, ctx: &mut EdgeCtx) {
        let Some(dist) = &ctx.logged_distribution else {
            return;
        };
        let req = served.req;
        let header = |name: http::HeaderName| {
            req.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        let resp = served.resp;
        let resp_header = |name: http::HeaderName| {
            resp.and_then(|r| r.headers.get(name))
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        let detailed = ctx
            .detailed
            .or_else(|| e.and_then(|e| detailed_result(e, resp.is_some())));
        let result = ctx.generated.unwrap_or(match served.phase {
            // CloudFront: a 4xx/5xx answer (or a custom page for one) is an Error, and so is a
            // response the viewer stopped reading.
            _ if ctx.origin_status.is_some_and(|s| s >= 400) => EdgeResult::Error,
            _ if detailed == Some(DetailedResult::ClientCommError) => EdgeResult::Error,
            _ if ctx.fast_hit => EdgeResult::Hit,
            CachePhase::Hit | CachePhase::Stale | CachePhase::StaleUpdating => EdgeResult::Hit,
            CachePhase::Revalidated | CachePhase::RevalidatedNoCache(_) => EdgeResult::RefreshHit,
            _ => EdgeResult::Miss,
        });
        let elapsed = ctx.started.map(|t| t.elapsed()).unwrap_or_default();
        // Prometheus: requests, bytes and latency per distribution and result (the hit ratio is
        // Hit / all), and the cache's size.
        let stats = dist.stats.get(&dist.id, result);
        stats.requests.increment(1);
        stats.bytes.increment(served.body_sent as u64);
        stats.duration.record(elapsed.as_secs_f64());
        // The cache's size changes on fills and evictions, never on a hit.
        if let (Some(cache), false) = (&self.settings.cache, result == EdgeResult::Hit) {
            let (bytes, objects) = crate::stats::cache_gauges();
            bytes.set(cache.storage.size_bytes() as f64);
            objects.set(cache.storage.len() as f64);
        }
        // CloudFront writes standard logs only for distributions with `Logging` enabled.
        let (Some(writer), Some(logging)) = (&self.settings.access_log, &dist.config.logging)
        else {
            return;
        };
        let peer = served.peer;
        let record = AccessRecord {
            time: std::time::SystemTime::now(),
            edge_location: self.settings.pop.clone(),
            // CloudFront: the bytes sent to the viewer, headers included.
            sc_bytes: (served.body_sent + resp.map_or(0, header_bytes)) as u64,
            c_ip: peer.ip(),
            cs_method: req.method.clone(),
            cs_host: dist.domain.clone(),
            cs_uri_stem: req.uri.path().to_string(),
            sc_status: resp.map_or(0, |r| r.status.as_u16()),
            cs_referer: header(http::header::REFERER),
            cs_user_agent: header(http::header::USER_AGENT),
            cs_uri_query: req.uri.query().map(String::from),
            cs_cookie: header(http::header::COOKIE),
            edge_result_type: result,
            edge_request_id: ctx.request_id.clone(),
            host_header: host_of(req),
            cs_protocol: if self.https {
                ViewerProtocol::Https
            } else {
                ViewerProtocol::Http
            },
            cs_bytes: served.body_read as u64,
            time_taken: elapsed,
            x_forwarded_for: header(http::header::HeaderName::from_static("x-forwarded-for")),
            edge_response_result_type: result,
            cs_protocol_version: req.version,
            c_port: peer.port(),
            time_to_first_byte: ctx.first_byte.unwrap_or(elapsed),
            edge_detailed_result_type: detailed,
            sc_content_type: resp_header(http::header::CONTENT_TYPE),
            sc_content_len: resp_header(http::header::CONTENT_LENGTH).and_then(|v| v.parse().ok()),
            ..Default::default()
        };
        writer.log(&dist.id, record, logging.include_cookies);
    }
}

/// The error of an origin name that does not resolve (`OriginDnsError`; CloudFront answers 502).
const ORIGIN_DNS: ErrorType = ErrorType::Custom("OriginDnsError");

/// The bytes of a response header as HTTP/1.1 writes it: status line, fields, blank line.
fn header_bytes(resp: &ResponseHeader) -> usize {
    let status_line = "HTTP/1.1 200 \r\n".len() + resp.get_reason_phrase().map_or(0, str::len);
    let fields: usize = resp
        .headers
        .iter()
        .map(|(n, v)| n.as_str().len() + 2 + v.len() + 2)
        .sum();
    status_line + fields + 2
}

/// CloudFront's `x-edge-detailed-result-type` for a request that ended in `e`; `responded`:
/// the response header had gone out. `None` leaves the result type to say it. The names are
/// CloudFront's (spec §9); which pingora error each stands for is this edge's reading of their
/// one-line descriptions (a timeout reading the origin is `OriginReadError`).
fn detailed_result(e: &Error, responded: bool) -> Option<DetailedResult> {
    use pingora::ErrorSource;
    let etype = e.etype();
    if *etype == ORIGIN_DNS {
        return Some(DetailedResult::OriginDnsError);
    }
    Some(match (e.esource(), etype) {
        (ErrorSource::Upstream, ErrorType::HTTPStatus(_)) => DetailedResult::OriginError,
        (
            ErrorSource::Upstream,
            ErrorType::ConnectTimedout
            | ErrorType::ConnectRefused
            | ErrorType::ConnectNoRoute
            | ErrorType::ConnectError
            | ErrorType::TLSHandshakeFailure
            | ErrorType::TLSHandshakeTimedout
            | ErrorType::InvalidCert
            | ErrorType::HandshakeError
            | ErrorType::SocketError,
        ) => DetailedResult::OriginConnectError,
        (ErrorSource::Upstream, ErrorType::WriteError | ErrorType::WriteTimedout) => {
            DetailedResult::OriginWriteError
        }
        (
            ErrorSource::Upstream,
            ErrorType::InvalidHTTPHeader | ErrorType::H1Error | ErrorType::H2Error,
        ) => DetailedResult::OriginInvalidResponseError,
        (ErrorSource::Upstream, _) => DetailedResult::OriginReadError,
        // The viewer went away: while the response was going out, or before it asked fully.
        (ErrorSource::Downstream, _) if responded => DetailedResult::ClientCommError,
        (ErrorSource::Downstream, ErrorType::InvalidHTTPHeader) => {
            DetailedResult::InvalidRequestHeader
        }
        (ErrorSource::Downstream, ErrorType::ReadError | ErrorType::ConnectionClosed) => {
            DetailedResult::ClientHungUpRequest
        }
        (ErrorSource::Downstream, _) => DetailedResult::InvalidRequest,
        _ => return None,
    })
}

/// Writes `headers` into `resp` through pingora's API (which keeps its header-case map).
fn replace_headers(resp: &mut ResponseHeader, headers: &HeaderMap) -> Result<()> {
    let old: Vec<http::HeaderName> = resp.headers.keys().cloned().collect();
    for name in old {
        if !headers.contains_key(&name) {
            resp.remove_header(&name);
        }
    }
    for name in headers.keys() {
        let new: Vec<&HeaderValue> = headers.get_all(name).iter().collect();
        let current: Vec<&HeaderValue> = resp.headers.get_all(name).iter().collect();
        if new != current {
            resp.remove_header(name);
            for v in new {
                resp.append_header(name.clone(), v.clone())?;
            }
        }
    }
    Ok(())
}

fn host_of(req: &RequestHeader) -> String {
    host_str(req).to_string()
}

/// The viewer's host: the URI's (HTTP/2 `:authority`, absolute-form) or `Host`.
fn host_str(req: &RequestHeader) -> &str {
    req.uri
        .host()
        .or_else(|| {
            req.headers
                .get(http::header::HOST)
                .and_then(|v| v.to_str().ok())
        })
        .unwrap_or_default()
}

fn has_body(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > 0)
        || headers.contains_key(http::header::TRANSFER_ENCODING)
}

/// The viewer's headers as the rules read them: HTTP/2 keeps the host in `:authority`
/// (copied only then; HTTP/1.1 requests carry `Host`).
fn viewer_headers(req: &RequestHeader) -> std::borrow::Cow<'_, HeaderMap> {
    if req.headers.contains_key(http::header::HOST) {
        return std::borrow::Cow::Borrowed(&req.headers);
    }
    let mut headers = req.headers.clone();
    if let Some(v) = req
        .uri
        .authority()
        .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    {
        headers.insert(http::header::HOST, v);
    }
    std::borrow::Cow::Owned(headers)
}

/// The length of `uri` as written (what `to_string` would give, without building it).
fn uri_len(uri: &http::Uri) -> usize {
    let scheme = uri.scheme_str().map_or(0, |s| s.len() + 3);
    let authority = uri.authority().map_or(0, |a| a.as_str().len());
    let path = uri.path_and_query().map_or(0, |p| p.as_str().len());
    scheme + authority + path
}

fn peer_of(session: &Session) -> SocketAddr {
    session
        .client_addr()
        .and_then(|a| a.as_inet())
        .copied()
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)))
}

/// CloudFront's limit on the request line and headers together.
const MAX_HEAD: usize = 20_480;
/// CloudFront's limit on the URL.
const MAX_URL: usize = 8_192;

fn internal(msg: &'static str) -> Box<Error> {
    Error::explain(ErrorType::InternalError, msg)
}

#[async_trait]
impl ProxyHttp for Edge {
    type CTX = EdgeCtx;

    fn new_ctx(&self) -> EdgeCtx {
        EdgeCtx {
            request_id: responses::request_id(),
            started: Some(std::time::Instant::now()),
            ..Default::default()
        }
    }

    async fn early_request_filter(&self, session: &mut Session, ctx: &mut EdgeCtx) -> Result<()> {
        // CloudFront: request line and headers together at most 20,480 bytes, the URL at most
        // 8,192; over either, 413 and the connection is closed.
        let req = session.req_header();
        let url_len = uri_len(&req.uri);
        let head_len = req.method.as_str().len()
            + url_len
            + req
                .headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len() + 4)
                .sum::<usize>();
        if url_len > MAX_URL || head_len > MAX_HEAD {
            let page = responses::error_page(413, None, &ctx.request_id);
            session.set_keepalive(None);
            self.generated(session, ctx, 413, None, page).await?;
            return Err(Error::explain(
                ErrorType::HTTPStatus(413),
                "request too large",
            ));
        }
        // A custom error page fetched by this edge: trusted only with this process's token,
        // and never seen by the rules or the origin.
        if let Some(v) = session.req_header_mut().remove_header(INTERNAL_HEADER) {
            ctx.internal = self.settings.error_pages.is_internal(v.as_bytes());
        }
        // Host → distribution and path → behavior, once for every later phase.
        if let Some((dist, matched)) = self.matched(session.req_header()) {
            ctx.matched = Some(matched);
            ctx.logged_distribution = Some(dist);
        }
        self.enable_compression(session, ctx);
        Ok(())
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut EdgeCtx) -> Result<bool> {
        let (Some(dist), Some(matched)) = (ctx.logged_distribution.clone(), ctx.matched.clone())
        else {
            // CloudFront: a Host that names no distribution.
            let page = responses::error_page(
                403,
                Some("Bad request. We can't connect to the server for this app or website at this time. There might be too much traffic or a configuration error. Try again later, or contact the app or website owner."),
                &ctx.request_id,
            );
            self.generated(session, ctx, 403, None, page).await?;
            return Ok(true);
        };
        // The route, from borrowed request parts; only a redirect owns anything.
        let route = {
            let route_req = self.route_request(session.req_header(), ctx.internal);
            match dist.route_behavior(&matched, &route_req) {
                Route::Serve(b) => Route::Serve(b),
                Route::Redirect { status, location } => Route::Redirect { status, location },
                Route::Forbidden(why) => Route::Forbidden(why),
            }
        };
        match route {
            Route::Serve(b) => {
                ctx.behavior = Some(b.clone());
                ctx.distribution = Some(dist.clone());
                // CloudFront: DefaultRootObject answers a request for `/` exactly (not for
                // subdirectories); the key and the origin request use the object's path.
                let root = &dist.config.default_root_object;
                let uri = &session.req_header().uri;
                if uri.path() == "/" && !root.is_empty() {
                    let query = uri.query();
                    let target = match query {
                        Some(q) => format!("/{root}?{q}"),
                        None => format!("/{root}"),
                    };
                    if let Ok(uri) = target.parse::<http::Uri>() {
                        session.req_header_mut().set_uri(uri);
                    }
                }
                self.fast_hit(session, ctx).await
            }
            Route::Redirect { status, location } => {
                self.generated(
                    session,
                    ctx,
                    status,
                    Some(&location),
                    responses::redirect_page(status),
                )
                .await?;
                Ok(true)
            }
            Route::Forbidden(why) => {
                if matches!(why, Forbidden::MethodNotAllowed | Forbidden::GetWithBody) {
                    ctx.detailed = Some(DetailedResult::InvalidRequestMethod);
                }
                let page = responses::error_page(403, Some(why.message()), &ctx.request_id);
                self.generated(session, ctx, 403, None, page).await?;
                Ok(true)
            }
        }
    }

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        ctx: &mut EdgeCtx,
    ) -> Result<Box<HttpPeer>> {
        let origin_id = ctx
            .select_origin()
            .ok_or_else(|| internal("no route for this request"))?;
        let Some(dist) = &ctx.distribution else {
            return Err(internal("no route for this request"));
        };
        let origin = dist
            .config
            .origin(&origin_id)
            .ok_or_else(|| internal("the behavior's origin does not exist"))?;
        // An origin without CustomOriginConfig (S3-style) is reached over HTTPS on 443 with
        // CloudFront's default timeouts.
        let (policy, http_port, https_port, read_timeout, keepalive) =
            match &origin.custom_origin_config {
                Some(c) => (
                    c.origin_protocol_policy,
                    c.http_port,
                    c.https_port,
                    c.origin_read_timeout,
                    c.origin_keepalive_timeout,
                ),
                None => (OriginProtocolPolicy::HttpsOnly, 80, 443, 30, 5),
            };
        let tls = match policy {
            OriginProtocolPolicy::HttpsOnly => true,
            OriginProtocolPolicy::HttpOnly => false,
            OriginProtocolPolicy::MatchViewer => self.https,
        };
        let port = if tls { https_port } else { http_port };
        let domain = origin.domain_name.clone();
        let local = (self.settings.local_origins)(&domain);
        ctx.local_origin = local.is_some();
        let addr = match local {
            Some(a) => a,
            // Boxed: the resolver's state would otherwise sit in every request's future.
            None => Box::pin(tokio::net::lookup_host((domain.as_str(), port)))
                .await
                .ok()
                .and_then(|mut a| a.next())
                .ok_or_else(|| {
                    Error::explain(ORIGIN_DNS, format!("cannot resolve {domain}")).into_up()
                })?,
        };
        let mut peer = HttpPeer::new(addr, tls, domain);
        peer.options.connection_timeout =
            Some(Duration::from_secs(u64::from(origin.connection_timeout)));
        peer.options.read_timeout = Some(Duration::from_secs(u64::from(read_timeout)));
        peer.options.idle_timeout = Some(Duration::from_secs(u64::from(keepalive)));
        if ctx.local_origin {
            peer.options.ca = self.local_ca.clone();
        }
        Ok(Box::new(peer))
    }

    fn request_cache_filter(&self, session: &mut Session, ctx: &mut EdgeCtx) -> Result<()> {
        let (Some(cache), Some(b)) = (&self.settings.cache, &ctx.behavior) else {
            return Ok(());
        };
        // CloudFront caches GET and HEAD (and OPTIONS when listed) under a cache policy whose
        // TTLs allow it; CachingDisabled (0/0/0) never stores.
        if b.ttl.max_ttl == 0 {
            return Ok(());
        }
        if !b
            .cached_methods
            .caches(session.req_header().method.as_str())
        {
            return Ok(());
        }
        // CloudFront does not collapse concurrent misses when cookies are in the cache key or
        // the origin request policy forwards them (spec §7, "Request collapsing").
        let cookies = |c: &stratus_model::cloudfront::policies::CookiesConfig| {
            c.cookie_behavior != stratus_model::cloudfront::policies::CookieBehavior::None
        };
        let collapse = !cookies(
            &b.cache_policy
                .parameters_in_cache_key_and_forwarded_to_origin
                .cookies_config,
        ) && !b
            .origin_request_policy
            .as_ref()
            .is_some_and(|p| cookies(&p.cookies_config));
        let lock = collapse.then_some(cache.lock);
        session.cache.enable(cache.storage, None, None, lock, None);
        Ok(())
    }

    fn cache_key_callback(&self, session: &Session, ctx: &mut EdgeCtx) -> Result<CacheKey> {
        self.cache_key(session, ctx)
    }

    async fn cache_hit_filter(
        &self,
        session: &mut Session,
        meta: &CacheMeta,
        _hit: &mut HitHandler,
        is_fresh: bool,
        ctx: &mut EdgeCtx,
    ) -> Result<Option<ForcedFreshness>> {
        if self.invalidated(session, meta, ctx) {
            return Ok(Some(ForcedFreshness::ForceMiss));
        }
        // An expired copy whose origin just failed, with no stale-if-error of the origin's
        // (the stored window is then `u32::MAX`): served without asking the origin until the
        // error-caching period is over.
        let held = !is_fresh
            && meta.stale_if_error_sec() == u32::MAX
            && ctx
                .cache_key
                .as_ref()
                .is_some_and(|k| self.settings.holdoff.held(&k.combined_bin()));
        Ok(held.then_some(ForcedFreshness::ForceFresh))
    }

    fn response_cache_filter(
        &self,
        _session: &Session,
        resp: &ResponseHeader,
        ctx: &mut EdgeCtx,
    ) -> Result<RespCacheable> {
        let (Some(b), Some(dist)) = (&ctx.behavior, &ctx.distribution) else {
            return Ok(RespCacheable::Uncacheable(NoCacheReason::Custom("NoRoute")));
        };
        let error_caching_min_ttl =
            crate::error_pages::custom_response(&dist.config, resp.status.as_u16())
                .map(|r| r.error_caching_min_ttl);
        let header = |name: http::HeaderName| resp.headers.get(name).and_then(|v| v.to_str().ok());
        let cache_control = CacheControl::from_headers(&resp.headers);
        let now = std::time::SystemTime::now();
        let decision = freshness(
            b.ttl,
            &OriginResponse {
                status: resp.status,
                cache_control: &cache_control,
                expires: header(http::header::EXPIRES),
                date: header(http::header::DATE),
            },
            now,
            error_caching_min_ttl,
        );
        // CloudFront: `Vary: *` with MinTTL 0 sends every request to the origin.
        let decision = match decision {
            Freshness::Cacheable(_)
                if b.ttl.min_ttl == 0
                    && resp.headers.get_all(http::header::VARY).iter().any(|v| {
                        v.to_str()
                            .is_ok_and(|v| v.split(',').any(|n| n.trim() == "*"))
                    }) =>
            {
                Freshness::NotCacheable(crate::ttl::NotCacheableReason::VaryStar)
            }
            d => d,
        };
        if let (true, Some(parts)) = (self.settings.debug_headers, &ctx.key_parts) {
            // Explained before this response joins the stored variants.
            ctx.miss_note = Some(self.settings.variants.explain_miss(parts));
            if matches!(decision, Freshness::Cacheable(_)) {
                self.settings.variants.remember(parts);
            }
        }
        if self.settings.debug_headers {
            ctx.cache_note = Some(match &decision {
                Freshness::Cacheable(c) => format!("stored for {} s: {}", c.ttl, c.rule.as_str()),
                Freshness::NotCacheable(r) => format!("not stored: {}", r.as_str()),
            });
        }
        Ok(match decision {
            Freshness::Cacheable(c) => RespCacheable::Cacheable(CacheMeta::new(
                now + Duration::from_secs(c.ttl),
                now,
                c.stale_while_revalidate
                    .unwrap_or(0)
                    .min(u64::from(u32::MAX)) as u32,
                // CloudFront: an expired object is served when the origin fails (5xx or
                // unreachable) unless the origin said `stale-if-error=N` (0 suppresses it).
                c.stale_if_error
                    .unwrap_or(u64::from(u32::MAX))
                    .min(u64::from(u32::MAX)) as u32,
                resp.clone(),
            )),
            Freshness::NotCacheable(reason) => {
                RespCacheable::Uncacheable(NoCacheReason::Custom(reason.as_str()))
            }
        })
    }

    fn fail_to_connect(
        &self,
        session: &mut Session,
        _peer: &HttpPeer,
        ctx: &mut EdgeCtx,
        mut e: Box<Error>,
    ) -> Box<Error> {
        // CloudFront: ConnectionAttempts tries per origin, then an origin group's secondary.
        ctx.connect_attempts += 1;
        let attempts = ctx
            .origin_id
            .as_ref()
            .and_then(|id| ctx.distribution.as_ref()?.config.origin(id))
            .map_or(1, |o| o.connection_attempts.max(1));
        if ctx.connect_attempts < attempts {
            e.set_retry(true);
        } else if ctx.can_fail_over(&session.req_header().method) {
            ctx.member = 1;
            ctx.connect_attempts = 0;
            e.set_retry(true);
        }
        e
    }

    async fn upstream_response_filter(
        &self,
        session: &mut Session,
        upstream_response: &mut ResponseHeader,
        ctx: &mut EdgeCtx,
    ) -> Result<()> {
        if let (Some(t), Some(dist), Some(origin)) = (
            ctx.upstream_started.take(),
            &ctx.distribution,
            &ctx.origin_id,
        ) {
            dist.stats
                .origin_latency(&dist.id, origin)
                .record(t.elapsed().as_secs_f64());
        }
        // CloudFront, legacy settings without cookie forwarding: `Set-Cookie` is removed
        // before the response is cached or sent.
        if ctx.behavior.as_ref().is_some_and(|b| b.strips_set_cookie) {
            upstream_response.remove_header(&http::header::SET_COOKIE);
        }
        // CloudFront: an origin group fails over on the status codes it lists.
        if !ctx.can_fail_over(&session.req_header().method) {
            Self::compress_upstream(session, upstream_response, ctx);
            return Ok(());
        }
        let status = upstream_response.status.as_u16();
        let listed = ctx
            .distribution
            .as_ref()
            .zip(ctx.behavior.as_ref())
            .and_then(|(d, b)| d.config.origin_group(&b.target_origin_id))
            .is_some_and(|g| g.failover_criteria.status_codes.contains(&status));
        if listed {
            ctx.member = 1;
            ctx.connect_attempts = 0;
            let mut e = Error::explain(ErrorType::HTTPStatus(status), "origin group failover");
            e.set_retry(true);
            return Err(e);
        }
        Self::compress_upstream(session, upstream_response, ctx);
        Ok(())
    }

    fn upstream_response_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        end_of_stream: bool,
        ctx: &mut EdgeCtx,
    ) -> Result<Option<Duration>> {
        if let Some(c) = ctx.compressor.as_mut() {
            if let Some(compressed) = c.0.response_body_filter(body.as_ref(), end_of_stream) {
                *body = Some(compressed);
            }
        }
        Ok(None)
    }

    fn should_serve_stale(
        &self,
        _session: &mut Session,
        ctx: &mut EdgeCtx,
        error: Option<&Error>,
    ) -> bool {
        // CloudFront honours stale-while-revalidate (no error: serve stale while refreshing)
        // and stale-if-error for origin failures; the windows come from the origin's
        // Cache-Control through the stored meta.
        let Some(e) = error else {
            return true;
        };
        if e.esource() != &pingora::ErrorSource::Upstream {
            return false;
        }
        // The origin failed: its stale copy is served for the error-caching period of the
        // status CloudFront sees (a timeout counts as 504, a failed connection as 502).
        let status = match e.etype() {
            ErrorType::HTTPStatus(code) => *code,
            ErrorType::ConnectTimedout | ErrorType::ReadTimedout | ErrorType::WriteTimedout => 504,
            _ => 502,
        };
        if let (Some(key), Some(dist)) = (&ctx.cache_key, &ctx.distribution) {
            let period = crate::error_pages::custom_response(&dist.config, status)
                .map_or(crate::ttl::DEFAULT_ERROR_CACHING_MIN_TTL, |r| {
                    r.error_caching_min_ttl
                });
            self.settings
                .holdoff
                .hold(key.combined_bin(), Duration::from_secs(period));
        }
        true
    }

    async fn upstream_request_filter(
        &self,
        session: &mut Session,
        upstream: &mut RequestHeader,
        ctx: &mut EdgeCtx,
    ) -> Result<()> {
        let (Some(dist), Some(b)) = (&ctx.distribution, &ctx.behavior) else {
            return Err(internal("no route for this request"));
        };
        let policy = &b.cache_policy;
        let origin_id = ctx
            .origin_id
            .clone()
            .unwrap_or_else(|| b.target_origin_id.clone());
        let origin = dist
            .config
            .origin(&origin_id)
            .ok_or_else(|| internal("the behavior's origin does not exist"))?;
        let custom_headers = dist
            .origin_headers
            .get(&origin_id)
            .map_or(&[][..], Vec::as_slice);
        let peer = peer_of(session);
        let req = session.req_header();
        // Start from the request pingora prepared for the origin, not the viewer's: for a
        // cache fill it dropped `Range` and for a revalidation it added `If-None-Match` /
        // `If-Modified-Since` (CloudFront forwards conditional headers).
        let mut headers = upstream.headers.clone();
        if !headers.contains_key(http::header::HOST) {
            if let Some(h) = req.headers.get(http::header::HOST).cloned().or_else(|| {
                req.uri
                    .authority()
                    .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
            }) {
                headers.insert(http::header::HOST, h);
            }
        }
        let viewer = self.key_viewer(req, &headers, peer);
        let via_host = &self.via_host;
        let built = build_origin_request(
            policy,
            b.origin_request_policy.as_deref(),
            &OriginTarget {
                domain_name: &origin.domain_name,
                origin_path: &origin.origin_path,
                custom_headers,
            },
            &viewer,
            &EdgeIdentity {
                request_id: &ctx.request_id,
                via_host,
            },
        )
        .map_err(|_| internal("could not build the origin request"))?;
        let uri: http::Uri = built
            .path_and_query
            .parse()
            .map_err(|_| internal("invalid origin path"))?;
        upstream.set_uri(uri);
        ctx.upstream_started = Some(std::time::Instant::now());
        let old: Vec<http::HeaderName> = upstream.headers.keys().cloned().collect();
        for name in old {
            upstream.remove_header(&name);
        }
        for (name, value) in built.headers.iter() {
            upstream.append_header(name.clone(), value.clone())?;
        }
        Ok(())
    }

    async fn response_filter(
        &self,
        session: &mut Session,
        upstream_response: &mut ResponseHeader,
        ctx: &mut EdgeCtx,
    ) -> Result<()> {
        let phase = session.cache.phase();
        self.decorate(session, upstream_response, ctx, phase).await
    }

    fn response_body_filter(
        &self,
        session: &mut Session,
        body: &mut Option<Bytes>,
        _end_of_stream: bool,
        ctx: &mut EdgeCtx,
    ) -> Result<Option<Duration>> {
        // A custom error page replaces the error's body: the page in the first chunk,
        // nothing after.
        if let Some(page) = &mut ctx.error_page {
            if session.req_header().method == http::Method::HEAD {
                *body = None;
            } else {
                *body = Some(std::mem::take(&mut page.body));
            }
        }
        Ok(None)
    }

    fn suppress_error_log(&self, _session: &Session, _ctx: &EdgeCtx, e: &Error) -> bool {
        matches!(e.etype(), ErrorType::Custom(CUSTOM_ERROR_PAGE))
    }

    async fn logging(&self, session: &mut Session, e: Option<&Error>, ctx: &mut EdgeCtx) {
        self.log_request(
            &Served {
                req: session.req_header(),
                resp: session.response_written(),
                phase: session.cache.phase(),
                body_sent: session.body_bytes_sent(),
                body_read: session.body_bytes_read(),
                peer: peer_of(session),
            },
            e,
            ctx,
        );
    }

    async fn fail_to_proxy(
        &self,
        session: &mut Session,
        e: &Error,
        ctx: &mut EdgeCtx,
    ) -> FailToProxy {
        // A response already went out (a 413 written by `early_request_filter`, an error after
        // the header): nothing more can be said on this connection.
        if let Some(written) = session.response_written() {
            return FailToProxy {
                error_code: written.status.as_u16(),
                can_reuse_downstream: false,
            };
        }
        let status = match e.etype() {
            ErrorType::HTTPStatus(code) => *code,
            ErrorType::ConnectTimedout | ErrorType::ReadTimedout | ErrorType::WriteTimedout => 504,
            _ => match e.esource() {
                pingora::ErrorSource::Downstream => 400,
                _ => 502,
            },
        };
        let detail = match status {
            504 => "We can't connect to the server for this app or website at this time. There might be too much traffic or a configuration error. Try again later, or contact the app or website owner.",
            502 => "CloudFront wasn't able to connect to the origin. We can't connect to the server for this app or website at this time. There might be too much traffic or a configuration error. Try again later, or contact the app or website owner.",
            _ => "Bad request.",
        };
        // A custom error page: one prepared in `response_filter` for a bodiless origin
        // error, or the distribution's page for the status CloudFront generated.
        let page = match ctx.error_page.take() {
            Some(page) => Some(page),
            None if e.esource() != &pingora::ErrorSource::Downstream
                && session.response_written().is_none() =>
            {
                self.custom_error_page(ctx, status).await
            }
            None => None,
        };
        if let Some(page) = page {
            let code = page.status;
            if let Err(err) = self.write_page(session, ctx, page).await {
                tracing::debug!("could not write the custom error page: {err}");
            }
            return FailToProxy {
                error_code: code,
                can_reuse_downstream: false,
            };
        }
        let page = responses::error_page(status, Some(detail), &ctx.request_id);
        if let Err(err) = self.generated(session, ctx, status, None, page).await {
            tracing::debug!("could not write the error page: {err}");
        }
        FailToProxy {
            error_code: status,
            can_reuse_downstream: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detailed_result_types_name_the_failing_side() {
        let up = |t| Error::new_up(t);
        let down = |t| Error::new_down(t);
        let cases = [
            (
                up(ErrorType::ConnectRefused),
                false,
                DetailedResult::OriginConnectError,
            ),
            (
                up(ErrorType::TLSHandshakeFailure),
                false,
                DetailedResult::OriginConnectError,
            ),
            (
                up(ErrorType::ReadTimedout),
                false,
                DetailedResult::OriginReadError,
            ),
            (
                up(ErrorType::WriteError),
                false,
                DetailedResult::OriginWriteError,
            ),
            (
                up(ErrorType::InvalidHTTPHeader),
                false,
                DetailedResult::OriginInvalidResponseError,
            ),
            (
                up(ErrorType::HTTPStatus(503)),
                false,
                DetailedResult::OriginError,
            ),
            (up(ORIGIN_DNS), false, DetailedResult::OriginDnsError),
            (
                down(ErrorType::WriteError),
                true,
                DetailedResult::ClientCommError,
            ),
            (
                down(ErrorType::ConnectionClosed),
                false,
                DetailedResult::ClientHungUpRequest,
            ),
            (
                down(ErrorType::InvalidHTTPHeader),
                false,
                DetailedResult::InvalidRequestHeader,
            ),
        ];
        for (e, responded, want) in cases {
            assert_eq!(detailed_result(&e, responded), Some(want), "{e}");
        }
        assert_eq!(
            detailed_result(&Error::new_in(ErrorType::InternalError), false),
            None
        );
    }

    #[test]
    fn header_bytes_count_the_status_line_fields_and_blank_line() {
        let mut resp = ResponseHeader::build(200, None).unwrap();
        resp.insert_header("x-cache", "Hit from cloudfront")
            .unwrap();
        // "HTTP/1.1 200 OK\r\n" + "x-cache: Hit from cloudfront\r\n" + "\r\n"
        assert_eq!(header_bytes(&resp), 17 + 30 + 2);
    }
}
