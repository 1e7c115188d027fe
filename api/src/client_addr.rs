//! The client's address: the socket peer, or — only when that peer is a
//! configured trusted proxy — the nearest untrusted address in
//! `X-Forwarded-For` / `Forwarded`. Off by default, so a client can never
//! choose its own rate-limit bucket by sending the header itself.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// An address or a CIDR block (`10.0.0.0/8`, `::1/128`, `192.0.2.7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    /// Parses `ADDR` or `ADDR/PREFIX`.
    pub fn parse(s: &str) -> Option<Net> {
        let (a, p) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|&p| p <= max)?,
            None => max,
        };
        Some(Net { addr, prefix })
    }

    /// True when `ip` lies in the block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| -> (u128, u8) {
            match ip {
                IpAddr::V4(v) => (u128::from(u32::from(v)) << 96, 32),
                IpAddr::V6(v) => (u128::from(v), 128),
            }
        };
        let ip = match ip {
            IpAddr::V6(v) => v.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let ((a, fa), (b, fb)) = (bits(self.addr), bits(ip));
        if fa != fb {
            return false;
        }
        // Both are aligned at the top of 128 bits: compare the prefix bits.
        let shift = 128 - u32::from(self.prefix);
        shift >= 128 || (a >> shift) == (b >> shift)
    }
}

/// Parses the comma-separated list of `HOOFBEAT_TRUSTED_PROXIES`.
pub fn parse_list(s: &str) -> Result<Vec<Net>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| Net::parse(p).ok_or_else(|| format!("{p:?} is not an address or CIDR block")))
        .collect()
}

/// The addresses a chain of proxies reported, nearest last.
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let mut chain = Vec::new();
    for v in headers.get_all("forwarded") {
        for element in v.to_str().unwrap_or("").split(',') {
            for pair in element.split(';') {
                let Some((k, v)) = pair.trim().split_once('=') else {
                    continue;
                };
                if k.trim().eq_ignore_ascii_case("for") {
                    let v = v.trim().trim_matches('"');
                    let host = match v.strip_prefix('[') {
                        Some(rest) => rest.split(']').next().unwrap_or(""),
                        None => v.split(':').next().unwrap_or(""),
                    };
                    if let Ok(ip) = host.parse() {
                        chain.push(ip);
                    }
                }
            }
        }
    }
    if chain.is_empty() {
        for v in headers.get_all("x-forwarded-for") {
            for part in v.to_str().unwrap_or("").split(',') {
                if let Ok(ip) = part.trim().parse() {
                    chain.push(ip);
                }
            }
        }
    }
    chain
}

/// The client's address as seen through trusted proxies.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[Net]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    forwarded_chain(headers)
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks() {
        let n = Net::parse("10.0.0.0/8").unwrap();
        assert!(n.contains(ip("10.1.2.3")) && !n.contains(ip("11.0.0.1")));
        assert!(n.contains(ip("::ffff:10.9.9.9")));
        assert!(Net::parse("127.0.0.1").unwrap().contains(ip("127.0.0.1")));
        assert!(!Net::parse("127.0.0.1").unwrap().contains(ip("127.0.0.2")));
        assert!(Net::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(
            Net::parse("2001:db8::/32")
                .unwrap()
                .contains(ip("2001:db8::1"))
        );
        assert!(
            !Net::parse("2001:db8::/32")
                .unwrap()
                .contains(ip("10.0.0.1"))
        );
        assert!(Net::parse("10.0.0.0/33").is_none() && Net::parse("nope").is_none());
        assert!(parse_list("10.0.0.0/8, ::1").unwrap().len() == 2);
        assert!(parse_list("10.0.0.0/8, x").is_err());
    }

    #[test]
    fn only_trusted_peers_may_forward() {
        let trusted = parse_list("127.0.0.1, 10.0.0.0/8").unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 10.0.0.5"),
        );
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &trusted), ip("203.0.113.9"));
        // An untrusted peer's header is ignored.
        assert_eq!(
            client_ip(ip("198.51.100.1"), &h, &trusted),
            ip("198.51.100.1")
        );
        // Nothing configured: the peer.
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &[]), ip("127.0.0.1"));
        let mut f = HeaderMap::new();
        f.insert(
            "forwarded",
            HeaderValue::from_static("for=\"[2001:db8::7]:4711\";proto=https, for=10.0.0.5"),
        );
        assert_eq!(client_ip(ip("127.0.0.1"), &f, &trusted), ip("2001:db8::7"));
    }
}
