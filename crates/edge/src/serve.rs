//! The edge's accept loop. pingora's own listeners cannot report a port the OS chose, and its
//! `Server` must not run inside a tokio runtime; so the edge accepts on a tokio listener of
//! its own (port 0 works; the caller reads the address) and hands each connection to
//! pingora's proxy, after the TLS handshake for HTTPS (certificates chosen by the rustls
//! configuration given, e.g. by SNI). HTTP/1.x connections go through the hit lane first
//! (`lane`); HTTP/2 ones straight to pingora.

use std::sync::Arc;

use pingora::apps::ServerApp;
use pingora::listeners::tls::Acceptor;
use pingora::protocols::l4::stream::Stream as L4Stream;
use pingora::protocols::Stream;
use pingora::protocols::ALPN;
use pingora::proxy::HttpProxy;
use tokio::net::TcpListener;

use crate::proxy::Edge;

pub mod coalesce;
mod lane;

use coalesce::Coalesce;

/// Serves `edge` (through pingora's proxy) on `listener` until the task is dropped; with
/// `tls`, every connection is HTTPS (HTTP/2 or HTTP/1.1 by ALPN).
pub async fn serve(edge: Edge, listener: TcpListener, tls: Option<Arc<rustls::ServerConfig>>) {
    let conf = Arc::new(pingora::server::configuration::ServerConf::default());
    let proxy: Arc<HttpProxy<Edge>> = Arc::new(pingora::proxy::http_proxy(&conf, edge.clone()));
    let edge = Arc::new(edge);
    let acceptor = tls.map(|c| Arc::new(Acceptor::from_server_config(c)));
    // Held for the listener's life: pingora's "shutting down" flag stays false.
    let (_shutdown_tx, shutdown) = tokio::sync::watch::channel(false);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!("edge accept failed: {e}");
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let proxy = proxy.clone();
        let edge = edge.clone();
        let acceptor = acceptor.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let l4: L4Stream = tcp.into();
            let stream: Stream = match acceptor {
                Some(a) => match a.tls_handshake(l4).await {
                    Ok(tls) => Box::new(Coalesce::new(tls)),
                    Err(e) => {
                        tracing::debug!(%peer, "edge TLS handshake failed: {e}");
                        return;
                    }
                },
                None => Box::new(Coalesce::new(l4)),
            };
            if !matches!(stream.selected_alpn_proto(), Some(ALPN::H2)) {
                lane::serve_h1(&edge, &proxy, stream, peer, &shutdown).await;
                return;
            }
            let mut next = Some(stream);
            while let Some(s) = next.take() {
                next = proxy.process_new(s, &shutdown).await;
            }
        });
    }
}
