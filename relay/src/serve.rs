//! The serving loop of the hosts that hold sockets (the native server and the relay), in place of
//! `axum::serve`, which gives a connection all the time it wants: here a request's headers must
//! arrive within [`ConnectionLimits::header_timeout`] of its first byte (a client dripping one
//! header line every few seconds is cut off), and a connection waiting for its next request is
//! closed after [`ConnectionLimits::idle_timeout`]. A request being handled has no deadline of
//! ours; a WebSocket, once upgraded, leaves these timeouts behind (the chat pings it instead).
//! Handlers get the peer as `ConnectInfo<Peer>`, as with `into_make_service_with_connect_info`.
//!
//! With TLS ([`serve_tls`]), the handshake comes first and must end within the header timeout
//! too: a client that connects and never says hello gives its place back.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::extract::ConnectInfo;
use axum::serve::Listener;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{watch, Notify};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use crate::listener::{ConnectionLimits, Counted, LimitedListener, Peer};

/// Serves `router` on `listener` until `shutdown` completes; then stops accepting, lets every
/// connection finish its request in progress, and returns once they are closed.
pub async fn serve(
    listener: LimitedListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_with(listener, None, router, shutdown).await
}

/// [`serve`] over TLS: HTTPS, and WSS for the sockets.
pub async fn serve_tls(
    listener: LimitedListener,
    tls: TlsAcceptor,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_with(listener, Some(tls), router, shutdown).await
}

async fn serve_with(
    mut listener: LimitedListener,
    tls: Option<TlsAcceptor>,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limits = listener.limits();
    // Connections watch `stop` for the shutdown, and hold `open` until they close.
    let (stop, stopping) = watch::channel(());
    let (open, opened) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        tokio::select! {
            (io, peer) = listener.accept() => {
                let router = router.clone();
                let (stopping, opened) = (stopping.clone(), opened.clone());
                let tls = tls.clone();
                tokio::spawn(async move {
                    let mut stopping = stopping;
                    match tls {
                        None => connection(io, peer, router, limits, stopping).await,
                        Some(tls) => {
                            if let Some(io) = handshake(&tls, io, peer, limits, &mut stopping).await {
                                connection(io, peer, router, limits, stopping).await;
                            }
                        }
                    }
                    drop(opened);
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    drop(opened);
    drop(stop);
    open.closed().await;
    Ok(())
}

/// The TLS handshake of a connection, within the header timeout; `None` when it failed, took
/// too long, or the server is stopping.
async fn handshake(
    tls: &TlsAcceptor,
    io: Counted,
    peer: SocketAddr,
    limits: ConnectionLimits,
    stopping: &mut watch::Receiver<()>,
) -> Option<tokio_rustls::server::TlsStream<Counted>> {
    tokio::select! {
        handshake = tokio::time::timeout(limits.header_timeout, tls.accept(io)) => match handshake {
            Ok(Ok(stream)) => Some(stream),
            Ok(Err(err)) => {
                log::debug!("TLS handshake from {peer} failed: {err}");
                None
            }
            Err(_) => {
                log::info!("closed a connection from {}: TLS handshake too slow", peer.ip());
                None
            }
        },
        _ = stopping.changed() => None,
    }
}

/// What a connection's bytes travel over: the TCP stream, or TLS over it; either tells the
/// watchdog when bytes arrive.
trait Transport: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    fn counted(&mut self) -> &mut Counted;
}

impl Transport for Counted {
    fn counted(&mut self) -> &mut Counted {
        self
    }
}

impl Transport for tokio_rustls::server::TlsStream<Counted> {
    fn counted(&mut self) -> &mut Counted {
        self.get_mut().0
    }
}

/// One connection: hyper serves it while a watchdog enforces the timeouts.
async fn connection(
    mut io: impl Transport,
    peer: SocketAddr,
    router: axum::Router,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<()>,
) {
    let activity = Arc::new(Activity::new());
    io.counted().on_read({
        let activity = activity.clone();
        move || activity.read()
    });
    let io = TokioIo::new(io);
    let service = Handler {
        router,
        peer,
        activity: activity.clone(),
    };
    let mut conn = pin!(hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .with_upgrades());
    let mut stopped = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(err) = result {
                    log::debug!("connection from {peer} ended: {err}");
                }
                return;
            }
            _ = stopping.changed(), if !stopped => {
                // Finishes the request in progress, if any, then closes.
                stopped = true;
                conn.as_mut().graceful_shutdown();
            }
            why = activity.expired(limits) => {
                // Idle closes are routine; slow headers are worth a look.
                let level = if why == IDLE { log::Level::Debug } else { log::Level::Info };
                log::log!(level, "closed a connection from {}: {why}", peer.ip());
                return;
            }
        }
    }
}

const IDLE: &str = "idle";

/// Where a connection is between requests, as its bytes and its handler tell; `changed` wakes
/// the watchdog when its deadline moves.
struct Activity {
    state: Mutex<State>,
    changed: Notify,
}

struct State {
    /// Requests being handled (their responses not yet sent whole).
    busy: usize,
    /// When the connection last became idle (opened, or a response sent).
    idle_since: Instant,
    /// When the first byte of the next request's head arrived, while no request is handled.
    head_since: Option<Instant>,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            state: Mutex::new(State {
                busy: 0,
                idle_since: Instant::now(),
                head_since: None,
            }),
            changed: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Bytes arrived: on an idle connection they start a request's head.
    fn read(&self) {
        let mut state = self.state();
        if state.busy == 0 && state.head_since.is_none() {
            state.head_since = Some(Instant::now());
            self.changed.notify_one();
        }
    }

    /// A request's head is complete: it is being handled.
    fn request_started(&self) {
        let mut state = self.state();
        state.busy += 1;
        state.head_since = None;
        self.changed.notify_one();
    }

    /// A response was sent whole (or given up): the connection waits for the next request.
    fn request_done(&self) {
        let mut state = self.state();
        state.busy = state.busy.saturating_sub(1);
        if state.busy == 0 {
            state.idle_since = Instant::now();
            self.changed.notify_one();
        }
    }

    /// When the connection is out of time, and why; `None` while a request is handled.
    fn deadline(&self, limits: ConnectionLimits) -> Option<(Instant, &'static str)> {
        let state = self.state();
        match (state.busy, state.head_since) {
            (0, Some(since)) => Some((since + limits.header_timeout, "request headers too slow")),
            (0, None) => Some((state.idle_since + limits.idle_timeout, IDLE)),
            _ => None,
        }
    }

    /// Completes once the connection is out of time.
    async fn expired(&self, limits: ConnectionLimits) -> &'static str {
        loop {
            // A change between reading the deadline and waiting leaves a permit: no wake is lost.
            match self.deadline(limits) {
                Some((deadline, why)) if deadline <= Instant::now() => return why,
                Some((deadline, _)) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {}
                        () = self.changed.notified() => {}
                    }
                }
                None => self.changed.notified().await,
            }
        }
    }
}

/// Hands each request to the router, with the peer, and follows it until its response is sent.
#[derive(Clone)]
struct Handler {
    router: axum::Router,
    peer: SocketAddr,
    activity: Arc<Activity>,
}

impl hyper::service::Service<http::Request<Incoming>> for Handler {
    type Response = http::Response<Tracked>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, mut req: http::Request<Incoming>) -> Self::Future {
        self.activity.request_started();
        let done = Done(self.activity.clone());
        req.extensions_mut().insert(ConnectInfo(Peer(self.peer)));
        // A router is always ready (its `poll_ready` is `Ready(Ok)`).
        let response = tower_service::Service::call(&mut self.router.clone(), req);
        Box::pin(async move {
            let response = response.await?;
            Ok(response.map(|body| Tracked { body, _done: done }))
        })
    }
}

/// Marks its request done when dropped: with the response body once sent, or with the handler's
/// future if the connection goes first.
struct Done(Arc<Activity>);

impl Drop for Done {
    fn drop(&mut self) {
        self.0.request_done();
    }
}

/// A response body that holds its request's [`Done`].
struct Tracked {
    body: axum::body::Body,
    _done: Done,
}

impl hyper::body::Body for Tracked {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
