//! Share links: an official lets someone without an account (an HR officer) open the
//! verification page of their whole record or of one certificate, until a day they choose.
//!
//! The store sees only the SHA-256 of a link's secret. Making and revoking a link are audited;
//! each opening is logged in the official's read log, as a read by the link.

use hocba_domain::{CertificateNumber, OfficialId};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::{certificate, official, share_link};
use crate::{Actor, Certificate, OfficialRecord, Store, StoreError};

/// A share link as its official sees it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLink {
    /// Its id.
    pub id: Uuid,
    /// The official whose record it opens.
    pub official_id: OfficialId,
    /// The one certificate it opens; `None`: the whole record.
    pub certificate: Option<CertificateNumber>,
    /// What the official called it (`Vụ Tổ chức cán bộ`), if anything.
    pub label: Option<String>,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it stops opening.
    pub expires_at: OffsetDateTime,
    /// When the official revoked it, if they did.
    pub revoked_at: Option<OffsetDateTime>,
}

/// Where a share link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareState {
    /// It opens.
    Active,
    /// Its period is over.
    Expired,
    /// Its official revoked it (whether or not its period is over).
    Revoked,
}

impl ShareState {
    /// The form shown (`active`, `expired`, `revoked`).
    pub fn as_str(self) -> &'static str {
        match self {
            ShareState::Active => "active",
            ShareState::Expired => "expired",
            ShareState::Revoked => "revoked",
        }
    }
}

impl ShareLink {
    /// Where it stands at `now`.
    pub fn state(&self, now: OffsetDateTime) -> ShareState {
        if self.revoked_at.is_some() {
            ShareState::Revoked
        } else if now >= self.expires_at {
            ShareState::Expired
        } else {
            ShareState::Active
        }
    }
}

/// What an open share link shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Shared {
    /// One certificate, with its revocation if any.
    Certificate(Box<Certificate>),
    /// The official's whole record.
    Record(Box<OfficialRecord>),
}

/// The outcome of opening a share link.
#[derive(Debug, Clone, PartialEq)]
pub enum Opening {
    /// It opens: the link and what it shows (the opening is logged).
    Opened {
        /// The link.
        link: ShareLink,
        /// What it shows.
        shared: Shared,
    },
    /// It no longer opens: expired or revoked.
    Closed(ShareState),
}

impl ShareLink {
    /// The reader its openings are logged as.
    pub fn actor(&self) -> Actor {
        Actor::SharedLink { share_id: self.id, official_id: self.official_id }
    }
}

/// A link as stored, with its certificate's number.
fn into_share_link(
    model: share_link::Model,
    certificate_number: Option<&str>,
) -> Result<ShareLink, StoreError> {
    let certificate = certificate_number
        .map(|number| {
            CertificateNumber::parse(number)
                .map_err(|_| StoreError::corrupt("certificates", "number"))
        })
        .transpose()?;
    Ok(ShareLink {
        id: model.id,
        official_id: OfficialId::from_uuid(model.official_id),
        certificate,
        label: model.label,
        created_at: model.created_at,
        expires_at: model.expires_at,
        revoked_at: model.revoked_at,
    })
}

fn share_change(action: &'static str, link: &ShareLink) -> Change {
    // No label: what an official calls a link may name a person.
    let details = json!({
        "official_id": link.official_id,
        "certificate": link.certificate.as_ref().map(CertificateNumber::as_str),
        "expires_at": link.expires_at.unix_timestamp(),
    });
    Change { action, subject_type: "share_link", subject_id: link.id.to_string(), details }
}

impl Store {
    /// Makes a share link of `official`'s whole record, or of one of their certificates,
    /// stored by the hash of its secret, opening until `expires_at`.
    pub async fn create_share_link(
        &self,
        actor: &Actor,
        official: OfficialId,
        certificate: Option<&CertificateNumber>,
        label: Option<&str>,
        secret_hash: &str,
        expires_at: OffsetDateTime,
    ) -> Result<ShareLink, StoreError> {
        let txn = self.write().await?;
        official::Entity::find_by_id(official.as_uuid())
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "official" })?;
        let certificate = match certificate {
            None => None,
            Some(number) => Some(
                certificate::Entity::find()
                    .filter(certificate::Column::Number.eq(number.as_str()))
                    .filter(certificate::Column::OfficialId.eq(official.as_uuid()))
                    .one(&txn)
                    .await?
                    .ok_or_else(|| StoreError::Rule {
                        field: "certificate",
                        reason: "is not one of your certificates".to_owned(),
                    })?,
            ),
        };
        let model = share_link::ActiveModel {
            id: Set(Uuid::now_v7()),
            official_id: Set(official.as_uuid()),
            certificate_id: Set(certificate.as_ref().map(|certificate| certificate.id)),
            secret_hash: Set(secret_hash.to_owned()),
            label: Set(label.map(str::to_owned)),
            created_at: Set(crate::now()),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(StoreError::unique("secret"))?;
        let link = into_share_link(
            model,
            certificate.as_ref().map(|certificate| certificate.number.as_str()),
        )?;
        audit::append(&txn, actor, share_change("share_link.created", &link)).await?;
        txn.commit().await?;
        Ok(link)
    }

    /// `official`'s share links, newest first, revoked and expired ones included.
    pub async fn share_links(&self, official: OfficialId) -> Result<Vec<ShareLink>, StoreError> {
        let models = share_link::Entity::find()
            .filter(share_link::Column::OfficialId.eq(official.as_uuid()))
            .order_by_desc(share_link::Column::Id)
            .all(&self.db)
            .await?;
        let certificates = certificate::Entity::find()
            .filter(certificate::Column::Id.is_in(models.iter().filter_map(|m| m.certificate_id)))
            .all(&self.db)
            .await?;
        models
            .into_iter()
            .map(|model| {
                let certificate = certificates.iter().find(|c| Some(c.id) == model.certificate_id);
                into_share_link(model, certificate.map(|certificate| certificate.number.as_str()))
            })
            .collect()
    }

    /// Revokes one of `official`'s share links: it stops opening at once. Another official's
    /// link is, to this one, no link at all.
    pub async fn revoke_share_link(
        &self,
        actor: &Actor,
        official: OfficialId,
        id: Uuid,
    ) -> Result<ShareLink, StoreError> {
        let txn = self.write().await?;
        let model = share_link::Entity::find_by_id(id)
            .filter(share_link::Column::OfficialId.eq(official.as_uuid()))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "share link" })?;
        if model.revoked_at.is_some() {
            return Err(StoreError::Conflict { field: "id" });
        }
        let mut revoking: share_link::ActiveModel = model.into();
        revoking.revoked_at = Set(Some(crate::now()));
        let model = revoking.update(&txn).await?;
        let certificate = match model.certificate_id {
            Some(id) => certificate::Entity::find_by_id(id).one(&txn).await?,
            None => None,
        };
        let link = into_share_link(
            model,
            certificate.as_ref().map(|certificate| certificate.number.as_str()),
        )?;
        audit::append(&txn, actor, share_change("share_link.revoked", &link)).await?;
        txn.commit().await?;
        Ok(link)
    }

    /// Opens the share link whose secret hashes to `secret_hash`: what it shows, the opening
    /// logged in the official's read log as a read by the link (for `purpose`), or why it no
    /// longer opens. A hash no link has is not found; so is a certificate's link when
    /// `record_only` (what is asked for is the whole record's: its transcript).
    pub async fn open_share_link(
        &self,
        secret_hash: &str,
        purpose: &str,
        record_only: bool,
    ) -> Result<Opening, StoreError> {
        // On the primary: a link revoked a moment ago must not open on a replica behind it.
        let txn = self.read_primary().await?;
        let model = share_link::Entity::find()
            .filter(share_link::Column::SecretHash.eq(secret_hash))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "share link" })?;
        let certificate = match model.certificate_id {
            Some(_) if record_only => return Err(StoreError::NotFound { entity: "share link" }),
            Some(id) => Some(
                crate::certificates::with_revocation(&txn, certificate::Entity::find_by_id(id))
                    .await?
                    .ok_or_else(|| StoreError::corrupt("share_links", "certificate_id"))?,
            ),
            None => None,
        };
        let link = into_share_link(
            model,
            certificate.as_ref().map(|certificate| certificate.number.as_str()),
        )?;
        let state = link.state(crate::now());
        if state != ShareState::Active {
            return Ok(Opening::Closed(state));
        }
        let official_id = link.official_id.as_uuid();
        let read = crate::officials::read_row(official_id, &link.actor(), purpose, None);
        let shared = match certificate {
            Some(certificate) => Shared::Certificate(Box::new(certificate)),
            None => {
                let holder = official::Entity::find_by_id(official_id)
                    .one(&txn)
                    .await?
                    .ok_or(StoreError::NotFound { entity: "official" })?;
                Shared::Record(Box::new(crate::certificates::record_in(&txn, holder).await?))
            }
        };
        txn.commit().await?;
        self.log_reads(vec![read]).await?;
        Ok(Opening::Opened { link, shared })
    }
}
