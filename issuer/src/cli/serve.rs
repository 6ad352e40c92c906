//! `serve`: the HTTP service, its open-file budget and its graceful shutdown.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use xiaoge_issuer::{Issuer, http};

use crate::print_line;

pub(crate) fn serve(
    dir: &Path,
    listen: SocketAddr,
    tls: Option<(&Path, &Path)>,
    max_connections: usize,
    edge: http::guesses::Edge,
) -> Result<()> {
    if max_connections == 0 {
        anyhow::bail!("--max-connections 0 would serve nobody; give at least 1");
    }
    // Read before anything listens, so a wrong file fails at once and names itself.
    let tls = tls
        .map(|(cert, key)| http::tls::server_config(cert, key))
        .transpose()?;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let limits = http::connections::ConnectionLimits {
        max_connections: fit_open_files(max_connections),
        ..Default::default()
    };
    let issuer = Arc::new(
        Issuer::open(dir).with_context(|| format!("opening issuer at {}", dir.display()))?,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("issuer-http")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(%addr, issuer = issuer.name(), scheme, "serving");
        print_line(&format!("{scheme}://{addr}"))?;
        http::serve(issuer, listener, edge, tls, limits, shutdown_signal()).await;
        Ok(())
    })
}

/// File descriptors the issuer needs besides its connections: the database and its WAL,
/// the listener, the runtime's own.
const SPARE_FILES: u64 = 64;

/// Raises the open-file limit to hold `wanted` connections where the hard limit allows, and
/// otherwise lowers the cap to what fits, saying so: at the limit, accept fails for everyone.
fn fit_open_files(wanted: usize) -> usize {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let need = u64::try_from(wanted)
        .unwrap_or(u64::MAX)
        .saturating_add(SPARE_FILES);
    let Some(current) = limit.current else {
        return wanted;
    };
    if current >= need {
        return wanted;
    }
    let raised = limit.maximum.map_or(need, |max| max.min(need));
    let mut new = limit;
    new.current = Some(raised);
    let now = if setrlimit(Resource::Nofile, new).is_ok() {
        raised
    } else {
        current
    };
    let fits = usize::try_from(now.saturating_sub(SPARE_FILES))
        .unwrap_or(usize::MAX)
        .clamp(1, wanted);
    if fits < wanted {
        tracing::warn!(
            wanted,
            serving = fits,
            open_file_limit = now,
            "the open-file limit holds fewer connections than --max-connections; raise it (ulimit -n, LimitNOFILE=)"
        );
    }
    fits
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
