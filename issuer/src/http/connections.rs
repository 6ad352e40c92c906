//! The accept loop both `serve` paths share: plain HTTP and TLS differ only in the handshake.
//!
//! What one client can hold is bounded here, below the router: a connection cap (beyond it a
//! new connection is answered 503 and closed, never queued without end), a handshake deadline,
//! and a header-read deadline that hyper starts whenever a connection waits for a request
//! head, so a socket that sends nothing, dribbles a header, or idles between keep-alive
//! requests is closed after [`ConnectionLimits::header_read`]. A request, once read, is bounded
//! by the router's [`super::REQUEST_TIMEOUT`].

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower_service::Service;

/// How many connections the server holds and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections open at once; one more is answered 503 and closed.
    pub max_connections: usize,
    /// How long a connection may take to send a whole request head, counted from when it
    /// starts waiting for one: on a new connection and between keep-alive requests alike.
    pub header_read: Duration,
    /// How long a TLS client may take to finish its handshake.
    pub handshake: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_read: Duration::from_secs(10),
            handshake: Duration::from_secs(10),
        }
    }
}

/// How long shutdown waits for requests in flight before it gives up on them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(35);
/// At most one warning this often while the connection cap is reached.
const CAP_WARNING_EVERY: Duration = Duration::from_secs(10);

/// What turns an accepted TCP stream into the byte stream HTTP is read from.
pub trait Handshake: Clone + Send + Sync + 'static {
    /// The stream after the handshake.
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// Runs the handshake; the accept loop bounds how long it may take.
    fn handshake(&self, tcp: TcpStream) -> impl Future<Output = std::io::Result<Self::Io>> + Send;
    /// Tells a client beyond the connection cap that the server is full, if the protocol can
    /// say so before a handshake, without waiting on the client.
    fn refuse(&self, tcp: &TcpStream);
}

/// Plain HTTP: no handshake; a refused client reads a 503.
#[derive(Clone, Copy, Debug)]
pub struct Plain;

/// The answer a client beyond the cap reads: complete, so it can be written in one go.
const FULL_ANSWER: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\n\
retry-after: 5\r\n\
connection: close\r\n\
content-length: 99\r\n\r\n\
{\"error\":{\"code\":\"too_many_connections\",\"message\":\"the issuer is at its connection cap; retry\"}}";

impl Handshake for Plain {
    type Io = TcpStream;

    async fn handshake(&self, tcp: TcpStream) -> std::io::Result<TcpStream> {
        Ok(tcp)
    }

    fn refuse(&self, tcp: &TcpStream) {
        // A fresh socket's send buffer takes the whole answer; if it does not, the client
        // sees the connection closed, which says the same less politely.
        let _ = tcp.try_write(FULL_ANSWER);
    }
}

/// Serves `router` on `listener` through `handshake` until `shutdown` completes, then lets
/// requests in flight finish (for at most [`DRAIN_TIMEOUT`]).
pub async fn serve<H: Handshake>(
    listener: TcpListener,
    handshake: H,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut cap = CapWarning::default();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, typically: wait rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            handshake.refuse(&tcp);
            cap.refused(limits.max_connections);
            continue;
        };
        let (handshake, router, watcher) = (handshake.clone(), router.clone(), graceful.watcher());
        tokio::spawn(async move {
            let io = match tokio::time::timeout(limits.handshake, handshake.handshake(tcp)).await {
                Ok(Ok(io)) => io,
                // A gate that refuses our certificate shows up here, as the alert it sent.
                Ok(Err(e)) => return tracing::info!(%peer, error = %e, "handshake failed"),
                Err(_) => return tracing::info!(%peer, "handshake timed out"),
            };
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let mut request = request.map(axum::body::Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                let mut router = router.clone();
                async move {
                    Ok::<_, Infallible>(router.call(request).await.unwrap_or_else(|e| match e {}))
                }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read)
                .serve_connection(TokioIo::new(io), service);
            if let Err(e) = watcher.watch(connection).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after {DRAIN_TIMEOUT:?}; stopping anyway");
    }
}

/// Says, at most every [`CAP_WARNING_EVERY`], that connections are being refused and how many.
#[derive(Debug, Default)]
struct CapWarning {
    last: Option<Instant>,
    refused: u64,
}

impl CapWarning {
    fn refused(&mut self, cap: usize) {
        self.refused += 1;
        if self.last.is_none_or(|at| at.elapsed() >= CAP_WARNING_EVERY) {
            tracing::warn!(
                cap,
                refused = self.refused,
                "connection cap reached: new connections answered 503 (serve --max-connections)"
            );
            self.last = Some(Instant::now());
            self.refused = 0;
        }
    }
}
