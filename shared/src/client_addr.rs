//! The client's address behind reverse proxies. Each proxy appends the address it saw to
//! `X-Forwarded-For` (or the configured header); whatever stands left of the entries our own
//! proxies wrote was written by the client and proves nothing. So the client is the right-most
//! entry that no trusted proxy wrote: walking from the connection's peer leftwards past trusted
//! proxies (`trusted_proxies` as addresses), or past a known number of them (as a hop count).

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

use crate::app::App;
use crate::error::Result;

/// Where a request came from, as the host saw the connection; handlers find it in the request's
/// extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Which proxies' entries to believe (`trusted_proxies`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedProxies {
    /// This many proxies always stand in front: the entry the outermost one wrote is the
    /// client. Only sound when the server cannot be reached but through them.
    Hops(usize),
    /// The proxies' own addresses or networks: entries are believed only while they come from
    /// one of these, starting with the peer (a client connecting directly is never believed).
    Addresses(Vec<IpNet>),
}

/// At most this many hops: a chain longer than any real one is a typo.
const MAX_HOPS: usize = 16;

impl TrustedProxies {
    /// `trusted_proxies`: unset for one hop (the proxy the server sits behind), a number of
    /// hops, or addresses and networks separated by commas (`10.0.0.0/8, 127.0.0.1`).
    pub fn parse(value: Option<&str>) -> anyhow::Result<TrustedProxies> {
        let bad = |why: String| anyhow::anyhow!("trusted_proxies: {why}");
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(TrustedProxies::Hops(1));
        };
        if let Ok(hops) = value.parse::<usize>() {
            return match hops {
                1..=MAX_HOPS => Ok(TrustedProxies::Hops(hops)),
                _ => Err(bad(format!("{hops} hops: 1 to {MAX_HOPS}"))),
            };
        }
        let networks = value
            .split(',')
            .map(str::trim)
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| bad(format!("{entry:?} is not an address or a network")))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(TrustedProxies::Addresses(networks))
    }

    /// The client among the `forwarded` entries (oldest first, as the header lists them) and the
    /// connection's `peer`.
    pub fn client(&self, forwarded: &[&str], peer: Option<IpAddr>) -> Option<IpAddr> {
        let peer = peer.map(|p| p.to_canonical());
        match self {
            TrustedProxies::Hops(hops) => {
                // The peer is the last proxy; each of the others wrote one entry, right to left.
                let written = forwarded.len().checked_sub(*hops).map(|at| forwarded[at]);
                // Fewer entries than proxies: the request skipped some of them, and so whatever
                // it says; the peer stands in, as without the header.
                written.and_then(entry_addr).or(peer)
            }
            TrustedProxies::Addresses(trusted) => {
                let trusts = |addr: &IpAddr| trusted.iter().any(|net| net.contains(addr));
                let mut client = peer?;
                for entry in forwarded.iter().rev() {
                    if !trusts(&client) {
                        break;
                    }
                    match entry_addr(entry) {
                        Some(addr) => client = addr,
                        // A trusted proxy writes addresses: this came from further left, so
                        // the last proxy that vouched for anything is as far as we know.
                        None => break,
                    }
                }
                Some(client)
            }
        }
    }
}

/// An entry's address: bare (`203.0.113.7`, `2001:db8::7`), with a port as some load balancers
/// write it (`203.0.113.7:5678`, `[2001:db8::7]:443`) or bracketed; an IPv4 address seen over
/// IPv6 (`::ffff:10.0.0.2`, a dual-stack listener's peers) as the IPv4 address it is.
fn entry_addr(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let addr = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse().ok())?;
    Some(addr.to_canonical())
}

/// The client's address: from the configured proxy header when there is one, else as the host
/// saw the connection.
pub fn client_addr<B>(app: &App, req: &http::Request<B>) -> Result<Option<IpAddr>> {
    let peer = req.extensions().get::<ClientAddr>().map(|a| a.0);
    let limits = app.settings.limits()?;
    let Some(name) = &limits.client_ip_header else {
        return Ok(peer);
    };
    // Every such header in order, each a comma-separated list (proxies may add a header of
    // their own rather than append to the client's). Entries are read one by one: a byte a
    // client wrote that is not text spoils its own entry, not the proxies' after it.
    let entries: Vec<&str> = req
        .headers()
        .get_all(name.as_str())
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .map(|entry| std::str::from_utf8(entry).unwrap_or_default().trim())
        .collect();
    Ok(limits.trusted_proxies.client(&entries, peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(value: &str) -> TrustedProxies {
        TrustedProxies::parse(Some(value)).unwrap()
    }

    /// (trusted_proxies, X-Forwarded-For entries, peer, the client).
    #[rustfmt::skip]
    const RULES: &[(&str, &[&str], &str, &str)] = &[
        // One proxy: the entry it appended, whatever the client wrote before it.
        ("1", &["203.0.113.7"], "10.0.0.2", "203.0.113.7"),
        ("1", &["6.6.6.6", "203.0.113.7"], "10.0.0.2", "203.0.113.7"),
        // Two: the outer one's entry; the inner one's (its peer, the outer proxy) is passed.
        ("2", &["6.6.6.6", "203.0.113.7", "10.0.0.9"], "10.0.0.2", "203.0.113.7"),
        // Fewer entries than hops: the peer.
        ("2", &["203.0.113.7"], "10.0.0.2", "10.0.0.2"),
        ("1", &[], "10.0.0.2", "10.0.0.2"),
        ("1", &["junk"], "10.0.0.2", "10.0.0.2"),
        // Addresses: right-most entry not written by a trusted proxy.
        ("10.0.0.0/8", &["6.6.6.6", "203.0.113.7"], "10.0.0.2", "203.0.113.7"),
        ("10.0.0.0/8", &["6.6.6.6", "203.0.113.7", "10.0.0.9"], "10.0.0.2", "203.0.113.7"),
        // A client connecting directly is believed about nothing.
        ("10.0.0.0/8", &["6.6.6.6"], "198.51.100.4", "198.51.100.4"),
        // A client forging a trusted address among its own entries gains nothing.
        ("10.0.0.0/8", &["10.0.0.5", "203.0.113.7"], "10.0.0.2", "203.0.113.7"),
        // Junk left of the proxies' entries: the proxy's entry stands.
        ("10.0.0.0/8, 127.0.0.1", &["junk", "203.0.113.7"], "127.0.0.1", "203.0.113.7"),
        // Junk written where a trusted proxy stood: the last vouched-for address.
        ("127.0.0.1", &["203.0.113.7", "junk"], "127.0.0.1", "127.0.0.1"),
        // Every entry trusted: the left-most.
        ("10.0.0.0/8", &["10.1.1.1", "10.0.0.9"], "10.0.0.2", "10.1.1.1"),
        ("::1, fd00::/8", &["2001:db8::7", "fd00::3"], "::1", "2001:db8::7"),
        // An IPv4 proxy seen by a dual-stack listener is still the IPv4 proxy.
        ("10.0.0.0/8", &["203.0.113.7"], "::ffff:10.0.0.2", "203.0.113.7"),
        ("1", &["::ffff:203.0.113.7"], "10.0.0.2", "203.0.113.7"),
        // Entries with ports, as some load balancers write them.
        ("10.0.0.0/8", &["203.0.113.7:5678"], "10.0.0.2", "203.0.113.7"),
        ("10.0.0.0/8", &["[2001:db8::7]:443"], "10.0.0.2", "2001:db8::7"),
        ("1", &["[2001:db8::7]"], "10.0.0.2", "2001:db8::7"),
    ];

    #[test]
    fn the_client_is_the_right_most_untrusted_entry() {
        for (setting, forwarded, peer, client) in RULES {
            let got = proxies(setting).client(forwarded, Some(ip(peer)));
            assert_eq!(got, Some(ip(client)), "{setting} {forwarded:?} {peer}");
        }
    }

    #[test]
    fn settings_are_a_hop_count_or_addresses() {
        assert_eq!(
            TrustedProxies::parse(None).unwrap(),
            TrustedProxies::Hops(1)
        );
        assert_eq!(
            TrustedProxies::parse(Some(" ")).unwrap(),
            TrustedProxies::Hops(1)
        );
        assert_eq!(proxies("3"), TrustedProxies::Hops(3));
        assert_eq!(
            proxies("127.0.0.1,10.0.0.0/8"),
            TrustedProxies::Addresses(vec![
                "127.0.0.1/32".parse().unwrap(),
                "10.0.0.0/8".parse().unwrap()
            ])
        );
        for bad in ["0", "17", "10.0.0.0/40", "proxy.example", "10.0.0.1,"] {
            assert!(TrustedProxies::parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
