//! Status-list slots: reserved for certificates and VC API credentials, read by the status
//! list endpoints.

use hocba_domain::{STATUS_LIST_SIZE, status_index};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use std::collections::VecDeque;

use crate::audit::{self, Change};
use crate::entities::{certificate, revocation, status_list};
use crate::{Actor, Store, StoreError};

use super::reads::with_revocation;
use super::{Certificate, random_hex};

/// Serialises status-slot allocation across server processes.
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
        match certificate::Entity::find()
            .filter(certificate::Column::StatusList.eq(list))
            .filter(certificate::Column::StatusIndex.eq(index))
            .one(&self.db)
            .await?
        {
            Some(model) => with_revocation(&self.db, model).await.map(Some),
            None => Ok(None),
        }
    }
}

/// Takes the next `count` slots of the open status lists (opening new lists as they fill), in
/// one read and one write per list touched.
pub(super) async fn reserve_status_slots(
    txn: &DatabaseTransaction,
    count: usize,
) -> Result<VecDeque<(i32, u32)>, StoreError> {
    crate::serialize_on(txn, STATUS_LOCK).await?;
    let mut slots = VecDeque::with_capacity(count);
    let mut open =
        status_list::Entity::find().order_by_desc(status_list::Column::Id).one(txn).await?;
    while slots.len() < count {
        let list = match open.take() {
            Some(list) if list.next_position < list.size => list,
            full_or_none => {
                status_list::ActiveModel {
                    id: Set(full_or_none.map_or(1, |list| list.id + 1)),
                    seed: Set(random_hex::<32>()),
                    size: Set(STATUS_LIST_SIZE as i32),
                    next_position: Set(0),
                    created_at: Set(crate::now()),
                }
                .insert(txn)
                .await?
            }
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
        open = Some(advancing.update(txn).await?);
    }
    Ok(slots)
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
