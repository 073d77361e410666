//! Status-list slots: reserved for certificates and VC API credentials, read by the status
//! list endpoints.

use hocba_domain::{STATUS_LIST_SIZE, status_index};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use std::collections::VecDeque;

use crate::audit::{self, Change};
use crate::entities::{certificate, revocation, status_list};
use crate::{Actor, Store, StoreError};

use super::reads::with_revocation;
use super::{Certificate, random_hex};

/// Serialises the opening of status lists across server processes.
const STATUS_LOCK: i64 = 0x686f_6362_6173_7473; // "hocbasts"

impl Store {
    /// Takes a status slot for a credential issued through the VC API (no certificate row: the
    /// slot is simply never handed out again).
    pub async fn allocate_status_slot(&self, actor: &Actor) -> Result<(i32, u32), StoreError> {
        let txn = self.write().await?;
        let (list, index) = reserve_status_slots(&txn, 1)
            .await?
            .pop_front()
            .ok_or_else(|| StoreError::corrupt("status_lists", "no slot reserved"))?;
        audit::append(
            &txn,
            actor,
            Change {
                action: "status_slot.allocated",
                subject_type: "status_list",
                subject_id: list.to_string(),
                details: json!({ "index": index }),
            },
        )
        .await?;
        txn.commit().await?;
        Ok((list, index))
    }

    /// Whether status list `list` exists.
    pub async fn status_list_exists(&self, list: i32) -> Result<bool, StoreError> {
        Ok(status_list::Entity::find_by_id(list).one(&self.db).await?.is_some())
    }

    /// Indices of revoked certificates in status list `list`.
    pub async fn revoked_indices(&self, list: i32) -> Result<Vec<u32>, StoreError> {
        // On the replica when it may answer: it has seen every revocation this process knows of.
        let txn = self.read().await?;
        let revoked = sea_orm::sea_query::Query::select()
            .column(revocation::Column::CertificateId)
            .from(revocation::Entity)
            .to_owned();
        let rows = certificate::Entity::find()
            .filter(certificate::Column::StatusList.eq(list))
            .filter(certificate::Column::Id.in_subquery(revoked))
            .all(&txn)
            .await?;
        txn.commit().await?;
        let indices: Vec<u32> =
            rows.into_iter().filter_map(|row| u32::try_from(row.status_index).ok()).collect();
        Ok(indices)
    }

    /// The certificate holding a status slot, if any.
    pub async fn certificate_at(
        &self,
        list: i32,
        index: u32,
    ) -> Result<Option<Certificate>, StoreError> {
        let Ok(index) = i32::try_from(index) else { return Ok(None) };
        let found = certificate::Entity::find()
            .filter(certificate::Column::StatusList.eq(list))
            .filter(certificate::Column::StatusIndex.eq(index));
        with_revocation(&self.db, found).await
    }
}

/// Takes the next `count` slots of the open status lists (opening new lists as they fill), in
/// one read and one write per list touched.
///
/// A list's row stays locked until the transaction ends, so that slots a rolled-back posting
/// took are handed out again rather than lost. On PostgreSQL a concurrent posting skips the
/// lists others hold and takes slots from another open list, or opens one, instead of waiting
/// for their commits; SQLite has one writer at a time, and so one open list.
pub(super) async fn reserve_status_slots(
    txn: &DatabaseTransaction,
    count: usize,
) -> Result<VecDeque<(i32, u32)>, StoreError> {
    let mut slots = VecDeque::with_capacity(count);
    while slots.len() < count {
        let list = match lock_open_list(txn).await? {
            Some(list) => list,
            None => open_new_list(txn).await?,
        };
        let corrupt = || StoreError::corrupt("status_lists", "position");
        let first = u32::try_from(list.next_position).map_err(|_| corrupt())?;
        let size = u32::try_from(list.size).map_err(|_| corrupt())?;
        let wanted = u32::try_from(count - slots.len()).unwrap_or(u32::MAX);
        let end = size.min(first.saturating_add(wanted));
        let seed = decode_seed(&list.seed)?;
        slots.extend((first..end).map(|position| (list.id, status_index(&seed, position))));
        let mut advancing: status_list::ActiveModel = list.into();
        advancing.next_position = Set(i32::try_from(end).map_err(|_| corrupt())?);
        advancing.update(txn).await?;
    }
    Ok(slots)
}

/// The oldest list with free slots that no other transaction holds, now locked by this one.
async fn lock_open_list(
    txn: &DatabaseTransaction,
) -> Result<Option<status_list::Model>, StoreError> {
    use sea_orm::ExprTrait as _;
    Ok(status_list::Entity::find()
        .filter(
            Expr::col(status_list::Column::NextPosition).lt(Expr::col(status_list::Column::Size)),
        )
        .order_by_asc(status_list::Column::Id)
        .lock_with_behavior(LockType::NoKeyUpdate, LockBehavior::SkipLocked)
        .one(txn)
        .await?)
}

/// Opens the next status list, numbered after the last one. Openings serialise on a lock held
/// to the end of the transaction; an opening that waited still opens its own list rather than
/// take one freed meanwhile, which would hold that lock through a whole posting and make every
/// later posting wait for it. So each concurrent writer soon has a list of its own.
async fn open_new_list(txn: &DatabaseTransaction) -> Result<status_list::Model, StoreError> {
    crate::serialize_on(txn, STATUS_LOCK).await?;
    let last = status_list::Entity::find().order_by_desc(status_list::Column::Id).one(txn).await?;
    Ok(status_list::ActiveModel {
        id: Set(last.map_or(1, |list| list.id + 1)),
        seed: Set(random_hex::<32>()),
        size: Set(STATUS_LIST_SIZE as i32),
        next_position: Set(0),
        created_at: Set(crate::now()),
    }
    .insert(txn)
    .await?)
}

fn decode_seed(hex: &str) -> Result<[u8; 32], StoreError> {
    let corrupt = || StoreError::corrupt("status_lists", "seed");
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|at| hex.get(at..at + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect::<Option<_>>()
        .ok_or_else(corrupt)?;
    bytes.try_into().map_err(|_| corrupt())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sea_orm::{DbBackend, TransactionTrait};

    use super::*;
    use crate::test_stores::migrated_stores;

    #[tokio::test]
    async fn a_posting_that_rolls_back_gives_its_slots_back_and_concurrent_ones_do_not_wait() {
        for (store, _dir) in migrated_stores("status").await {
            // An open list, so that the rollback below returns slots rather than a whole list.
            let opening = store.write().await.unwrap();
            reserve_status_slots(&opening, 1).await.unwrap();
            opening.commit().await.unwrap();

            let first = store.write().await.unwrap();
            let taken = reserve_status_slots(&first, 3).await.unwrap();
            assert_eq!(taken.len(), 3);
            let list = taken[0].0;
            assert!(taken.iter().all(|slot| slot.0 == list));

            if store.backend() == DbBackend::Postgres {
                // A second posting while the first is open takes slots at once, from a list
                // of its own: were it to wait for the first's lock, it would wait forever,
                // since the first ends only after it.
                let second = store.write().await.unwrap();
                let beside =
                    tokio::time::timeout(Duration::from_secs(30), reserve_status_slots(&second, 2))
                        .await
                        .expect("the second posting waited for the first")
                        .unwrap();
                assert!(beside.iter().all(|slot| slot.0 != list), "{beside:?} in list {list}");
                second.commit().await.unwrap();
            }
            first.rollback().await.unwrap();

            // The rolled-back slots are the next ones handed out: none is lost.
            let again = store.db.begin().await.unwrap();
            assert_eq!(reserve_status_slots(&again, 3).await.unwrap(), taken);
            again.commit().await.unwrap();
        }
    }
}
