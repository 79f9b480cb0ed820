//! The hit lane: fresh cache hits for plain HTTP/1.1 GET and HEAD requests, answered by the
//! accept loop without a pingora session (`serve::lane` reads the request and writes the
//! response). Every request it cannot answer exactly as the pingora path would is handed to
//! pingora untouched: the lane only serves what [`Edge::fast_hit`] serves, and of that only
//! what needs nothing from pingora's session (no DefaultRootObject rewrite, no error page, no
//! debug header). Compressed variants are stored compressed, so they are hits like any other.
//!
//! Why: pingora boxes each request's whole future (its proxy and cache state machines) and
//! builds a session, header maps and body writers for it; on a hit that work was about a
//! fifth of the edge's CPU. The response is the one `fast_hit` writes: the stored header with
//! `Age`, the same stamps and response headers policy (`Edge::finish_header`), pingora's `Date`
//! and `Connection`, logged and counted by the same `Edge::log_request`.

use super::*;

/// A hit the lane answers.
pub(crate) struct LaneHit {
    header: ResponseHeader,
    body: Vec<Bytes>,
    ctx: EdgeCtx,
}

impl LaneHit {
    /// The response header as HTTP/1.1 writes it, with pingora's `Date` and `Connection`.
    pub(crate) fn head_bytes(&mut self, keepalive: bool) -> Result<bytes::BytesMut> {
        use bytes::BufMut;
        let header = &mut self.header;
        header.insert_header(
            http::header::DATE,
            pingora::protocols::http::date::get_cached_date(),
        )?;
        header.insert_header(
            http::header::CONNECTION,
            if keepalive { "keep-alive" } else { "close" },
        )?;
        let mut buf = bytes::BytesMut::with_capacity(512);
        buf.put_slice(b"HTTP/1.1 ");
        buf.put_slice(header.status.as_str().as_bytes());
        buf.put_u8(b' ');
        if let Some(reason) = header.get_reason_phrase() {
            buf.put_slice(reason.as_bytes());
        }
        buf.put_slice(b"\r\n");
        header.header_to_h1_wire(&mut buf);
        buf.put_slice(b"\r\n");
        Ok(buf)
    }

    /// The body (empty for HEAD).
    pub(crate) fn body(&self) -> &[Bytes] {
        &self.body
    }
}

impl Edge {
    /// The response to `req` (HTTP/1.1, its head `head_len` bytes, from `peer`) when it is a
    /// fresh hit the lane may answer; `None` hands the request to pingora.
    pub(crate) async fn lane_hit(
        &self,
        req: &RequestHeader,
        head_len: usize,
        peer: SocketAddr,
    ) -> Result<Option<LaneHit>> {
        // What early_request_filter answers or marks itself.
        if uri_len(&req.uri) > MAX_URL
            || head_len > MAX_HEAD
            || req.headers.contains_key(INTERNAL_HEADER)
        {
            return Ok(None);
        }
        let Some((dist, matched)) = self.matched(req) else {
            return Ok(None);
        };
        if req.uri.path() == "/" && !dist.config.default_root_object.is_empty() {
            return Ok(None);
        }
        let route = self.route_request(req, false);
        let behavior = match dist.route_behavior(&matched, &route) {
            Route::Serve(b) => b.clone(),
            Route::Redirect { .. } | Route::Forbidden(_) => return Ok(None),
        };
        // The request id is drawn only for a hit: a miss goes to pingora, which draws its own.
        let mut ctx = EdgeCtx {
            started: Some(std::time::Instant::now()),
            ..Default::default()
        };
        ctx.matched = Some(matched);
        ctx.logged_distribution = Some(dist.clone());
        ctx.behavior = Some(behavior);
        ctx.distribution = Some(dist);
        let Some((mut header, body)) = self.fresh_hit(req, peer, &mut ctx).await? else {
            return Ok(None);
        };
        ctx.request_id = responses::request_id();
        // What `decorate` does to a 200 hit when nothing is compressed.
        ctx.first_byte = ctx.started.map(|t| t.elapsed());
        ctx.origin_status = Some(header.status.as_u16());
        ctx.fast_hit = true;
        self.finish_header(
            req,
            &mut header,
            &mut ctx,
            &CachePhase::Hit,
            ("Hit from cloudfront", CacheTiming::Hit),
        )?;
        Ok(Some(LaneHit { header, body, ctx }))
    }

    /// Logs and counts a hit the lane wrote (`error`: the write failed).
    pub(crate) fn lane_logged(
        &self,
        req: &RequestHeader,
        hit: &mut LaneHit,
        body_sent: usize,
        peer: SocketAddr,
        error: Option<&Error>,
    ) {
        let served = Served {
            req,
            resp: Some(&hit.header),
            phase: CachePhase::Hit,
            body_sent,
            body_read: 0,
            peer,
        };
        self.log_request(&served, error, &mut hit.ctx);
    }
}
