//! Webhooks as [Standard Webhooks](https://www.standardwebhooks.com/) defines them: the secret,
//! the signature, the retry schedule, and which network addresses a webhook may be sent to.
//!
//! Everything here is pure: randomness (a new secret's bytes, a retry's jitter) and the resolved
//! addresses of a URL are arguments, so each rule can be tested exactly.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};
use sha2::Sha256;

/// The prefix Standard Webhooks gives a secret, so that a leaked one is recognisable.
const SECRET_PREFIX: &str = "whsec_";

/// The shortest and longest secret Standard Webhooks allows (24–64 bytes); ours are 32.
const SECRET_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// A subscription's signing secret (`whsec_` + base64 of its bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// Why a webhook secret was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// Not `whsec_` followed by base64.
    #[error("a webhook secret is `whsec_` followed by base64")]
    Format,
    /// Too short or too long.
    #[error("a webhook secret holds 24 to 64 bytes")]
    Length,
}

impl WebhookSecret {
    /// A secret made of `bytes` (drawn from a secure random source by the caller).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, SecretError> {
        if SECRET_BYTES.contains(&bytes.len()) {
            Ok(WebhookSecret(bytes))
        } else {
            Err(SecretError::Length)
        }
    }

    /// Reads the `whsec_…` form.
    pub fn parse(raw: &str) -> Result<Self, SecretError> {
        let encoded = raw.strip_prefix(SECRET_PREFIX).ok_or(SecretError::Format)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| SecretError::Format)?;
        Self::from_bytes(bytes)
    }

    /// The `whsec_…` form, shown to the subscriber once.
    pub fn reveal(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// The raw bytes, the HMAC key (and what is sealed at rest).
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The `webhook-signature` header of a message: `v1,` and the base64 HMAC-SHA256 of
    /// `{id}.{timestamp}.{body}` (Standard Webhooks, "Signature scheme").
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC takes a key of any length; the error case cannot happen.
        let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(&self.0) else {
            unreachable!("HMAC accepts keys of every length")
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// A subscription's URL: `http` or `https`, a host, an optional port and path; no user
/// credentials, no fragment. Where the host leads is checked against an [`AddressPolicy`] when
/// the subscription is made and again at every delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    url: String,
    host: String,
    port: u16,
}

/// Why a webhook URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookUrlError {
    /// Not an absolute `http` or `https` URL with a host.
    #[error("must be an absolute http or https URL with a host, at most 2000 characters")]
    Malformed,
    /// User credentials or a fragment in the URL.
    #[error("must not hold user credentials or a fragment")]
    Credentials,
    /// The host does not resolve.
    #[error("the host does not resolve")]
    Unresolvable,
    /// The host resolves to a private, loopback, link-local or other special address.
    #[error("resolves to a private, loopback, link-local or other special address")]
    AddressRefused,
}

impl WebhookUrlError {
    /// A stable code for scripts.
    pub fn code(self) -> &'static str {
        match self {
            WebhookUrlError::AddressRefused => "address-refused",
            _ => "webhook-url-invalid",
        }
    }
}

impl WebhookUrl {
    /// Reads a URL.
    pub fn parse(raw: &str) -> Result<Self, WebhookUrlError> {
        if raw.len() > 2_000 || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(WebhookUrlError::Malformed);
        }
        let (rest, default_port) = if let Some(rest) = raw.strip_prefix("https://") {
            (rest, 443)
        } else if let Some(rest) = raw.strip_prefix("http://") {
            (rest, 80)
        } else {
            return Err(WebhookUrlError::Malformed);
        };
        if raw.contains('#') {
            return Err(WebhookUrlError::Credentials);
        }
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(WebhookUrlError::Credentials);
        }
        let (host, port) = match authority.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed.split_once(']').ok_or(WebhookUrlError::Malformed)?;
                host.parse::<Ipv6Addr>().map_err(|_| WebhookUrlError::Malformed)?;
                (host, after.strip_prefix(':'))
            }
            None => match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            },
        };
        let port = match port {
            Some(port) => port.parse::<u16>().map_err(|_| WebhookUrlError::Malformed)?,
            None => default_port,
        };
        let is_hostname =
            host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == ':');
        if host.is_empty() || port == 0 || !is_hostname {
            return Err(WebhookUrlError::Malformed);
        }
        Ok(WebhookUrl { url: raw.to_owned(), host: host.to_ascii_lowercase(), port })
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The host (without brackets for an IPv6 address).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, explicit or the scheme's.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Checks the addresses the host resolved to: all must be allowed, and there must be one.
    pub fn check_addresses(
        &self,
        policy: &AddressPolicy,
        resolved: &[IpAddr],
    ) -> Result<(), WebhookUrlError> {
        if resolved.is_empty() {
            Err(WebhookUrlError::Unresolvable)
        } else if resolved.iter().all(|address| policy.allows(*address)) {
            Ok(())
        } else {
            Err(WebhookUrlError::AddressRefused)
        }
    }
}

/// When a failed delivery is tried again: exponential backoff with jitter.
///
/// After the `n`-th failed attempt (n ≥ 1) the next one comes `base · 2^(n−1)`, at most `cap`,
/// scaled by a jitter factor between ½ and 1 ("equal jitter"), so that deliveries that failed
/// together (a receiver down) do not all come back at once. After `max_attempts` failures the
/// delivery is given up (`failed`); the subscriber can replay it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    /// The delay after the first failure, before jitter.
    pub base: Duration,
    /// The longest delay, before jitter.
    pub cap: Duration,
    /// Attempts after which a delivery is given up.
    pub max_attempts: u32,
    /// Consecutive failed attempts (of any delivery) after which a subscription is `failing`.
    pub failing_after: u32,
}

impl Default for RetrySchedule {
    /// 5 s, 10 s, 20 s, … up to an hour between tries; 15 attempts (about 10 hours) per
    /// delivery; a subscription is failing after 8 failures in a row.
    fn default() -> Self {
        RetrySchedule {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(3_600),
            max_attempts: 15,
            failing_after: 8,
        }
    }
}

/// What to do with a delivery after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this long.
    RetryIn(Duration),
    /// Give up: every attempt failed.
    GiveUp,
}

impl RetrySchedule {
    /// What follows the `attempt`-th failed attempt (1 for the first), with `jitter` a random
    /// number in `[0, 1)`.
    pub fn after_failure(&self, attempt: u32, jitter: f64) -> AfterFailure {
        if attempt >= self.max_attempts {
            return AfterFailure::GiveUp;
        }
        let doubling = 2u32.saturating_pow(attempt.saturating_sub(1));
        let delay = self.base.saturating_mul(doubling).min(self.cap);
        let factor = 0.5 + jitter.clamp(0.0, 1.0) / 2.0;
        AfterFailure::RetryIn(delay.mul_f64(factor))
    }

    /// Whether `consecutive_failures` make a subscription `failing`.
    pub fn is_failing(&self, consecutive_failures: u32) -> bool {
        consecutive_failures >= self.failing_after
    }
}

/// Which addresses a webhook may be delivered to: public ones, and those the operator allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Networks allowed although they are not public (`--webhook-allow-network`).
    pub allowed: Vec<Network>,
}

impl AddressPolicy {
    /// A policy that also allows the loopback networks (`--webhook-allow-loopback`).
    pub fn allowing_loopback(mut self) -> Self {
        self.allowed.push(Network { address: IpAddr::V4(Ipv4Addr::LOCALHOST), prefix: 8 });
        self.allowed.push(Network { address: IpAddr::V6(Ipv6Addr::LOCALHOST), prefix: 128 });
        self
    }

    /// Whether a webhook may be sent to `address`.
    pub fn allows(&self, address: IpAddr) -> bool {
        is_public(address) || self.allowed.iter().any(|network| network.contains(address))
    }
}

/// An IP network (`10.1.0.0/16`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

/// Why a network was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a network is an IP address, `/` and a prefix length (`10.1.0.0/16`)")]
pub struct NetworkError;

impl std::str::FromStr for Network {
    type Err = NetworkError;

    fn from_str(raw: &str) -> Result<Self, NetworkError> {
        let (address, prefix) = raw.split_once('/').ok_or(NetworkError)?;
        let address: IpAddr = address.parse().map_err(|_| NetworkError)?;
        let prefix: u8 = prefix.parse().map_err(|_| NetworkError)?;
        let longest = if address.is_ipv4() { 32 } else { 128 };
        if prefix > longest {
            return Err(NetworkError);
        }
        Ok(Network { address, prefix })
    }
}

impl Network {
    /// Whether `address` is in this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.address, canonical(address)) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                same_prefix(network.to_bits().into(), address.to_bits().into(), 32, self.prefix)
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                same_prefix(network.to_bits(), address.to_bits(), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn same_prefix(network: u128, address: u128, width: u8, prefix: u8) -> bool {
    let host_bits = u32::from(width - prefix.min(width));
    network.checked_shr(host_bits).unwrap_or(0) == address.checked_shr(host_bits).unwrap_or(0)
}

/// An IPv4 address written in IPv6's mapped form is that IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `address` is on the public internet: not loopback, private, link-local, shared
/// (carrier-grade NAT), multicast, documentation, benchmarking or reserved (the IANA special
/// registries), nor one of those embedded in an IPv6 form (mapped, NAT64, 6to4).
pub fn is_public(address: IpAddr) -> bool {
    match canonical(address) {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(address: Ipv4Addr) -> bool {
    let [a, b, c, _] = address.octets();
    let special = address.is_unspecified()
        || address.is_loopback()
        || address.is_private()
        || address.is_link_local()
        || address.is_multicast()
        || address.is_broadcast()
        || address.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (RFC 6598)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking (RFC 2544)
        || a >= 240; // reserved
    !special
}

fn is_public_v6(address: Ipv6Addr) -> bool {
    let segments = address.segments();
    let embedded_v4 = |high: u16, low: u16| {
        let [h1, h2] = high.to_be_bytes();
        let [l1, l2] = low.to_be_bytes();
        Ipv4Addr::new(h1, h2, l1, l2)
    };
    if address.is_unspecified() || address.is_loopback() || address.is_multicast() {
        return false;
    }
    match segments {
        // Unique local (fc00::/7) and link-local (fe80::/10).
        [first, ..] if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80 => false,
        // Documentation (2001:db8::/32).
        [0x2001, 0x0db8, ..] => false,
        // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
        [0x0064, 0xff9b, 0, 0, 0, 0, high, low] => is_public_v4(embedded_v4(high, low)),
        // 6to4 (2002::/16) reaches the IPv4 address in bits 16–48.
        [0x2002, high, low, ..] => is_public_v4(embedded_v4(high, low)),
        // IPv4-compatible (deprecated) ::a.b.c.d, and the discard prefix 100::/64.
        [0, 0, 0, 0, 0, 0, _, _] | [0x0100, 0, 0, 0, ..] => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn signs_the_specifications_example() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature =
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, br#"{"test": 2432232314}"#);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_secret_reads_back_from_what_is_shown_and_hides_in_debug() {
        let secret = WebhookSecret::from_bytes(vec![7; 32]).unwrap();
        assert_eq!(WebhookSecret::parse(&secret.reveal()).unwrap(), secret);
        assert!(secret.reveal().starts_with("whsec_"));
        assert_eq!(format!("{secret:?}"), "WebhookSecret(<redacted>)");
        assert_eq!(WebhookSecret::from_bytes(vec![7; 8]), Err(SecretError::Length));
        assert_eq!(WebhookSecret::parse("MfKQ9r8GKY"), Err(SecretError::Format));
    }

    #[test]
    fn refuses_private_loopback_link_local_and_special_addresses() {
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.10",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd12:3456::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
        ] {
            let address: IpAddr = refused.parse().unwrap();
            assert!(!is_public(address), "{refused} should be refused");
            assert!(!AddressPolicy::default().allows(address), "{refused}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "64:ff9b::808:808"] {
            assert!(is_public(public.parse().unwrap()), "{public} is public");
        }
    }

    #[test]
    fn reads_http_and_https_urls_and_refuses_others() {
        let url = WebhookUrl::parse("https://hr.example.gov.vn/hooks?x=1").unwrap();
        assert_eq!((url.host(), url.port()), ("hr.example.gov.vn", 443));
        let url = WebhookUrl::parse("http://127.0.0.1:8089/in").unwrap();
        assert_eq!((url.host(), url.port()), ("127.0.0.1", 8089));
        let url = WebhookUrl::parse("http://[::1]:9000").unwrap();
        assert_eq!((url.host(), url.port()), ("::1", 9000));
        for malformed in
            ["ftp://x", "https://", "https://:80/", "http://a b", "https://x:99999", "x"]
        {
            assert_eq!(
                WebhookUrl::parse(malformed),
                Err(WebhookUrlError::Malformed),
                "{malformed}"
            );
        }
        assert_eq!(WebhookUrl::parse("https://u:p@x.vn/"), Err(WebhookUrlError::Credentials));
        let url = WebhookUrl::parse("https://x.vn/").unwrap();
        let policy = AddressPolicy::default();
        assert_eq!(url.check_addresses(&policy, &[]), Err(WebhookUrlError::Unresolvable));
        let mixed = ["8.8.8.8".parse().unwrap(), "10.0.0.1".parse().unwrap()];
        assert_eq!(url.check_addresses(&policy, &mixed), Err(WebhookUrlError::AddressRefused));
        assert_eq!(url.check_addresses(&policy, &mixed[..1]), Ok(()));
    }

    #[test]
    fn the_operator_may_allow_loopback_or_named_networks() {
        let loopback = AddressPolicy::default().allowing_loopback();
        assert!(loopback.allows("127.0.0.1".parse().unwrap()));
        assert!(loopback.allows("::1".parse().unwrap()));
        assert!(loopback.allows("::ffff:127.0.0.2".parse().unwrap()));
        assert!(!loopback.allows("10.0.0.1".parse().unwrap()));
        let internal = AddressPolicy {
            allowed: vec!["10.20.0.0/16".parse().unwrap(), "fd00::/8".parse().unwrap()],
        };
        assert!(internal.allows("10.20.3.4".parse().unwrap()));
        assert!(!internal.allows("10.21.0.1".parse().unwrap()));
        assert!(internal.allows("fd01::5".parse().unwrap()));
        assert!(!internal.allows("127.0.0.1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Network>().is_err());
        assert!("10.0.0.0".parse::<Network>().is_err());
        assert!("0.0.0.0/0".parse::<Network>().unwrap().contains("1.2.3.4".parse().unwrap()));
    }

    proptest! {
        #[test]
        fn retries_wait_between_half_and_all_of_a_doubling_delay_up_to_the_cap(
            attempt in 1u32..15, jitter in 0.0f64..1.0,
        ) {
            let schedule = RetrySchedule::default();
            let AfterFailure::RetryIn(delay) = schedule.after_failure(attempt, jitter) else {
                return Err(TestCaseError::fail("gave up too early"));
            };
            let nominal = (schedule.base * 2u32.pow(attempt - 1)).min(schedule.cap);
            prop_assert!(delay >= nominal / 2 && delay <= nominal);
            prop_assert!(delay <= schedule.cap);
        }

        #[test]
        fn a_later_retry_never_comes_sooner_for_the_same_jitter(
            attempt in 1u32..14, jitter in 0.0f64..1.0,
        ) {
            let schedule = RetrySchedule::default();
            let (AfterFailure::RetryIn(first), AfterFailure::RetryIn(next)) =
                (schedule.after_failure(attempt, jitter), schedule.after_failure(attempt + 1, jitter))
            else {
                return Err(TestCaseError::fail("gave up too early"));
            };
            prop_assert!(next >= first);
        }

        #[test]
        fn a_delivery_is_given_up_after_its_last_attempt(extra in 0u32..1_000, jitter in 0.0f64..1.0) {
            let schedule = RetrySchedule::default();
            prop_assert_eq!(
                schedule.after_failure(schedule.max_attempts + extra, jitter),
                AfterFailure::GiveUp
            );
        }

        #[test]
        fn a_network_contains_every_address_sharing_its_prefix(bits in any::<u32>(), prefix in 0u8..=32) {
            let address = Ipv4Addr::from_bits(bits);
            let network: Network = format!("{address}/{prefix}").parse().unwrap();
            prop_assert!(network.contains(IpAddr::V4(address)));
            if prefix > 0 {
                // The last bit of the prefix, flipped: another network.
                let outside = Ipv4Addr::from_bits(bits ^ (1u32 << (32 - u32::from(prefix))));
                prop_assert!(!network.contains(IpAddr::V4(outside)));
            }
        }
    }
}
