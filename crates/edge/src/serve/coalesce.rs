//! A write-coalescing layer for the edge's downstream connections.
//!
//! pingora writes a response's header and its body with separate writes and flushes when the
//! body is complete. Behind its own listeners, pingora puts a small write buffer in front of
//! every accepted socket; that setting is crate-private, and the edge accepts connections
//! itself (see `serve`), so without this layer every write would be a system call of its own
//! (and, over TLS, a record of its own): two `sendto`s for a small cached response where one
//! would do.
//!
//! [`Coalesce`] keeps small writes (up to [`HOLD`] bytes) in a buffer. The next write that
//! does not fit goes out together with the held bytes in one vectored write, and `flush`
//! writes what is held. Large bodies therefore pass through without being copied, and a
//! header plus a body of any size leave in one system call when the socket takes them.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use pingora::protocols::raw_connect::ProxyDigest;
use pingora::protocols::tls::{SslDigest, TlsRef};
use pingora::protocols::{
    GetProxyDigest, GetSocketDigest, GetTimingDigest, Peek, Shutdown, SocketDigest, Ssl,
    TimingDigest, UniqueID, UniqueIDType, ALPN,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Writes up to this many bytes are held for the next write or the flush (a response
/// header, a small body).
pub const HOLD: usize = 4096;

/// A stream whose small writes are held and sent with the next one (see the module docs).
#[derive(Debug)]
pub struct Coalesce<S> {
    inner: S,
    held: Vec<u8>,
    /// How much of `held` has been written.
    sent: usize,
}

impl<S> Coalesce<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            held: Vec::new(),
            sent: 0,
        }
    }

    fn pending(&self) -> &[u8] {
        &self.held[self.sent..]
    }

    fn clear(&mut self) {
        self.held.clear();
        self.sent = 0;
    }
}

impl<S: AsyncWrite + Unpin> Coalesce<S> {
    /// Writes what is held (nothing else).
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.held.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.held[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.clear();
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Coalesce<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Coalesce<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.held.len() + buf.len() <= HOLD {
            this.held.extend_from_slice(buf);
            return Poll::Ready(Ok(buf.len()));
        }
        if this.pending().is_empty() {
            this.clear();
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        }
        // The held bytes and this write in one system call. Until the held bytes are all
        // out, nothing of `buf` counts as written: the caller retries it.
        loop {
            let pending = this.pending().len();
            let slices = [IoSlice::new(&this.held[this.sent..]), IoSlice::new(buf)];
            let n = ready!(Pin::new(&mut this.inner).poll_write_vectored(cx, &slices))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            if n >= pending {
                this.clear();
                if n > pending {
                    return Poll::Ready(Ok(n - pending));
                }
                // Exactly the held bytes went: `buf` goes on its own.
                return Pin::new(&mut this.inner).poll_write(cx, buf);
            }
            this.sent += n;
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // pingora writes chunked bodies as one vectored write of size line, data and CRLF;
        // the first non-empty slice goes through `poll_write` (callers loop for the rest).
        match bufs.iter().find(|b| !b.is_empty()) {
            Some(b) => self.poll_write(cx, b),
            None => Poll::Ready(Ok(0)),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[async_trait]
impl<S: Shutdown + AsyncWrite + Unpin + Send> Shutdown for Coalesce<S> {
    async fn shutdown(&mut self) {
        let _ = std::future::poll_fn(|cx| self.poll_drain(cx)).await;
        self.inner.shutdown().await;
    }
}

impl<S: UniqueID> UniqueID for Coalesce<S> {
    fn id(&self) -> UniqueIDType {
        self.inner.id()
    }
}

impl<S: Ssl> Ssl for Coalesce<S> {
    fn get_ssl(&self) -> Option<&TlsRef> {
        self.inner.get_ssl()
    }

    fn get_ssl_digest(&self) -> Option<Arc<SslDigest>> {
        self.inner.get_ssl_digest()
    }

    fn selected_alpn_proto(&self) -> Option<ALPN> {
        self.inner.selected_alpn_proto()
    }
}

impl<S: GetTimingDigest> GetTimingDigest for Coalesce<S> {
    fn get_timing_digest(&self) -> Vec<Option<TimingDigest>> {
        self.inner.get_timing_digest()
    }

    fn get_read_pending_time(&self) -> Duration {
        self.inner.get_read_pending_time()
    }

    fn get_write_pending_time(&self) -> Duration {
        self.inner.get_write_pending_time()
    }
}

impl<S: GetProxyDigest> GetProxyDigest for Coalesce<S> {
    fn get_proxy_digest(&self) -> Option<Arc<ProxyDigest>> {
        self.inner.get_proxy_digest()
    }

    fn set_proxy_digest(&mut self, digest: ProxyDigest) {
        self.inner.set_proxy_digest(digest);
    }
}

impl<S: GetSocketDigest> GetSocketDigest for Coalesce<S> {
    fn get_socket_digest(&self) -> Option<Arc<SocketDigest>> {
        self.inner.get_socket_digest()
    }

    fn set_socket_digest(&mut self, digest: SocketDigest) {
        self.inner.set_socket_digest(digest);
    }
}

#[async_trait]
impl<S: Peek + Send> Peek for Coalesce<S> {
    async fn try_peek(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        self.inner.try_peek(buf).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A sink that records each write call and accepts at most `max` bytes per call.
    struct Sink {
        calls: Vec<Vec<u8>>,
        max: usize,
    }

    impl AsyncWrite for Sink {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let n = buf.len().min(self.max);
            self.calls.push(buf[..n].to_vec());
            Poll::Ready(Ok(n))
        }

        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let all: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
            let n = all.len().min(self.max);
            self.calls.push(all[..n].to_vec());
            Poll::Ready(Ok(n))
        }

        fn is_write_vectored(&self) -> bool {
            true
        }

        fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn sink(max: usize) -> Coalesce<Sink> {
        Coalesce::new(Sink { calls: vec![], max })
    }

    #[tokio::test]
    async fn a_header_and_a_small_body_leave_in_one_write_at_the_flush() {
        let mut s = sink(usize::MAX);
        s.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        s.write_all(&[b'x'; 1024]).await.unwrap();
        assert!(s.inner.calls.is_empty(), "held until the flush");
        s.flush().await.unwrap();
        assert_eq!(s.inner.calls.len(), 1);
        assert_eq!(s.inner.calls[0].len(), 19 + 1024);
    }

    #[tokio::test]
    async fn a_large_body_goes_with_the_held_header_in_one_vectored_write() {
        let mut s = sink(usize::MAX);
        s.write_all(b"header").await.unwrap();
        let body = vec![7u8; 100_000];
        s.write_all(&body).await.unwrap();
        s.flush().await.unwrap();
        assert_eq!(s.inner.calls.len(), 1);
        assert_eq!(&s.inner.calls[0][..6], b"header");
        assert_eq!(&s.inner.calls[0][6..], &body[..]);
    }

    #[tokio::test]
    async fn partial_writes_lose_and_repeat_nothing() {
        for max in [1, 3, 6, 7, 4000, 5000] {
            let mut s = sink(max);
            let mut expected = Vec::new();
            for part in [&b"head"[..], &[1u8; 5000][..], b"tail", &[2u8; 3000][..]] {
                s.write_all(part).await.unwrap();
                expected.extend_from_slice(part);
            }
            s.flush().await.unwrap();
            let got: Vec<u8> = s.inner.calls.concat();
            assert_eq!(got, expected, "max {max}");
        }
    }
}
