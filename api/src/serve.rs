//! The HTTP accept loop: axum's router on hyper's HTTP/1 connections, with
//! the connection-level limits `axum::serve` does not offer —
//!
//! - a header-read timeout, which in hyper also bounds how long an idle
//!   keep-alive connection waits for its next request: slow-header and idle
//!   connections are closed instead of held forever;
//! - a cap on open connections: past it a new connection is closed at once,
//!   so a flood of idle sockets cannot exhaust file descriptors or memory;
//! - graceful shutdown: stop accepting, let requests in progress finish;
//! - problem+json for the parse errors hyper answers itself
//!   ([`protocol_errors`]).

mod protocol_errors;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::Service;

use protocol_errors::ProblemIo;

/// Connection-level limits (from the API's configuration).
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Longest wait for a request's headers, on a new or an idle connection.
    pub header_read_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
}

/// Serves `router` until `shutdown` completes, then drains.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (signal_tx, signal_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(signal_rx);
    });
    let (close_tx, close_rx) = watch::channel(());
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait, don't spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = signal_tx.closed() => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!(%addr, "connection cap reached; closing a new connection");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (router, signal_tx, close_rx) = (router.clone(), signal_tx.clone(), close_rx.clone());
        tokio::spawn(async move {
            connection(stream, addr, router, limits, &signal_tx).await;
            drop(slot);
            drop(close_rx);
        });
    }
    drop(close_rx);
    drop(listener);
    close_tx.closed().await;
    Ok(())
}

/// One connection, until it ends or shutdown asks it to finish.
async fn connection(
    stream: tokio::net::TcpStream,
    addr: SocketAddr,
    router: Router,
    limits: ConnLimits,
    signal: &watch::Sender<()>,
) {
    let service = service_fn(move |req: hyper::Request<Incoming>| {
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(addr));
        let mut router = router.clone();
        async move { Ok::<_, Infallible>(router.call(req).await.unwrap_or_else(|e| match e {})) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let mut conn = pin!(
        builder
            .serve_connection(TokioIo::new(ProblemIo::new(stream)), service)
            .with_upgrades()
    );
    let mut closed = pin!(signal.closed());
    let mut draining = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, %addr, "connection ended with an error");
                }
                break;
            }
            () = &mut closed, if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
