//! The HTTP side of a delivery: a blocking `ureq` agent whose resolver lets through only the
//! addresses the operator's policy allows, so that the address checked is the address connected
//! to (no window for a DNS answer to change in between), and which follows no redirect.

use std::sync::Arc;
use std::time::Duration;

use hocba_domain::webhooks::{AddressPolicy, WebhookSecret};
use hocba_store::{AttemptOutcome, DueDelivery};
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// What a refused address looks like in the delivery log.
const REFUSED: &str = "the URL resolves to an address webhooks may not be sent to";

/// Resolves as the system does, then drops the addresses the policy refuses.
#[derive(Debug)]
struct PolicyResolver {
    policy: Arc<AddressPolicy>,
    system: DefaultResolver,
}

impl Resolver for PolicyResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let resolved = self.system.resolve(uri, config, timeout)?;
        let mut allowed = self.empty();
        let mut refused = false;
        for address in resolved.iter() {
            if self.policy.allows(address.ip()) {
                allowed.push(*address);
            } else {
                refused = true;
            }
        }
        // All or nothing, as when the subscription was made: a host that resolves to one
        // private address among public ones is refused.
        if refused || allowed.is_empty() {
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                REFUSED,
            )));
        }
        Ok(allowed)
    }
}

/// Posts deliveries. Cheap to clone: one connection pool.
#[derive(Debug, Clone)]
pub struct Sender {
    agent: ureq::Agent,
}

impl Sender {
    /// A sender allowed the addresses of `policy`, giving each attempt `timeout`.
    pub fn new(policy: Arc<AddressPolicy>, timeout: Duration, connections: usize) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(timeout))
            .user_agent("Hocba-Webhooks/1")
            .max_idle_connections(connections.max(1) * 4)
            .max_idle_connections_per_host(connections.max(1))
            .build();
        let resolver = PolicyResolver { policy, system: DefaultResolver::default() };
        Sender { agent: ureq::Agent::with_parts(config, DefaultConnector::default(), resolver) }
    }

    /// Makes one attempt at `delivery` (blocking: run it off the async workers). `timestamp` is
    /// the `webhook-timestamp`, in seconds since the epoch.
    pub fn attempt(
        &self,
        delivery: &DueDelivery,
        secret: &WebhookSecret,
        timestamp: i64,
    ) -> AttemptOutcome {
        let id = delivery.id.to_string();
        let signature = secret.sign(&id, timestamp, delivery.payload.as_bytes());
        let sent = self
            .agent
            .post(&delivery.url)
            .header("webhook-id", &id)
            .header("webhook-timestamp", &timestamp.to_string())
            .header("webhook-signature", &signature)
            .content_type("application/json")
            .send(delivery.payload.as_bytes());
        match sent {
            Ok(mut response) => {
                let status_code = response.status().as_u16();
                // Read (a bounded part of) the answer so the connection can be reused.
                let _ = response.body_mut().with_config().limit(64 * 1024).read_to_vec();
                if response.status().is_success() {
                    AttemptOutcome::Delivered { status_code }
                } else {
                    AttemptOutcome::Failed {
                        status_code: Some(status_code),
                        error: format!("the receiver answered {status_code}"),
                    }
                }
            }
            Err(error) => AttemptOutcome::Failed { status_code: None, error: describe(&error) },
        }
    }
}

/// A failure in words for the delivery log: what happened, never a body or a header.
fn describe(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            REFUSED.to_owned()
        }
        ureq::Error::Timeout(_) => "the receiver did not answer in time".to_owned(),
        ureq::Error::HostNotFound => "the host does not resolve".to_owned(),
        ureq::Error::ConnectionFailed | ureq::Error::Io(_) => {
            "cannot connect to the receiver".to_owned()
        }
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => {
            "the receiver redirected; webhooks follow no redirect".to_owned()
        }
        other => format!("the request failed: {other}"),
    }
}
