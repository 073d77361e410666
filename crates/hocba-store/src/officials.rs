//! Officials, their employment history, and the log of who read their records.
//!
//! Employment periods are facts: a period is never edited. Ending or correcting one stores a
//! new period that supersedes it (`supersedes_id`, unique, so a period is replaced at most
//! once). The periods *in effect* are those no other period supersedes; they alone decide whose
//! staff an official is, for reads and for searches.

use std::collections::HashMap;

use hocba_domain::{
    AdministrativeLevel, AgencyCode, Employment, EmploymentId, Gender, LeadershipGroup,
    LeadershipLevel, NationalId, NewOfficial, OfficialId, PersonName, Transfer, TransferRequest,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::agencies::{ensure_listed, reach};
use crate::audit::{self, Change};
use crate::entities::{
    agency, api_token, consent, employment, institution, institution_client, machine_client,
    official, record_read, share_link,
};
use crate::outbox::{EventSubject, EventType, Publish};
use crate::{Actor, Page, PageRequest, Store, StoreError};

/// One period of employment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmploymentRecord {
    /// Id of the stored period.
    pub id: EmploymentId,
    /// The period.
    pub employment: Employment,
    /// When it was recorded.
    pub recorded_at: OffsetDateTime,
    /// The period this one replaced, when it records an end or a correction.
    pub supersedes: Option<EmploymentId>,
    /// The period that replaced this one, if an end or a correction did.
    pub superseded_by: Option<EmploymentId>,
}

/// An official's identity and employment history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Official {
    /// Hocba's id.
    pub id: OfficialId,
    /// Personal identification number.
    pub national_id: NationalId,
    /// Full name.
    pub full_name: PersonName,
    /// Date of birth.
    pub date_of_birth: Date,
    /// Sex.
    pub gender: Gender,
    /// Ethnic group code; sensitive.
    pub ethnicity_code: Option<u8>,
    /// When the official was registered.
    pub created_at: OffsetDateTime,
    /// Employment periods in effect, earliest first.
    pub employments: Vec<EmploymentRecord>,
    /// Periods replaced by an end or a correction, earliest first: the history's trail.
    pub superseded_employments: Vec<EmploymentRecord>,
}

/// An official in a search result: enough to pick the right person, no more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialSummary {
    /// Hocba's id.
    pub id: OfficialId,
    /// Full name.
    pub full_name: PersonName,
    /// Year of birth (not the date: a search result shows no more than needed).
    pub birth_year: i32,
}

/// Who read a record, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderKind {
    /// The registry's operator.
    Operator,
    /// A training institution, through one of its API clients.
    Institution,
    /// An agency's HR department, through one of its keys.
    Agency,
    /// An official, signed in.
    Official,
    /// Someone who opened a share link the official made.
    ShareLink,
    /// A machine client (the National Public Service Portal, a ministry's HR system), under the
    /// official's consent or its agency's HR rule.
    Client,
    /// The registry itself.
    System,
}

impl ReaderKind {
    /// The form shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ReaderKind::Operator => "operator",
            ReaderKind::Institution => "institution",
            ReaderKind::Agency => "agency",
            ReaderKind::Official => "official",
            ReaderKind::ShareLink => "share_link",
            ReaderKind::Client => "client",
            ReaderKind::System => "system",
        }
    }
}

/// One read of an official's record, with the reader named as people would name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRead {
    /// The reader as logged (`agency:G01.H29/<key id>`, `admin:<token id>`…).
    pub reader: String,
    /// What kind of reader.
    pub kind: ReaderKind,
    /// The institution's or agency's name, or the machine client's, when the reader is one.
    pub organisation: Option<String>,
    /// The label of the key, API client or operator token used, or of the share link opened.
    pub key_label: Option<String>,
    /// Whether the official read their own record.
    pub own: bool,
    /// Through which route.
    pub purpose: String,
    /// The purpose of the consent a machine client read under, in the official's words.
    pub consent_purpose: Option<String>,
    /// When.
    pub read_at: OffsetDateTime,
}

/// A logged reader, named.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NamedReader {
    kind: ReaderKind,
    /// The token, client or official id in the label.
    id: Option<Uuid>,
    organisation: Option<String>,
    key_label: Option<String>,
    own: bool,
}

/// The names behind the readers of a read log, loaded once for the whole log.
struct ReaderNames {
    token_labels: HashMap<Uuid, String>,
    /// API client id to (its label, its institution's name).
    clients: HashMap<Uuid, (String, String)>,
    agencies: HashMap<String, String>,
    /// Share link id to its label, for links that have one.
    share_labels: HashMap<Uuid, String>,
    /// Machine client id to its name.
    machine_clients: HashMap<Uuid, String>,
    /// Consent id to its purpose.
    consent_purposes: HashMap<Uuid, String>,
}

/// A logged reader label split into its kind and parts: `client:<id>`, `agency:<code>/<id>`...
fn parse_reader(label: &str) -> (ReaderKind, Option<&str>, Option<Uuid>) {
    let uuid = |raw: &str| Uuid::parse_str(raw).ok();
    match label.split_once(':') {
        Some(("admin", id)) => (ReaderKind::Operator, None, uuid(id)),
        Some(("client", id)) => (ReaderKind::Institution, None, uuid(id)),
        Some(("official", id)) => (ReaderKind::Official, None, uuid(id)),
        Some(("share", id)) => (ReaderKind::ShareLink, None, uuid(id)),
        Some(("machine", id)) => (ReaderKind::Client, None, uuid(id)),
        Some(("agency", rest)) => match rest.rsplit_once('/') {
            Some((code, id)) => (ReaderKind::Agency, Some(code), uuid(id)),
            None => (ReaderKind::Agency, Some(rest), None),
        },
        _ => (ReaderKind::System, None, None),
    }
}

impl ReaderNames {
    async fn load(
        db: &impl ConnectionTrait,
        reads: &[record_read::Model],
    ) -> Result<ReaderNames, StoreError> {
        let parsed: Vec<_> = reads.iter().map(|read| parse_reader(&read.reader)).collect();
        let ids_of = |kinds: &[ReaderKind]| -> Vec<Uuid> {
            let mut ids: Vec<Uuid> = parsed
                .iter()
                .filter(|(kind, _, _)| kinds.contains(kind))
                .filter_map(|(_, _, id)| *id)
                .collect();
            ids.sort();
            ids.dedup();
            ids
        };
        let token_labels = api_token::Entity::find()
            .filter(
                api_token::Column::Id.is_in(ids_of(&[ReaderKind::Operator, ReaderKind::Agency])),
            )
            .all(db)
            .await?
            .into_iter()
            .map(|token| (token.id, token.label))
            .collect();
        let client_rows = institution_client::Entity::find()
            .filter(institution_client::Column::Id.is_in(ids_of(&[ReaderKind::Institution])))
            .all(db)
            .await?;
        let institution_names: HashMap<Uuid, String> = institution::Entity::find()
            .filter(
                institution::Column::Id
                    .is_in(client_rows.iter().map(|client| client.institution_id)),
            )
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.id, row.name))
            .collect();
        let clients = client_rows
            .into_iter()
            .map(|client| {
                let name =
                    institution_names.get(&client.institution_id).cloned().unwrap_or_default();
                (client.id, (client.label, name))
            })
            .collect();
        let mut codes: Vec<&str> = parsed.iter().filter_map(|(_, code, _)| *code).collect();
        codes.sort_unstable();
        codes.dedup();
        let agencies = agency::Entity::find()
            .filter(agency::Column::Code.is_in(codes))
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.code, row.name))
            .collect();
        let share_labels = share_link::Entity::find()
            .filter(share_link::Column::Id.is_in(ids_of(&[ReaderKind::ShareLink])))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|link| Some((link.id, link.label?)))
            .collect();
        let machine_clients = machine_client::Entity::find()
            .filter(machine_client::Column::Id.is_in(ids_of(&[ReaderKind::Client])))
            .all(db)
            .await?
            .into_iter()
            .map(|client| (client.id, client.name))
            .collect();
        let consent_purposes = consent::Entity::find()
            .filter(consent::Column::Id.is_in(reads.iter().filter_map(|read| read.consent_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|consent| (consent.id, consent.purpose))
            .collect();
        Ok(ReaderNames {
            token_labels,
            clients,
            agencies,
            share_labels,
            machine_clients,
            consent_purposes,
        })
    }

    fn name(&self, label: &str) -> NamedReader {
        let (kind, code, id) = parse_reader(label);
        let token_label = id.and_then(|id| self.token_labels.get(&id).cloned());
        let (organisation, key_label) = match kind {
            ReaderKind::Operator => (None, token_label),
            ReaderKind::Agency => {
                (code.and_then(|code| self.agencies.get(code).cloned()), token_label)
            }
            ReaderKind::Institution => match id.and_then(|id| self.clients.get(&id)) {
                Some((client, institution)) => (Some(institution.clone()), Some(client.clone())),
                None => (None, None),
            },
            ReaderKind::ShareLink => (None, id.and_then(|id| self.share_labels.get(&id).cloned())),
            ReaderKind::Client => (id.and_then(|id| self.machine_clients.get(&id).cloned()), None),
            ReaderKind::Official | ReaderKind::System => (None, None),
        };
        NamedReader { kind, id, organisation, key_label, own: false }
    }
}

/// Filters of an official search; every filter given must match.
#[derive(Debug, Clone, Default)]
pub struct OfficialQuery {
    /// Accent-insensitive fragment of the name.
    pub name: Option<String>,
    /// Agency of an employment period in force on `on`.
    pub agency: Option<AgencyCode>,
    /// Whether a period at one of the agency's sub-units counts too.
    pub include_subunits: bool,
    /// The day the agency filter refers to.
    pub on: Option<Date>,
}

fn parse_stored<T>(value: Option<T>, field: &str) -> Result<T, StoreError> {
    value.ok_or_else(|| StoreError::corrupt("officials", format!("unknown {field}")))
}

fn into_employment(model: employment::Model) -> Result<EmploymentRecord, StoreError> {
    let corrupt = |detail: &str| StoreError::corrupt("employments", detail);
    let employment = Employment {
        agency_code: AgencyCode::parse(&model.agency_code).map_err(|_| corrupt("agency_code"))?,
        agency_name: model.agency_name,
        level: AdministrativeLevel::from_stored(&model.level).ok_or_else(|| corrupt("level"))?,
        rank: model
            .rank_code
            .as_deref()
            .map(hocba_domain::RankCode::parse)
            .transpose()
            .map_err(|_| corrupt("rank_code"))?,
        position_title: model.position_title,
        leadership_level: model
            .leadership_level
            .as_deref()
            .map(|level| {
                LeadershipLevel::from_stored(level).ok_or_else(|| corrupt("leadership_level"))
            })
            .transpose()?,
        leadership_group: model
            .leadership_group
            .as_deref()
            .map(|group| {
                LeadershipGroup::from_stored(group).ok_or_else(|| corrupt("leadership_group"))
            })
            .transpose()?,
        validity: hocba_domain::Validity { from: model.valid_from, to: model.valid_to },
    };
    Ok(EmploymentRecord {
        id: EmploymentId::from_uuid(model.id),
        employment,
        recorded_at: model.created_at,
        supersedes: model.supersedes_id.map(EmploymentId::from_uuid),
        superseded_by: None,
    })
}

/// An official's stored periods, split into those in effect and those an end or a correction
/// replaced (each naming its successor), keeping their order.
fn history(
    rows: Vec<employment::Model>,
) -> Result<(Vec<EmploymentRecord>, Vec<EmploymentRecord>), StoreError> {
    let successors: HashMap<Uuid, Uuid> =
        rows.iter().filter_map(|row| row.supersedes_id.map(|old| (old, row.id))).collect();
    let (mut effective, mut superseded) = (Vec::new(), Vec::new());
    for row in rows {
        let mut record = into_employment(row)?;
        match successors.get(&record.id.as_uuid()) {
            Some(&newer) => {
                record.superseded_by = Some(EmploymentId::from_uuid(newer));
                superseded.push(record);
            }
            None => effective.push(record),
        }
    }
    Ok((effective, superseded))
}

/// `employments` rows that no other row supersedes: the periods in effect, in SQL.
fn in_effect() -> sea_orm::sea_query::SimpleExpr {
    let successor = Alias::new("successor");
    let replacing = Query::select()
        .expr(Expr::val(1))
        .from_as(employment::Entity, successor.clone())
        .and_where(
            Expr::col((successor, employment::Column::SupersedesId))
                .equals((employment::Entity, employment::Column::Id)),
        )
        .take();
    Expr::exists(replacing).not()
}

pub(crate) fn employment_row(
    official_id: Uuid,
    employment: &Employment,
    supersedes: Option<EmploymentId>,
    now: OffsetDateTime,
) -> employment::ActiveModel {
    employment::ActiveModel {
        id: Set(Uuid::now_v7()),
        supersedes_id: Set(supersedes.map(|id| id.as_uuid())),
        official_id: Set(official_id),
        agency_code: Set(employment.agency_code.as_str().to_owned()),
        agency_name: Set(employment.agency_name.clone()),
        level: Set(employment.level.as_str().to_owned()),
        rank_code: Set(employment.rank.as_ref().map(|rank| rank.as_str().to_owned())),
        position_title: Set(employment.position_title.clone()),
        leadership_level: Set(employment.leadership_level.map(|level| level.as_str().to_owned())),
        leadership_group: Set(employment.leadership_group.map(|group| group.as_str().to_owned())),
        valid_from: Set(employment.validity.from),
        valid_to: Set(employment.validity.to),
        created_at: Set(now),
    }
}

fn into_identity(model: official::Model) -> Result<Official, StoreError> {
    Ok(Official {
        id: OfficialId::from_uuid(model.id),
        national_id: NationalId::parse_format(&model.national_id)
            .map_err(|_| StoreError::corrupt("officials", "national_id"))?,
        full_name: PersonName::parse(&model.full_name)
            .map_err(|_| StoreError::corrupt("officials", "full_name"))?,
        date_of_birth: model.date_of_birth,
        gender: parse_stored(Gender::from_stored(&model.gender), "gender")?,
        ethnicity_code: model.ethnicity_code.and_then(|code| u8::try_from(code).ok()),
        created_at: model.created_at,
        employments: Vec::new(),
        superseded_employments: Vec::new(),
    })
}

async fn load_official(
    db: &impl ConnectionTrait,
    model: official::Model,
) -> Result<Official, StoreError> {
    let mut official = into_identity(model)?;
    (official.employments, official.superseded_employments) =
        history(periods_of(db, official.id.as_uuid()).await?)?;
    Ok(official)
}

/// Every stored period of an official, superseded or not, earliest first.
async fn periods_of(
    db: &impl ConnectionTrait,
    official_id: Uuid,
) -> Result<Vec<employment::Model>, StoreError> {
    Ok(employment::Entity::find()
        .filter(employment::Column::OfficialId.eq(official_id))
        .order_by_asc(employment::Column::ValidFrom)
        .order_by_asc(employment::Column::Id)
        .all(db)
        .await?)
}

/// The official `official_id` and their period `period`, which must be in effect: an end or a
/// correction replaces a period once; the next change is made to its successor.
async fn period_in_effect(
    txn: &DatabaseTransaction,
    official_id: OfficialId,
    period: EmploymentId,
) -> Result<(official::Model, Employment), StoreError> {
    let official = official::Entity::find_by_id(official_id.as_uuid())
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "official" })?;
    let row = employment::Entity::find_by_id(period.as_uuid())
        .filter(employment::Column::OfficialId.eq(official.id))
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "employment" })?;
    let successor = employment::Entity::find()
        .filter(employment::Column::SupersedesId.eq(row.id))
        .one(txn)
        .await?;
    if let Some(newer) = successor {
        return Err(StoreError::Rule {
            field: "employment_id",
            reason: format!("was superseded by period {}; change that one", newer.id),
        });
    }
    Ok((official, into_employment(row)?.employment))
}

/// Stores `employment` in place of `old`; two changes of the same period at once are refused
/// by the unique `supersedes_id`.
async fn supersede(
    txn: &DatabaseTransaction,
    official_id: Uuid,
    old: EmploymentId,
    employment: &Employment,
    now: OffsetDateTime,
) -> Result<employment::Model, StoreError> {
    employment_row(official_id, employment, Some(old), now)
        .insert(txn)
        .await
        .map_err(StoreError::unique("employment_id"))
}

/// What an audit event says of a stored period: ids, agency and dates, nothing personal.
fn period_details(row: &employment::Model) -> Value {
    json!({
        "employment_id": row.id,
        "supersedes": row.supersedes_id,
        "agency_code": row.agency_code,
        "valid_from": row.valid_from.to_string(),
        "valid_to": row.valid_to.map(|day| day.to_string()),
    })
}

impl Store {
    /// Records `action`, a change of the official's employment history, in the audit trail and
    /// the outbox, then commits and returns the official.
    async fn commit_employment_change(
        &self,
        txn: DatabaseTransaction,
        actor: &Actor,
        official: official::Model,
        action: &'static str,
        details: Value,
    ) -> Result<Official, StoreError> {
        let official_id = OfficialId::from_uuid(official.id);
        let change = Change {
            action,
            subject_type: "official",
            subject_id: official.id.to_string(),
            details,
        };
        let changed =
            Publish::new(EventType::EmploymentChanged, EventSubject::official(official_id));
        audit::append_publishing(&txn, actor, change, vec![changed]).await?;
        let official = load_official(&txn, official).await?;
        self.commit_publishing(txn).await?;
        Ok(official)
    }

    /// Registers an official with their current employment period.
    pub async fn create_official(
        &self,
        actor: &Actor,
        new: NewOfficial,
    ) -> Result<Official, StoreError> {
        let txn = self.write().await?;
        ensure_listed(&txn, &new.employment, "employment.agency_code").await?;
        let now = crate::now();
        let id = Uuid::now_v7();
        let model = official::ActiveModel {
            id: Set(id),
            national_id: Set(new.national_id.expose().to_owned()),
            full_name: Set(new.full_name.as_str().to_owned()),
            name_key: Set(new.full_name.search_key()),
            date_of_birth: Set(new.date_of_birth),
            gender: Set(new.gender.as_str().to_owned()),
            ethnicity_code: Set(new.ethnicity_code.map(i16::from)),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(StoreError::unique("national_id"))?;
        employment_row(id, &new.employment, None, now).insert(&txn).await?;
        audit::append_publishing(
            &txn,
            actor,
            Change {
                action: "official.created",
                subject_type: "official",
                subject_id: id.to_string(),
                details: json!({ "agency_code": new.employment.agency_code.as_str() }),
            },
            vec![Publish::new(
                EventType::OfficialRegistered,
                EventSubject::official(OfficialId::from_uuid(id)),
            )],
        )
        .await?;
        let official = load_official(&txn, model).await?;
        self.commit_publishing(txn).await?;
        Ok(official)
    }

    /// Appends an employment period to an official's history, beside the periods in effect
    /// (which it does not end: an official may hold concurrent posts).
    pub async fn add_employment(
        &self,
        actor: &Actor,
        id: OfficialId,
        employment: Employment,
    ) -> Result<Official, StoreError> {
        let txn = self.write().await?;
        let model = official::Entity::find_by_id(id.as_uuid())
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "official" })?;
        ensure_listed(&txn, &employment, "agency_code").await?;
        employment_row(id.as_uuid(), &employment, None, crate::now()).insert(&txn).await?;
        let details = json!({
            "agency_code": employment.agency_code.as_str(),
            "valid_from": employment.validity.from.to_string(),
        });
        self.commit_employment_change(txn, actor, model, "official.employment_added", details).await
    }

    /// Ends a period in effect on `last_day`: a new period, the same but for its end,
    /// supersedes it.
    pub async fn end_employment(
        &self,
        actor: &Actor,
        id: OfficialId,
        period: EmploymentId,
        last_day: Date,
    ) -> Result<Official, StoreError> {
        let txn = self.write().await?;
        let (official, current) = period_in_effect(&txn, id, period).await?;
        let ended = current
            .ended_on(last_day)
            .map_err(|reason| StoreError::Rule { field: "valid_to", reason: reason.to_string() })?;
        ensure_listed(&txn, &ended, "valid_to").await?;
        let row = supersede(&txn, official.id, period, &ended, crate::now()).await?;
        self.commit_employment_change(
            txn,
            actor,
            official,
            "official.employment_ended",
            period_details(&row),
        )
        .await
    }

    /// A change of post: ends the period left and starts the next, in one transaction and one
    /// audit event.
    pub async fn transfer_official(
        &self,
        actor: &Actor,
        id: OfficialId,
        request: TransferRequest,
    ) -> Result<Official, StoreError> {
        let txn = self.write().await?;
        let (official, current) = period_in_effect(&txn, id, request.from).await?;
        let Transfer { ended, started } = current.transfer(request.last_day, request.next)?;
        ensure_listed(&txn, &started, "employment.agency_code").await?;
        ensure_listed(&txn, &ended, "valid_to").await?;
        let now = crate::now();
        let ended = supersede(&txn, official.id, request.from, &ended, now).await?;
        let started = employment_row(official.id, &started, None, now).insert(&txn).await?;
        let details =
            json!({ "ended": period_details(&ended), "started": period_details(&started) });
        self.commit_employment_change(txn, actor, official, "official.transferred", details).await
    }

    /// Corrects a period in effect: `corrected` is stored in its place and supersedes it.
    pub async fn correct_employment(
        &self,
        actor: &Actor,
        id: OfficialId,
        period: EmploymentId,
        corrected: Employment,
    ) -> Result<Official, StoreError> {
        let txn = self.write().await?;
        let (official, _) = period_in_effect(&txn, id, period).await?;
        ensure_listed(&txn, &corrected, "agency_code").await?;
        let row = supersede(&txn, official.id, period, &corrected, crate::now()).await?;
        self.commit_employment_change(
            txn,
            actor,
            official,
            "official.employment_corrected",
            period_details(&row),
        )
        .await
    }

    /// Reads an official's record and logs the read for the official to see.
    pub async fn read_official(
        &self,
        reader: &Actor,
        purpose: &str,
        id: OfficialId,
    ) -> Result<Official, StoreError> {
        self.read_official_where(reader, purpose, official::Column::Id.eq(id.as_uuid())).await
    }

    /// Finds an official by national ID number and logs the read.
    pub async fn lookup_official(
        &self,
        reader: &Actor,
        purpose: &str,
        national_id: &NationalId,
    ) -> Result<Official, StoreError> {
        self.read_official_where(
            reader,
            purpose,
            official::Column::NationalId.eq(national_id.expose()),
        )
        .await
    }

    async fn read_official_where(
        &self,
        reader: &Actor,
        purpose: &str,
        condition: sea_orm::sea_query::SimpleExpr,
    ) -> Result<Official, StoreError> {
        let (official, read) =
            reading!(self, |txn| read_in(txn, reader, purpose, condition.clone()))?;
        self.log_reads(vec![read]).await?;
        Ok(official)
    }

    /// The id of the official with this personal identification number, to sign them in: no
    /// record is read, so nothing is logged.
    pub async fn official_id_by_national_id(
        &self,
        national_id: &NationalId,
    ) -> Result<Option<OfficialId>, StoreError> {
        Ok(official::Entity::find()
            .filter(official::Column::NationalId.eq(national_id.expose()))
            .one(&self.db)
            .await?
            .map(|model| OfficialId::from_uuid(model.id)))
    }

    /// Who read an official's record, and why, oldest first, for a `reader` who may read it:
    /// each reader named as people would name them.
    pub async fn record_reads(
        &self,
        reader: &Actor,
        id: OfficialId,
    ) -> Result<Vec<RecordRead>, StoreError> {
        ensure_readable(&self.db, id.as_uuid(), reader).await?;
        let reads = record_read::Entity::find()
            .filter(record_read::Column::OfficialId.eq(id.as_uuid()))
            .order_by_asc(record_read::Column::Id)
            .all(&self.db)
            .await?;
        let names = ReaderNames::load(&self.db, &reads).await?;
        Ok(reads
            .into_iter()
            .map(|read| {
                let mut named = names.name(&read.reader);
                named.own = named.kind == ReaderKind::Official && named.id == Some(id.as_uuid());
                RecordRead {
                    reader: read.reader,
                    kind: named.kind,
                    organisation: named.organisation,
                    key_label: named.key_label,
                    own: named.own,
                    purpose: read.purpose,
                    consent_purpose: read
                        .consent_id
                        .and_then(|consent| names.consent_purposes.get(&consent).cloned()),
                    read_at: read.read_at,
                }
            })
            .collect())
    }

    /// Searches officials by accent-insensitive name fragment and by agency.
    pub async fn search_officials(
        &self,
        query: &OfficialQuery,
        page: PageRequest,
    ) -> Result<Page<OfficialSummary>, StoreError> {
        let mut select =
            official::Entity::find().order_by_asc(official::Column::Id).limit(page.limit + 1);
        if let Some(after) = page.after {
            select = select.filter(official::Column::Id.gt(after));
        }
        if let Some(name) = &query.name {
            // Only characters a name can hold, so LIKE wildcards typed by a user match literally.
            let key: String = hocba_domain::search_key(name)
                .chars()
                .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '\'' | '.'))
                .collect();
            select = select.filter(official::Column::NameKey.contains(key));
        }
        if let Some(agency) = &query.agency {
            let codes = reach(&self.db, agency, query.include_subunits).await?;
            let mut periods = employment::Entity::find()
                .select_only()
                .column(employment::Column::OfficialId)
                .filter(employment::Column::AgencyCode.is_in(codes.iter().map(AgencyCode::as_str)))
                .filter(in_effect());
            if let Some(on) = query.on {
                periods = periods.filter(employment::Column::ValidFrom.lte(on)).filter(
                    Condition::any()
                        .add(employment::Column::ValidTo.is_null())
                        .add(employment::Column::ValidTo.gte(on)),
                );
            }
            select = select
                .filter(official::Column::Id.in_subquery(sea_orm::QueryTrait::into_query(periods)));
        }
        let rows = select.all(&self.db).await?;
        Page::from_rows(
            rows,
            page,
            |row| row.id,
            |row| {
                let birth_year = row.date_of_birth.year();
                let identity = into_identity(row)?;
                Ok(OfficialSummary { id: identity.id, full_name: identity.full_name, birth_year })
            },
        )
    }
}

/// Refuses, as if the official did not exist, a read by another official, or by an agency's HR
/// department of someone not on its staff today (at the agency, or at one of its sub-units if
/// the key covers them): they learn nothing of people they may not read. `periods` are the
/// official's employment periods in effect (only an agency's or a machine client's read looks
/// at them): a period ended or corrected counts no more, so an agency stops reading an official
/// the day after their period there ends. A machine client is told why it may not read (see
/// [`client_may_read`]). Returns the consent a machine client reads under, if it does.
async fn may_read<'a>(
    db: &impl ConnectionTrait,
    reader: &Actor,
    official_id: Uuid,
    periods: impl IntoIterator<Item = &'a Employment>,
) -> Result<Option<Uuid>, StoreError> {
    let allowed = match reader {
        Actor::System | Actor::Admin { .. } => true,
        Actor::Official { official_id: own } | Actor::SharedLink { official_id: own, .. } => {
            own.as_uuid() == official_id
        }
        // Institutions match officials when posting; they do not read records.
        Actor::Institution { .. } => false,
        Actor::Agency { agency_code, include_subunits, .. } => {
            let agencies = reach(db, agency_code, *include_subunits).await?;
            hocba_domain::on_staff_of(periods, &agencies, crate::today())
        }
        Actor::Client { client_id } => {
            return client_may_read(db, *client_id, official_id, periods).await;
        }
    };
    if allowed { Ok(None) } else { Err(StoreError::NotFound { entity: "official" }) }
}

/// A machine client reads an official of its agency's staff today, as an HR key does, when the
/// operator tied it to an agency; anyone else only under their consent in force, and it is told
/// which consent is missing, expired or withdrawn (the official asked it to read, so telling it
/// that the record exists reveals nothing). Returns the consent it reads under, if any.
async fn client_may_read<'a>(
    db: &impl ConnectionTrait,
    client_id: Uuid,
    official_id: Uuid,
    periods: impl IntoIterator<Item = &'a Employment>,
) -> Result<Option<Uuid>, StoreError> {
    let client = machine_client::Entity::find_by_id(client_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "client" })?;
    if let Some(code) = client.agency_code.as_deref() {
        let agency = AgencyCode::parse(code)
            .map_err(|_| StoreError::corrupt("machine_clients", "agency_code"))?;
        let agencies = reach(db, &agency, client.include_subunits).await?;
        if hocba_domain::on_staff_of(periods, &agencies, crate::today()) {
            return Ok(None);
        }
    }
    crate::consents::consent_to_read(db, official_id, client_id).await.map(Some)
}

/// Reads, in `txn`, the official matching `condition` if `reader` may read them; returns them
/// with the row that logs the read, for [`Store::log_reads`].
pub(crate) async fn read_in(
    txn: &sea_orm::DatabaseTransaction,
    reader: &Actor,
    purpose: &str,
    condition: sea_orm::sea_query::SimpleExpr,
) -> Result<(Official, record_read::ActiveModel), StoreError> {
    let model = official::Entity::find()
        .filter(condition)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "official" })?;
    let official = load_official(txn, model).await?;
    let read = checked_read_of(txn, &official, reader, purpose).await?;
    Ok((official, read))
}

/// Checks, on `db`, that `reader` may read `official` (as read with their periods in effect);
/// returns the row that logs the read, for [`Store::log_reads`].
pub(crate) async fn checked_read_of(
    db: &impl ConnectionTrait,
    official: &Official,
    reader: &Actor,
    purpose: &str,
) -> Result<record_read::ActiveModel, StoreError> {
    let id = official.id.as_uuid();
    let periods = official.employments.iter().map(|record| &record.employment);
    let consent = may_read(db, reader, id, periods).await?;
    Ok(read_row(id, reader, purpose, consent))
}

/// [`may_read`], loading the official's employment periods when the reader is an agency or a
/// machine client; returns the consent a machine client reads under, if any.
async fn ensure_readable(
    db: &impl ConnectionTrait,
    official_id: Uuid,
    reader: &Actor,
) -> Result<Option<Uuid>, StoreError> {
    let mut periods = Vec::new();
    if let Actor::Agency { .. } | Actor::Client { .. } = reader {
        (periods, _) = history(periods_of(db, official_id).await?)?;
    }
    may_read(db, reader, official_id, periods.iter().map(|record| &record.employment)).await
}

/// Checks, in the reading transaction, that `reader` may read the record of official
/// `official_id`; returns the row that logs the read (with the consent it is made under, if any),
/// for [`Store::log_reads`] once the transaction has ended.
pub(crate) async fn checked_read(
    txn: &sea_orm::DatabaseTransaction,
    official_id: Uuid,
    reader: &Actor,
    purpose: &str,
) -> Result<record_read::ActiveModel, StoreError> {
    let consent = ensure_readable(txn, official_id, reader).await?;
    Ok(read_row(official_id, reader, purpose, consent))
}

/// The row that logs that `reader` read the record of official `official_id` (under `consent`),
/// for [`Store::log_reads`].
pub(crate) fn read_row(
    official_id: Uuid,
    reader: &Actor,
    purpose: &str,
    consent: Option<Uuid>,
) -> record_read::ActiveModel {
    record_read::ActiveModel {
        official_id: Set(official_id),
        reader: Set(reader.label()),
        purpose: Set(purpose.to_owned()),
        read_at: Set(crate::now()),
        consent_id: Set(consent),
        ..Default::default()
    }
}
