//! Webhook subscriptions and their deliveries (Standard Webhooks).
//!
//! Deliveries are made from the events feed: [`Store::fan_out_webhooks`] creates one delivery per
//! event and matching subscription (a unique index makes a second fan-out of the same event a
//! no-op) and moves the subscription's position in the feed, in one transaction. Workers then
//! [claim](Store::claim_webhook_deliveries) due deliveries for a lease: on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, so that several server processes never claim the same row at once;
//! a worker that dies mid-delivery leaves a lease that expires, and the delivery is claimed
//! again with the same id (the `webhook-id`), so nothing is lost. A worker records each attempt
//! only while its claim still holds.

use hocba_domain::webhooks::{AfterFailure, RetrySchedule};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::{webhook_attempt, webhook_delivery, webhook_subscription};
use crate::page::{Page, PageRequest};
use crate::{Actor, Store, StoreError};

/// Whether a subscription's deliveries are getting through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    /// The last attempts succeeded, or too few failed to say otherwise.
    Active,
    /// Its last [`RetrySchedule::failing_after`] attempts failed; deliveries are still retried,
    /// and the next success makes it active again.
    Failing,
}

impl SubscriptionStatus {
    /// The stored and published form.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Failing => "failing",
        }
    }

    fn from_stored(value: &str) -> Result<Self, StoreError> {
        match value {
            "active" => Ok(SubscriptionStatus::Active),
            "failing" => Ok(SubscriptionStatus::Failing),
            _ => Err(StoreError::corrupt("webhook_subscriptions", "status")),
        }
    }
}

/// Where a delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Due now or later (or being attempted, under a lease).
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed; a replay makes it pending again.
    Failed,
}

impl DeliveryState {
    /// The stored and published form.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }
}

/// A webhook subscription, as shown to its owner (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSubscription {
    /// Its id.
    pub id: Uuid,
    /// The machine client that owns it; `None` for the operator's own.
    pub client_id: Option<Uuid>,
    /// Where deliveries are posted.
    pub url: String,
    /// The event types delivered; empty: every type.
    pub event_types: Vec<String>,
    /// Whether deliveries are getting through.
    pub status: SubscriptionStatus,
    /// Failed attempts since the last success.
    pub consecutive_failures: u32,
    /// When it was created.
    pub created_at: OffsetDateTime,
}

/// A subscription to create: the caller has checked the URL and sealed the secret.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    /// Its id, chosen by the caller: the sealed secret is bound to it.
    pub id: Uuid,
    /// The owner; `None` for the operator.
    pub client_id: Option<Uuid>,
    /// Where deliveries go.
    pub url: String,
    /// Event types (`certificate.issued`); empty for all.
    pub event_types: Vec<String>,
    /// The secret, sealed by the caller: the store never sees it in clear.
    pub secret_sealed: String,
    /// Deliver the events after this position of the feed (the feed's head: from now on).
    pub start_after: i64,
}

/// One attempt at a delivery, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// Its id (the log's cursor).
    pub id: Uuid,
    /// The delivery, whose id is the `webhook-id` header of every attempt.
    pub delivery_id: Uuid,
    /// The event's position in the feed.
    pub event_seq: i64,
    /// The event's type.
    pub event_type: String,
    /// 1 for the first attempt at this delivery.
    pub attempt: u32,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// Why it failed, when it did (never the receiver's body).
    pub error: Option<String>,
    /// When it was made.
    pub attempted_at: OffsetDateTime,
    /// Where the delivery stands now.
    pub state: DeliveryState,
}

/// A delivery claimed by a worker, with what it needs to make the attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    /// The `webhook-id`.
    pub id: Uuid,
    /// Its subscription.
    pub subscription_id: Uuid,
    /// The subscription's URL.
    pub url: String,
    /// The subscription's sealed secret.
    pub secret_sealed: String,
    /// The body to post, the same on every attempt.
    pub payload: String,
    /// Attempts already made.
    pub attempts: u32,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The receiver answered 2xx.
    Delivered {
        /// Its status.
        status_code: u16,
    },
    /// Anything else: another status, a refused address, a network error, a timeout.
    Failed {
        /// The receiver's status, if it answered.
        status_code: Option<u16>,
        /// Why, in a few words (no body, no secret).
        error: String,
    },
}

/// An event of the feed, as fanned out to subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedItem {
    /// Its position in the feed.
    pub seq: i64,
    /// Its type (`certificate.issued`).
    pub event_type: String,
    /// The webhook body: ids and types only, no personal data.
    pub payload: String,
}

/// The deliveries to create for one subscription, and where its position moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FanOut {
    /// The subscription.
    pub subscription_id: Uuid,
    /// Its position when the events were read.
    pub from: i64,
    /// The last event read.
    pub through: i64,
    /// The events it takes, as webhook bodies.
    pub items: Vec<FeedItem>,
}

/// The longest error text kept per attempt.
const ERROR_LENGTH: usize = 500;

fn into_subscription(
    model: webhook_subscription::Model,
) -> Result<WebhookSubscription, StoreError> {
    Ok(WebhookSubscription {
        id: model.id,
        client_id: model.client_id,
        url: model.url,
        event_types: split_types(&model.event_types),
        status: SubscriptionStatus::from_stored(&model.status)?,
        consecutive_failures: u32::try_from(model.consecutive_failures).unwrap_or(0),
        created_at: model.created_at,
    })
}

fn split_types(stored: &str) -> Vec<String> {
    stored.split(',').filter(|kind| !kind.is_empty()).map(str::to_owned).collect()
}

fn webhook_change(action: &'static str, subscription: &webhook_subscription::Model) -> Change {
    Change {
        action,
        subject_type: "webhook_subscription",
        subject_id: subscription.id.to_string(),
        details: json!({
            "client_id": subscription.client_id.map(|id| id.to_string()),
            "event_types": subscription.event_types,
        }),
    }
}

/// Restricts a query to what `owner` may see: a client its own subscriptions, the operator
/// (`None`) every one.
fn owned_by(owner: Option<Uuid>) -> Condition {
    match owner {
        Some(client_id) => {
            Condition::all().add(webhook_subscription::Column::ClientId.eq(client_id))
        }
        None => Condition::all(),
    }
}

impl Store {
    /// Creates a subscription; deliveries start with the events after `start_after`.
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        new: NewSubscription,
    ) -> Result<WebhookSubscription, StoreError> {
        let txn = self.write().await?;
        let model = webhook_subscription::ActiveModel {
            id: Set(new.id),
            client_id: Set(new.client_id),
            url: Set(new.url),
            event_types: Set(new.event_types.join(",")),
            secret_sealed: Set(new.secret_sealed),
            status: Set(SubscriptionStatus::Active.as_str().to_owned()),
            consecutive_failures: Set(0),
            fanned_out_through: Set(new.start_after),
            created_at: Set(crate::now()),
        }
        .insert(&txn)
        .await?;
        audit::append(&txn, actor, webhook_change("webhook.created", &model)).await?;
        txn.commit().await?;
        into_subscription(model)
    }

    /// The subscriptions `owner` may see (`None`: the operator, every one), oldest first.
    pub async fn webhooks(
        &self,
        owner: Option<Uuid>,
    ) -> Result<Vec<WebhookSubscription>, StoreError> {
        webhook_subscription::Entity::find()
            .filter(owned_by(owner))
            .order_by_asc(webhook_subscription::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(into_subscription)
            .collect()
    }

    /// One subscription `owner` may see; another's is not found.
    pub async fn webhook(
        &self,
        owner: Option<Uuid>,
        id: Uuid,
    ) -> Result<WebhookSubscription, StoreError> {
        into_subscription(self.owned_webhook(&self.db, owner, id).await?)
    }

    async fn owned_webhook(
        &self,
        db: &impl ConnectionTrait,
        owner: Option<Uuid>,
        id: Uuid,
    ) -> Result<webhook_subscription::Model, StoreError> {
        webhook_subscription::Entity::find_by_id(id)
            .filter(owned_by(owner))
            .one(db)
            .await?
            .ok_or(StoreError::NotFound { entity: "webhook subscription" })
    }

    /// Deletes a subscription with its deliveries and their log.
    pub async fn delete_webhook(
        &self,
        actor: &Actor,
        owner: Option<Uuid>,
        id: Uuid,
    ) -> Result<(), StoreError> {
        let txn = self.write().await?;
        let model = self.owned_webhook(&txn, owner, id).await?;
        webhook_attempt::Entity::delete_many()
            .filter(webhook_attempt::Column::SubscriptionId.eq(id))
            .exec(&txn)
            .await?;
        webhook_delivery::Entity::delete_many()
            .filter(webhook_delivery::Column::SubscriptionId.eq(id))
            .exec(&txn)
            .await?;
        webhook_subscription::Entity::delete_by_id(id).exec(&txn).await?;
        audit::append(&txn, actor, webhook_change("webhook.deleted", &model)).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Sends again every event after position `after` of the feed: deliveries already made or
    /// given up become pending (with the same `webhook-id`), and events not fanned out yet follow.
    pub async fn replay_webhook(
        &self,
        actor: &Actor,
        owner: Option<Uuid>,
        id: Uuid,
        after: i64,
    ) -> Result<WebhookSubscription, StoreError> {
        let txn = self.write().await?;
        let model = self.owned_webhook(&txn, owner, id).await?;
        let now = crate::now();
        webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::State, Expr::value(DeliveryState::Pending.as_str()))
            .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(now))
            .filter(webhook_delivery::Column::SubscriptionId.eq(id))
            .filter(webhook_delivery::Column::EventSeq.gt(after))
            .filter(webhook_delivery::Column::State.ne(DeliveryState::Pending.as_str()))
            .exec(&txn)
            .await?;
        let through = Ord::min(model.fanned_out_through, after);
        let mut replaying: webhook_subscription::ActiveModel = model.into();
        replaying.fanned_out_through = Set(through);
        let model = replaying.update(&txn).await?;
        let mut change = webhook_change("webhook.replayed", &model);
        change.details["after"] = json!(after);
        audit::append(&txn, actor, change).await?;
        txn.commit().await?;
        into_subscription(model)
    }

    /// A page of a subscription's delivery log: every attempt, oldest first.
    pub async fn webhook_log(
        &self,
        owner: Option<Uuid>,
        id: Uuid,
        page: PageRequest,
    ) -> Result<Page<DeliveryAttempt>, StoreError> {
        self.owned_webhook(&self.db, owner, id).await?;
        let mut query = webhook_attempt::Entity::find()
            .filter(webhook_attempt::Column::SubscriptionId.eq(id))
            .order_by_asc(webhook_attempt::Column::Id)
            .limit(page.limit.saturating_add(1));
        if let Some(after) = page.after {
            query = query.filter(webhook_attempt::Column::Id.gt(after));
        }
        let attempts = query.all(&self.db).await?;
        let deliveries: std::collections::HashMap<Uuid, webhook_delivery::Model> =
            webhook_delivery::Entity::find()
                .filter(
                    webhook_delivery::Column::Id
                        .is_in(attempts.iter().map(|attempt| attempt.delivery_id)),
                )
                .all(&self.db)
                .await?
                .into_iter()
                .map(|delivery| (delivery.id, delivery))
                .collect();
        Page::from_rows(
            attempts,
            page,
            |attempt| attempt.id,
            |attempt| {
                let delivery = deliveries
                    .get(&attempt.delivery_id)
                    .ok_or_else(|| StoreError::corrupt("webhook_attempts", "delivery"))?;
                Ok(DeliveryAttempt {
                    id: attempt.id,
                    delivery_id: attempt.delivery_id,
                    event_seq: delivery.event_seq,
                    event_type: delivery.event_type.clone(),
                    attempt: u32::try_from(attempt.attempt).unwrap_or(0),
                    status_code: attempt.status_code.and_then(|code| u16::try_from(code).ok()),
                    error: attempt.error,
                    attempted_at: attempt.attempted_at,
                    state: delivery_state(&delivery.state)?,
                })
            },
        )
    }

    /// Every subscription with its position in the feed, for the fan-out.
    pub async fn webhook_positions(&self) -> Result<Vec<(Uuid, Vec<String>, i64)>, StoreError> {
        Ok(webhook_subscription::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|model| (model.id, split_types(&model.event_types), model.fanned_out_through))
            .collect())
    }

    /// Creates the deliveries of each fan-out (events after a subscription's position, of its
    /// types) and moves the subscription to its `through`, all in one transaction; a
    /// subscription another worker moved meanwhile is skipped (that worker made the same
    /// deliveries). Returns how many deliveries were created.
    pub async fn fan_out_webhooks(&self, fan_outs: &[FanOut]) -> Result<u64, StoreError> {
        if fan_outs.is_empty() {
            return Ok(0);
        }
        let txn = self.write().await?;
        let now = crate::now();
        let mut rows = Vec::new();
        for fan_out in fan_outs {
            let moved = webhook_subscription::Entity::update_many()
                .col_expr(
                    webhook_subscription::Column::FannedOutThrough,
                    Expr::value(fan_out.through),
                )
                .filter(webhook_subscription::Column::Id.eq(fan_out.subscription_id))
                .filter(webhook_subscription::Column::FannedOutThrough.eq(fan_out.from))
                .exec(&txn)
                .await?;
            if moved.rows_affected == 0 {
                continue;
            }
            rows.extend(fan_out.items.iter().map(|item| webhook_delivery::ActiveModel {
                id: Set(Uuid::now_v7()),
                subscription_id: Set(fan_out.subscription_id),
                event_seq: Set(item.seq),
                event_type: Set(item.event_type.clone()),
                payload: Set(item.payload.clone()),
                state: Set(DeliveryState::Pending.as_str().to_owned()),
                attempts: Set(0),
                next_attempt_at: Set(now),
                lease_until: Set(None),
                claim: Set(None),
                created_at: Set(now),
                delivered_at: Set(None),
            }));
        }
        // A replay moves the position back over events already delivered: their rows stay.
        let on_conflict = sea_orm::sea_query::OnConflict::columns([
            webhook_delivery::Column::SubscriptionId,
            webhook_delivery::Column::EventSeq,
        ])
        .do_nothing()
        .to_owned();
        let mut written = 0;
        for chunk in rows.chunks(500) {
            written += webhook_delivery::Entity::insert_many(chunk.to_vec())
                .on_conflict(on_conflict.clone())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(written)
    }

    /// Claims up to `limit` due deliveries for `lease`, as `claim`. On PostgreSQL the rows are
    /// locked `FOR UPDATE SKIP LOCKED` while they are claimed, so concurrent workers each claim
    /// other rows; SQLite's write lock serialises the claim.
    pub async fn claim_webhook_deliveries(
        &self,
        claim: Uuid,
        lease: std::time::Duration,
        limit: u64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let txn = self.write().await?;
        let now = crate::now();
        let mut due = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending.as_str()))
            .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
            .filter(
                Condition::any()
                    .add(webhook_delivery::Column::LeaseUntil.is_null())
                    .add(webhook_delivery::Column::LeaseUntil.lt(now)),
            )
            .order_by_asc(webhook_delivery::Column::NextAttemptAt)
            .limit(limit);
        if txn.get_database_backend() == DbBackend::Postgres {
            due = due.lock_with_behavior(
                sea_orm::sea_query::LockType::Update,
                sea_orm::sea_query::LockBehavior::SkipLocked,
            );
        }
        let due = due.all(&txn).await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::Claim, Expr::value(claim))
            .col_expr(webhook_delivery::Column::LeaseUntil, Expr::value(now + lease))
            .filter(webhook_delivery::Column::Id.is_in(due.iter().map(|delivery| delivery.id)))
            .exec(&txn)
            .await?;
        let subscriptions: std::collections::HashMap<Uuid, webhook_subscription::Model> =
            webhook_subscription::Entity::find()
                .filter(
                    webhook_subscription::Column::Id
                        .is_in(due.iter().map(|delivery| delivery.subscription_id)),
                )
                .all(&txn)
                .await?
                .into_iter()
                .map(|subscription| (subscription.id, subscription))
                .collect();
        txn.commit().await?;
        Ok(due
            .into_iter()
            .filter_map(|delivery| {
                let subscription = subscriptions.get(&delivery.subscription_id)?;
                Some(DueDelivery {
                    id: delivery.id,
                    subscription_id: delivery.subscription_id,
                    url: subscription.url.clone(),
                    secret_sealed: subscription.secret_sealed.clone(),
                    payload: delivery.payload,
                    attempts: u32::try_from(delivery.attempts).unwrap_or(0),
                })
            })
            .collect())
    }

    /// Records the outcomes of attempts made under `claim`, in one transaction: each delivery
    /// is done, retried later as `schedule` says, or given up; its subscription's run of
    /// failures is reset or extended. An outcome whose lease was lost (another worker claimed
    /// the delivery since) is dropped: that worker will record its own.
    pub async fn finish_webhook_deliveries(
        &self,
        claim: Uuid,
        outcomes: &[(Uuid, AttemptOutcome)],
        schedule: &RetrySchedule,
    ) -> Result<(), StoreError> {
        let txn = self.write().await?;
        let now = crate::now();
        let held: std::collections::HashMap<Uuid, webhook_delivery::Model> =
            webhook_delivery::Entity::find()
                .filter(webhook_delivery::Column::Claim.eq(claim))
                .filter(webhook_delivery::Column::Id.is_in(outcomes.iter().map(|(id, _)| *id)))
                .all(&txn)
                .await?
                .into_iter()
                .map(|delivery| (delivery.id, delivery))
                .collect();
        let mut attempts = Vec::with_capacity(outcomes.len());
        let mut delivered = Vec::new();
        // Per subscription: whether an attempt succeeded, and the failures after the last one
        // that did.
        let mut runs: std::collections::HashMap<Uuid, (bool, u32)> =
            std::collections::HashMap::new();
        for (id, outcome) in outcomes {
            let Some(delivery) = held.get(id) else { continue };
            let attempt = delivery.attempts.saturating_add(1);
            let run = runs.entry(delivery.subscription_id).or_default();
            let (status_code, error) = match outcome {
                AttemptOutcome::Delivered { status_code } => {
                    delivered.push(*id);
                    *run = (true, 0);
                    (Some(*status_code), None)
                }
                AttemptOutcome::Failed { status_code, error } => {
                    run.1 += 1;
                    let jitter: f64 = rand::random();
                    let attempts = u32::try_from(attempt).unwrap_or(u32::MAX);
                    let next = match schedule.after_failure(attempts, jitter) {
                        AfterFailure::RetryIn(delay) => (DeliveryState::Pending, now + delay),
                        AfterFailure::GiveUp => (DeliveryState::Failed, now),
                    };
                    webhook_delivery::Entity::update_many()
                        .col_expr(webhook_delivery::Column::Attempts, Expr::value(attempt))
                        .col_expr(webhook_delivery::Column::State, Expr::value(next.0.as_str()))
                        .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(next.1))
                        .col_expr(
                            webhook_delivery::Column::Claim,
                            Expr::value(Option::<Uuid>::None),
                        )
                        .col_expr(
                            webhook_delivery::Column::LeaseUntil,
                            Expr::value(Option::<OffsetDateTime>::None),
                        )
                        .filter(webhook_delivery::Column::Id.eq(*id))
                        .exec(&txn)
                        .await?;
                    (*status_code, Some(error.chars().take(ERROR_LENGTH).collect::<String>()))
                }
            };
            attempts.push(webhook_attempt::ActiveModel {
                id: Set(Uuid::now_v7()),
                delivery_id: Set(*id),
                subscription_id: Set(delivery.subscription_id),
                attempt: Set(attempt),
                status_code: Set(status_code.map(i32::from)),
                error: Set(error),
                attempted_at: Set(now),
            });
        }
        if !delivered.is_empty() {
            use webhook_delivery::Column;
            webhook_delivery::Entity::update_many()
                .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
                .col_expr(Column::State, Expr::value(DeliveryState::Delivered.as_str()))
                .col_expr(Column::DeliveredAt, Expr::value(Some(now)))
                .col_expr(Column::Claim, Expr::value(Option::<Uuid>::None))
                .col_expr(Column::LeaseUntil, Expr::value(Option::<OffsetDateTime>::None))
                .filter(Column::Id.is_in(delivered))
                .exec(&txn)
                .await?;
        }
        for (subscription_id, (succeeded, failures)) in runs {
            count_attempts(&txn, subscription_id, succeeded, failures, schedule).await?;
        }
        if !attempts.is_empty() {
            webhook_attempt::Entity::insert_many(attempts).exec_without_returning(&txn).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

/// Records a round's attempts on a subscription's run of failures: reset by a success (to the
/// failures after it), extended otherwise; the subscription is failing once the run is long
/// enough, and active again after a success.
async fn count_attempts(
    txn: &sea_orm::DatabaseTransaction,
    subscription_id: Uuid,
    succeeded: bool,
    failures: u32,
    schedule: &RetrySchedule,
) -> Result<(), StoreError> {
    use webhook_subscription::Column;
    let update = webhook_subscription::Entity::update_many().filter(Column::Id.eq(subscription_id));
    let update = if succeeded {
        update
            .col_expr(Column::ConsecutiveFailures, Expr::value(failures))
            .col_expr(Column::Status, Expr::value(SubscriptionStatus::Active.as_str()))
    } else {
        update.col_expr(
            Column::ConsecutiveFailures,
            Expr::col(Column::ConsecutiveFailures).add(failures),
        )
    };
    update.exec(txn).await?;
    if failures > 0 {
        webhook_subscription::Entity::update_many()
            .col_expr(Column::Status, Expr::value(SubscriptionStatus::Failing.as_str()))
            .filter(Column::Id.eq(subscription_id))
            .filter(Column::ConsecutiveFailures.gte(i64::from(schedule.failing_after)))
            .exec(txn)
            .await?;
    }
    Ok(())
}

fn delivery_state(stored: &str) -> Result<DeliveryState, StoreError> {
    [DeliveryState::Pending, DeliveryState::Delivered, DeliveryState::Failed]
        .into_iter()
        .find(|state| state.as_str() == stored)
        .ok_or_else(|| StoreError::corrupt("webhook_deliveries", "state"))
}
