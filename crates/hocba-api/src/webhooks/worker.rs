//! The delivery worker that `hocba serve` runs beside the API.
//!
//! Each round it (1) fans new events of the feed out to the subscriptions as deliveries, (2)
//! claims a batch of due deliveries under a lease, (3) posts them, at most `concurrency` at a
//! time on blocking threads (the async workers keep serving the API), and (4) records every
//! outcome in one transaction. Several processes on one PostgreSQL database share the work: the
//! claim skips rows another holds. A process killed mid-round leaves its leases to expire; the
//! deliveries are then claimed again and sent with the same `webhook-id`: at least once, never
//! lost. At shutdown the worker finishes the round under way and stops.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hocba_domain::webhooks::{AddressPolicy, RetrySchedule};
use hocba_store::{AttemptOutcome, DueDelivery, FanOut, Store};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use uuid::Uuid;

use super::feed;
use super::sender::Sender;
use crate::{ApiError, Authority};

/// How the worker delivers.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Where webhooks may be sent.
    pub policy: Arc<AddressPolicy>,
    /// Retries, giving up, and when a subscription is failing.
    pub schedule: RetrySchedule,
    /// Deliveries posted at once.
    pub concurrency: usize,
    /// Deliveries claimed per round.
    pub batch: u64,
    /// How long a claim holds: longer than an attempt can take.
    pub lease: Duration,
    /// How long an attempt may take.
    pub timeout: Duration,
    /// How long an idle worker waits before looking for work again.
    pub idle: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            policy: Arc::default(),
            schedule: RetrySchedule::default(),
            concurrency: 32,
            batch: 256,
            lease: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            idle: Duration::from_millis(200),
        }
    }
}

/// Events fanned out per subscription and round.
const FAN_OUT_BATCH: u64 = 1_000;

/// The delivery worker.
pub struct Worker {
    store: Store,
    authority: Arc<Authority>,
    settings: WebhookSettings,
    sender: Sender,
    /// This process's claims: a lease lost to another worker is recognised by it.
    claim: Uuid,
    /// The feed position every subscription has been fanned out through, after the last round
    /// (`None`: no subscription): an idle worker waits for an event after it.
    caught_up_to: Mutex<Option<i64>>,
}

impl Worker {
    /// A worker delivering from `store`, opening secrets with `authority`'s key.
    pub fn new(store: Store, authority: Arc<Authority>, settings: WebhookSettings) -> Self {
        let sender = Sender::new(settings.policy.clone(), settings.timeout, settings.concurrency);
        Worker {
            store,
            authority,
            settings,
            sender,
            claim: Uuid::now_v7(),
            caught_up_to: Mutex::new(None),
        }
    }

    /// Delivers until `shutdown` turns true; the round under way is finished first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(concurrency = self.settings.concurrency, "webhook worker started");
        while !*shutdown.borrow() {
            let busy = match self.round().await {
                Ok(delivered) => delivered > 0,
                Err(error) => {
                    tracing::warn!(%error, "webhook round failed; retrying");
                    false
                }
            };
            if !busy {
                // New events wake the worker at once; retries falling due, within `idle`.
                let caught_up_to = self.caught_up_to.lock().ok().and_then(|position| *position);
                let idle = async {
                    match caught_up_to {
                        Some(position) => {
                            let _ = feed::wait(&self.store, position, self.settings.idle).await;
                        }
                        None => tokio::time::sleep(self.settings.idle).await,
                    }
                };
                tokio::select! {
                    _ = shutdown.changed() => {},
                    () = idle => {},
                }
            }
        }
        tracing::info!("webhook worker stopped");
    }

    /// One round: fan out, claim, post, record. Returns how many attempts it made.
    pub async fn round(&self) -> Result<usize, ApiError> {
        self.fan_out().await?;
        let due = self
            .store
            .claim_webhook_deliveries(self.claim, self.settings.lease, self.settings.batch)
            .await?;
        if due.is_empty() {
            return Ok(0);
        }
        let outcomes = self.attempt_all(due).await?;
        self.store
            .finish_webhook_deliveries(self.claim, &outcomes, &self.settings.schedule)
            .await?;
        Ok(outcomes.len())
    }

    /// Creates the deliveries of the events each subscription has not had yet, and moves it
    /// past the events it does not take.
    async fn fan_out(&self) -> Result<(), ApiError> {
        let mut caught_up_to: Option<i64> = None;
        let mut fan_outs = Vec::new();
        for (subscription_id, types, from) in self.store.webhook_positions().await? {
            let (items, last) = feed::after(&self.store, from, &types, FAN_OUT_BATCH).await?;
            let through = last.unwrap_or(from);
            if through != from {
                fan_outs.push(FanOut { subscription_id, from, through, items });
            }
            caught_up_to = Some(caught_up_to.map_or(through, |lowest| lowest.min(through)));
        }
        // One transaction for every subscription: on SQLite, one wait for the write lock.
        self.store.fan_out_webhooks(&fan_outs).await?;
        if let Ok(mut position) = self.caught_up_to.lock() {
            *position = caught_up_to;
        }
        Ok(())
    }

    /// Posts every delivery, `concurrency` at a time, on blocking threads.
    async fn attempt_all(
        &self,
        due: Vec<DueDelivery>,
    ) -> Result<Vec<(Uuid, AttemptOutcome)>, ApiError> {
        let secrets = self.authority.webhook_secrets()?;
        let permits = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut attempts = JoinSet::new();
        for delivery in due {
            let permit = permits.clone().acquire_owned().await.map_err(ApiError::internal)?;
            let secrets = secrets.clone();
            let sender = self.sender.clone();
            attempts.spawn_blocking(move || {
                let outcome = match secrets.open(delivery.subscription_id, &delivery.secret_sealed)
                {
                    Ok(secret) => sender.attempt(&delivery, &secret, timestamp),
                    Err(_) => AttemptOutcome::Failed {
                        status_code: None,
                        error: "the subscription's secret cannot be opened on this node".to_owned(),
                    },
                };
                drop(permit);
                (delivery.id, outcome)
            });
        }
        let mut outcomes = Vec::new();
        while let Some(joined) = attempts.join_next().await {
            outcomes.push(joined.map_err(ApiError::internal)?);
        }
        Ok(outcomes)
    }
}
