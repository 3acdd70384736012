//! Which addresses webhooks may be sent to. Subscription URLs are user input: without a limit,
//! a subscriber could make this server POST into the network it runs in (cloud metadata
//! services, internal admin endpoints). The check resolves the host and the request then
//! connects to the checked address, so a second DNS answer cannot swap it.

use std::net::{IpAddr, SocketAddr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destinations {
    /// Any address (for deployments whose receivers live on a private network).
    Any,
    /// Public addresses and loopback (the default: local development works, the private
    /// network does not).
    PublicAndLoopback,
    /// Public addresses only.
    Public,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DestinationError {
    #[error("the address must be an http or https URL with a host")]
    NotHttp,
    #[error("the host could not be resolved")]
    Unresolvable,
    #[error("the destination address is not allowed by this server's webhook settings")]
    NotAllowed,
}

/// Where a request will go: the URL's host and the checked address to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub address: SocketAddr,
}

impl std::str::FromStr for Destinations {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "any" => Ok(Self::Any),
            "public+loopback" => Ok(Self::PublicAndLoopback),
            "public" => Ok(Self::Public),
            other => Err(format!(
                "unknown destination policy {other:?}: expected any, public+loopback or public"
            )),
        }
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Addresses that are not reachable on the public internet.
fn is_non_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
                || a == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_non_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link local
        }
    }
}

impl Destinations {
    pub fn allows(self, ip: IpAddr) -> bool {
        match self {
            Self::Any => true,
            Self::PublicAndLoopback => !is_non_public(ip) || is_loopback(ip),
            Self::Public => !is_non_public(ip),
        }
    }

    /// Checks that `uri` is an http(s) URL with a host.
    pub fn check_uri(uri: &str) -> Result<url::Url, DestinationError> {
        let url = url::Url::parse(uri).map_err(|_| DestinationError::NotHttp)?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(DestinationError::NotHttp);
        }
        Ok(url)
    }

    /// Resolves `uri`'s host to the first address this policy allows.
    pub async fn resolve(self, uri: &str) -> Result<Target, DestinationError> {
        let url = Self::check_uri(uri)?;
        let host = url.host_str().ok_or(DestinationError::NotHttp)?.to_owned();
        let port = url
            .port_or_known_default()
            .ok_or(DestinationError::NotHttp)?;
        let lookup = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((lookup.as_str(), port))
            .await
            .map_err(|_| DestinationError::Unresolvable)?
            .collect();
        if addresses.is_empty() {
            return Err(DestinationError::Unresolvable);
        }
        let address = addresses
            .into_iter()
            .find(|address| self.allows(address.ip()))
            .ok_or(DestinationError::NotAllowed)?;
        Ok(Target {
            host: lookup,
            address,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_allows_public_and_loopback_only() {
        let policy = Destinations::PublicAndLoopback;
        for allowed in ["8.8.8.8", "127.0.0.1", "::1", "2606:4700::1111"] {
            assert!(policy.allows(allowed.parse().unwrap()), "{allowed}");
        }
        for denied in [
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!policy.allows(denied.parse().unwrap()), "{denied}");
        }
        assert!(!Destinations::Public.allows("127.0.0.1".parse().unwrap()));
        assert!(Destinations::Any.allows("10.0.0.1".parse().unwrap()));
    }

    #[tokio::test]
    async fn resolves_only_allowed_http_destinations() {
        let target = Destinations::PublicAndLoopback
            .resolve("http://127.0.0.1:9/hook")
            .await
            .unwrap();
        assert_eq!(target.address, "127.0.0.1:9".parse().unwrap());
        assert_eq!(
            Destinations::Public.resolve("http://127.0.0.1:9/").await,
            Err(DestinationError::NotAllowed)
        );
        assert_eq!(
            Destinations::Any.resolve("ftp://example.com/").await,
            Err(DestinationError::NotHttp)
        );
        assert_eq!(
            Destinations::Any.resolve("not a url").await,
            Err(DestinationError::NotHttp)
        );
    }
}
