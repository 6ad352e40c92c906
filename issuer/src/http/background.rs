//! The issuer served from a background thread: for the gate's demo, the tests and the load
//! benchmark, which need a real server on loopback inside another program.

use std::net::SocketAddr;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use super::connections::ConnectionLimits;
use super::guesses::Edge;
use crate::error::{IssuerError, Result};
use crate::service::Issuer;

/// An issuer serving HTTP on its own thread and runtime until stopped or dropped.
pub struct Background {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl Background {
    /// Serves `issuer` on `addr` (port 0 picks a free one) and returns once it listens.
    pub fn start(issuer: &Arc<Issuer>, addr: SocketAddr, worker_threads: usize) -> Result<Self> {
        Self::start_with(issuer, addr, worker_threads, ConnectionLimits::default())
    }

    /// As [`Self::start`], holding connections within `limits`.
    pub fn start_with(
        issuer: &Arc<Issuer>,
        addr: SocketAddr,
        worker_threads: usize,
        limits: ConnectionLimits,
    ) -> Result<Self> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let issuer = Arc::clone(issuer);
        let thread = std::thread::Builder::new()
            .name("issuer-background".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(worker_threads.max(1))
                    .thread_name("issuer-http")
                    .enable_all()
                    .build()?;
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::bind(addr).await {
                        Ok(l) => l,
                        Err(e) => {
                            let _ =
                                ready_tx.send(Err(std::io::Error::new(e.kind(), e.to_string())));
                            return Err(e);
                        }
                    };
                    let _ = ready_tx.send(listener.local_addr());
                    let stop = async {
                        let _ = stop_rx.await;
                    };
                    super::serve(issuer, listener, Edge::default(), None, limits, stop).await;
                    Ok(())
                })
            })
            .map_err(|e| IssuerError::io("starting the issuer thread", e))?;
        let addr = ready_rx
            .recv()
            .map_err(|_| {
                IssuerError::io(
                    "starting the issuer thread",
                    std::io::Error::other("the thread ended before listening"),
                )
            })?
            .map_err(|e| IssuerError::io(format!("binding {addr}"), e))?;
        Ok(Self {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes requests in flight, and waits for the thread.
    pub fn stop(&mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread
                .join()
                .map_err(|_| {
                    IssuerError::io(
                        "stopping the issuer",
                        std::io::Error::other("its thread panicked"),
                    )
                })?
                .map_err(|e| IssuerError::io("serving the issuer", e))?;
        }
        Ok(())
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
