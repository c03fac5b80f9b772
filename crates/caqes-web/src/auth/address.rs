//! The client's address, for login throttling.
//!
//! By default it is the peer of the TCP connection (`caqes serve` keeps it
//! with axum's `ConnectInfo`). Behind a reverse proxy every peer is the proxy,
//! so the setting `--proxy-de-confiance` (`CAQES_PROXY_DE_CONFIANCE`) reads
//! the LAST address of the last `X-Forwarded-For` header instead: the one the
//! proxy appended, which a client cannot choose (addresses before it can be
//! forged and are ignored). With the setting off the header is ignored, since
//! anyone can send it. Only one proxy hop is supported.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::request::error::AppError;
use crate::request::state::AppState;

/// The client's address, when known (requests built in-process have none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

/// The last address of the last `X-Forwarded-For` header.
pub fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    let entry = last.to_str().ok()?.rsplit(',').next()?.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

impl ClientAddress {
    pub fn of(parts: &Parts, trusted_proxy: bool) -> ClientAddress {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if trusted_proxy && let Some(ip) = forwarded_for(&parts.headers) {
            return ClientAddress(Some(ip));
        }
        ClientAddress(peer)
    }
}

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(ClientAddress::of(parts, state.config.trusted_proxy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(xff: &[&str], peer: Option<&str>) -> Parts {
        let mut b = Request::builder();
        for v in xff {
            b = b.header("x-forwarded-for", *v);
        }
        let (mut parts, ()) = b.body(()).unwrap().into_parts();
        if let Some(p) = peer {
            parts
                .extensions
                .insert(ConnectInfo(p.parse::<SocketAddr>().unwrap()));
        }
        parts
    }

    #[test]
    fn the_header_is_read_only_behind_a_trusted_proxy() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        let p = parts(&["203.0.113.9, 198.51.100.7"], Some("10.0.0.1:4242"));
        assert_eq!(ClientAddress::of(&p, false), ClientAddress(ip("10.0.0.1")));
        // The proxy appended the last entry; the first was sent by the client.
        assert_eq!(
            ClientAddress::of(&p, true),
            ClientAddress(ip("198.51.100.7"))
        );
        let p = parts(&["1.1.1.1", "2001:db8::1"], Some("10.0.0.1:4242"));
        assert_eq!(
            ClientAddress::of(&p, true),
            ClientAddress(ip("2001:db8::1"))
        );
        // An unreadable header: the peer (the proxy itself).
        let p = parts(&["inconnu"], Some("10.0.0.1:4242"));
        assert_eq!(ClientAddress::of(&p, true), ClientAddress(ip("10.0.0.1")));
        assert_eq!(
            ClientAddress::of(&parts(&[], None), true),
            ClientAddress(None)
        );
    }
}
