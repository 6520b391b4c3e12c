//! Connection limits for the hosts that hold sockets (the native server and the relay): at most
//! `max` connections at once, and at most `per_address` from one client address. Past the
//! first, the listener stops accepting until one closes (the kernel's backlog holds the rest);
//! past the second, the new connection is closed at once. The timeouts are kept by
//! [`crate::serve`].

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use zudui_shared::config::Values;

/// How many connections a host takes, and how long they may wait.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConnectionLimits {
    pub max: usize,
    pub per_address: usize,
    /// From a request's first byte to the end of its headers.
    pub header_timeout: Duration,
    /// Between requests on a kept-alive connection (or before the first).
    pub idle_timeout: Duration,
}

impl ConnectionLimits {
    /// `max_connections` (default 50,000), `max_connections_per_ip` (default 1,000, or none
    /// behind a proxy), `header_timeout_secs` (default 10) and `idle_timeout_secs` (default 75):
    /// `ZUDUI_MAX_CONNECTIONS` and so on in the environment.
    ///
    /// Per address: a campus or carrier NAT puts many users behind one address, each holding a
    /// chat socket and a kept-alive connection or two, so 1,000 leaves room for some 300 to 500
    /// people at once from one address, while one address alone can take at most 2% of the
    /// 50,000. Headers: at most 32 KiB, which even a 2G link sends in a few seconds. Idle: above
    /// the 60 s after which a proxy in front (nginx's upstream keep-alive) drops its own idle
    /// connections, so the proxy never sends a request into a connection closing here.
    pub fn load(values: &Values<'_>) -> anyhow::Result<ConnectionLimits> {
        let seconds = |name: &str, default: u64| -> anyhow::Result<Duration> {
            Ok(Duration::from_secs(values.number(name, default)?.max(1)))
        };
        let max = values.number("max_connections", 50_000usize)?.max(1);
        // Behind a proxy (it names the client in a header), every connection comes from the
        // proxy's address: a cap per address would be a cap on the whole service, which one
        // client could fill. The proxy caps its clients then, unless a cap is set here anyway.
        let behind_proxy = values.get("client_ip_header").is_some();
        let per_address_default = if behind_proxy { max } else { 1_000 };
        Ok(ConnectionLimits {
            max,
            per_address: values
                .number("max_connections_per_ip", per_address_default)?
                .max(1),
            header_timeout: seconds("header_timeout_secs", 10)?,
            idle_timeout: seconds("idle_timeout_secs", 75)?,
        })
    }
}

/// A TCP listener that keeps to [`ConnectionLimits`].
pub struct LimitedListener {
    inner: TcpListener,
    limits: ConnectionLimits,
    open: Arc<Semaphore>,
    per_address: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl LimitedListener {
    pub fn new(inner: TcpListener, limits: ConnectionLimits) -> LimitedListener {
        LimitedListener {
            inner,
            limits,
            open: Arc::new(Semaphore::new(limits.max)),
            per_address: Arc::default(),
        }
    }

    pub fn limits(&self) -> ConnectionLimits {
        self.limits
    }

    /// Counts a connection from `ip`, unless that address has its share already.
    fn admit(&self, ip: IpAddr) -> Option<AddressSlot> {
        let mut counts = self.per_address.lock().ok()?;
        let count = counts.entry(ip).or_default();
        if *count >= self.limits.per_address {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            ip,
            counts: self.per_address.clone(),
        })
    }
}

impl Listener for LimitedListener {
    type Io = Counted;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Counted, SocketAddr) {
        loop {
            let Ok(permit) = self.open.clone().acquire_owned().await else {
                continue;
            };
            let (stream, addr) = Listener::accept(&mut self.inner).await;
            match self.admit(addr.ip()) {
                Some(slot) => {
                    // Chat frames are small and answered at once: without this, Nagle's algorithm
                    // meets the peer's delayed ACK and holds each frame for ~40 ms.
                    if let Err(err) = stream.set_nodelay(true) {
                        log::warn!("TCP_NODELAY on a connection from {addr}: {err}");
                    }
                    let counted = Counted {
                        stream,
                        _permit: permit,
                        _slot: slot,
                        on_read: None,
                    };
                    return (counted, addr);
                }
                None => log::warn!("refused a connection: {} has too many", addr.ip()),
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// One connection of an address; uncounted when dropped.
struct AddressSlot {
    ip: IpAddr,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.counts.lock() {
            if let Some(count) = counts.get_mut(&self.ip) {
                *count -= 1;
                if *count == 0 {
                    counts.remove(&self.ip);
                }
            }
        }
    }
}

/// An accepted connection, holding its place in both limits until it closes.
pub struct Counted {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    _slot: AddressSlot,
    on_read: Option<Box<dyn Fn() + Send + Sync>>,
}

impl Counted {
    /// Calls `hook` whenever bytes arrive (the serving loop's timeouts follow them).
    pub fn on_read(&mut self, hook: impl Fn() + Send + Sync + 'static) {
        self.on_read = Some(Box::new(hook));
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if let Some(hook) = self
            .on_read
            .as_ref()
            .filter(|_| buf.filled().len() > before)
        {
            hook();
        }
        result
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// The peer of a connection, for handlers (`ConnectInfo<Peer>`, set by [`crate::serve`]).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

#[cfg(test)]
mod tests {
    use zudui_shared::config::Environment;

    use super::*;

    fn limits(pairs: &[(&'static str, &'static str)]) -> anyhow::Result<ConnectionLimits> {
        let values: HashMap<&str, &str> = pairs.iter().copied().collect();
        ConnectionLimits::load(&Values(&values))
    }

    #[test]
    fn limits_have_defaults_and_no_cap_per_address_behind_a_proxy() {
        let secs = Duration::from_secs;
        let defaults = limits(&[]).unwrap();
        assert_eq!(
            defaults,
            ConnectionLimits {
                max: 50_000,
                per_address: 1_000,
                header_timeout: secs(10),
                idle_timeout: secs(75),
            }
        );
        let proxied = limits(&[
            ("client_ip_header", "x-forwarded-for"),
            ("max_connections", "9"),
        ]);
        assert_eq!(proxied.unwrap().per_address, 9);
        let set = limits(&[("max_connections_per_ip", "3"), ("idle_timeout_secs", "0")]).unwrap();
        assert_eq!((set.per_address, set.idle_timeout), (3, secs(1)));
        let bad = limits(&[("max_connections", "many")])
            .unwrap_err()
            .to_string();
        assert!(bad.contains("max_connections"), "{bad}");
    }

    #[tokio::test]
    async fn addresses_get_their_share_and_get_it_back() {
        let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let listener = LimitedListener::new(
            inner,
            ConnectionLimits {
                max: 10,
                per_address: 2,
                header_timeout: Duration::from_secs(10),
                idle_timeout: Duration::from_secs(75),
            },
        );
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let first = listener.admit(ip).expect("first");
        let _second = listener.admit(ip).expect("second");
        assert!(listener.admit(ip).is_none(), "a third is refused");
        assert!(listener.admit("192.0.2.2".parse().unwrap()).is_some());
        drop(first);
        assert!(listener.admit(ip).is_some(), "a closed one frees its place");
    }

    #[tokio::test]
    async fn accepted_connections_send_small_frames_at_once() {
        let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = inner.local_addr().unwrap();
        let mut listener = LimitedListener::new(
            inner,
            ConnectionLimits::load(&Values(&Environment)).unwrap(),
        );
        let _client = TcpStream::connect(addr).await.unwrap();
        let (accepted, _) = Listener::accept(&mut listener).await;
        assert!(accepted.stream.nodelay().unwrap(), "TCP_NODELAY is set");
    }
}
