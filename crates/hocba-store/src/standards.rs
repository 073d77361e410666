//! The training standards' rules, kept as loaded from the rules file, and an official's
//! compliance with them as of a date.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use hocba_domain::compliance::{CompletionFact, Requirement, evaluate};
use hocba_domain::{
    CompletionId, CompletionStatus, OfficialId, RULES_FILE, Rule, parse_rule, parse_rules,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationDef, Set,
};
use serde_json::json;
use time::Date;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::{certificate, completion, official, program, requirement_rule, revocation};
use crate::epoch::{RecordsEpoch, records_epoch_in};
use crate::officials::{Official, checked_read_of, read_in};
use crate::{Actor, Store, StoreError};

/// What loading a rules file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RulesLoaded {
    /// Rules not stored before.
    pub added: usize,
    /// Rules whose stored line differed.
    pub updated: usize,
    /// Rules already stored as the file says.
    pub unchanged: usize,
}

/// An official's compliance as of a date.
#[derive(Debug, Clone)]
pub struct Compliance {
    /// The official read (their read is logged).
    pub official: Official,
    /// Every applicable requirement, in the order of the rules.
    pub requirements: Vec<Requirement>,
    /// The programme title of each completion that satisfies a requirement, to name it.
    pub titles: HashMap<CompletionId, String>,
    /// The records' epoch, read before the facts: while [`Store::records_epoch`] reads the
    /// same, this is the answer as of the same day.
    pub read_under: RecordsEpoch,
}

fn rule_row(rule: &Rule, now: time::OffsetDateTime) -> requirement_rule::ActiveModel {
    requirement_rule::ActiveModel {
        id: Set(rule.id.clone()),
        kind: Set(rule.kind.as_str().to_owned()),
        applies_to: Set(rule.applies_to.clone()),
        any_of: Set(rule.any_of_text()),
        minimum_days: Set(rule.minimum_days.map(|days| i32::try_from(days).unwrap_or(i32::MAX))),
        period: Set(rule.period_text.clone()),
        valid_from: Set(rule.validity.from),
        valid_to: Set(rule.validity.to),
        legal_basis: Set(rule.legal_basis.clone()),
        loaded_at: Set(now),
    }
}

fn into_rule(model: requirement_rule::Model) -> Result<Rule, StoreError> {
    let minimum = model.minimum_days.map(|days| days.to_string()).unwrap_or_default();
    let from = model.valid_from.to_string();
    let to = model.valid_to.map(|day| day.to_string()).unwrap_or_default();
    let fields = [
        model.id.as_str(),
        &model.kind,
        &model.applies_to,
        &model.any_of,
        &minimum,
        &model.period,
        &from,
        &to,
        &model.legal_basis,
    ];
    parse_rule(&fields).map_err(|reason| StoreError::corrupt("requirement_rules", reason))
}

pub(crate) async fn stored_rules(db: &impl ConnectionTrait) -> Result<Vec<Rule>, StoreError> {
    requirement_rule::Entity::find()
        .order_by_asc(requirement_rule::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(into_rule)
        .collect()
}

impl Store {
    /// Adds, at each start, the shipped rules the database does not hold yet: no audit event,
    /// the file's history is the repository's. A stored rule is left as it is, so a rule the
    /// operator changed with `hocba rules load` is never put back; `hocba rules load` without a
    /// file brings changed lines of the shipped file in.
    pub(crate) async fn load_shipped_rules(&self) -> Result<(), StoreError> {
        let shipped = parse_rules(RULES_FILE)
            .map_err(|error| StoreError::corrupt("rules file", error.to_string()))?;
        let txn = self.write().await?;
        upsert_rules(&txn, &shipped, Stored::Keep).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Loads a rules file read by the operator (`hocba rules load`): its rules are added, or
    /// brought into line with it; rules it does not list stay (a rule is ended by its
    /// `valid_to`, never deleted). One audit event records what changed.
    pub async fn load_rules(
        &self,
        actor: &Actor,
        rules: &[Rule],
    ) -> Result<RulesLoaded, StoreError> {
        let txn = self.write().await?;
        let loaded = upsert_rules(&txn, rules, Stored::Update).await?;
        let ids: Vec<&str> = rules.iter().map(|rule| rule.id.as_str()).collect();
        let change = Change {
            action: "rules.loaded",
            subject_type: "requirement_rules",
            subject_id: "rules-file".to_owned(),
            details: json!({
                "ids": ids,
                "added": loaded.added,
                "updated": loaded.updated,
                "unchanged": loaded.unchanged,
            }),
        };
        audit::append(&txn, actor, change).await?;
        txn.commit().await?;
        Ok(loaded)
    }

    /// Every stored rule, by id: those in force and those the law has ended.
    pub async fn rules(&self) -> Result<Vec<Rule>, StoreError> {
        stored_rules(&self.db).await
    }

    /// Where the official stands against every rule that applies to them on `as_of`, for a
    /// reader who may read their record; the read is logged for the official.
    pub async fn official_compliance(
        &self,
        reader: &Actor,
        purpose: &str,
        id: OfficialId,
        as_of: Date,
    ) -> Result<Compliance, StoreError> {
        self.compliance_with(reader, purpose, id, None, as_of).await
    }

    /// [`Store::official_compliance`] against `rules` instead of the stored rules (the reports'
    /// indicators, which are not rules of the standards); the read is logged for the official.
    pub async fn compliance_with(
        &self,
        reader: &Actor,
        purpose: &str,
        id: OfficialId,
        rules: Option<&[Rule]>,
        as_of: Date,
    ) -> Result<Compliance, StoreError> {
        let (read_under, official, read, rules, (completions, mut titles)) =
            reading!(self, |txn| async {
                let read_under = records_epoch_in(txn).await?;
                let (official, read) =
                    read_in(txn, reader, purpose, official::Column::Id.eq(id.as_uuid())).await?;
                let rules = match rules {
                    Some(rules) => Arc::new(rules.to_vec()),
                    None => self.rules_under(txn, &read_under).await?,
                };
                Ok((read_under, official, read, rules, completion_facts(txn, id.as_uuid()).await?))
            })?;
        self.log_reads(vec![read]).await?;
        let employments: Vec<_> =
            official.employments.iter().map(|record| record.employment.clone()).collect();
        let requirements = evaluate(&rules, &employments, &completions, as_of);
        let counted: HashSet<CompletionId> =
            requirements.iter().flat_map(|requirement| requirement.satisfied_by.clone()).collect();
        titles.retain(|id, _| counted.contains(id));
        Ok(Compliance { official, requirements, titles, read_under })
    }

    /// The stored rules, kept while the records' epoch reads the same (every rules file loaded
    /// moves it on): read afresh, they were a statement of a few dozen rows for every answer.
    /// `epoch` is read in `txn` before them.
    async fn rules_under(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        epoch: &RecordsEpoch,
    ) -> Result<Arc<Vec<Rule>>, StoreError> {
        if let Some((kept_under, rules)) = &*self.kept_rules()
            && kept_under == epoch
        {
            return Ok(Arc::clone(rules));
        }
        let rules = Arc::new(stored_rules(txn).await?);
        *self.kept_rules() = Some((epoch.clone(), Arc::clone(&rules)));
        Ok(rules)
    }

    fn kept_rules(&self) -> std::sync::MutexGuard<'_, Option<(RecordsEpoch, Arc<Vec<Rule>>)>> {
        self.kept_rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Logs a read of `official`, as read under the records' epoch the registry is at now, by a
    /// reader who may read them today: for an answer kept from an earlier read.
    pub async fn log_read_of(
        &self,
        reader: &Actor,
        purpose: &str,
        official: &Official,
    ) -> Result<(), StoreError> {
        let read = checked_read_of(self.primary_for_reads(), official, reader, purpose).await?;
        self.log_reads(vec![read]).await
    }
}

/// What loading does to a rule stored with other contents.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stored {
    Keep,
    Update,
}

async fn upsert_rules(
    txn: &sea_orm::DatabaseTransaction,
    rules: &[Rule],
    stored_rule: Stored,
) -> Result<RulesLoaded, StoreError> {
    let now = crate::now();
    let mut loaded = RulesLoaded::default();
    for rule in rules {
        let stored = requirement_rule::Entity::find_by_id(rule.id.clone()).one(txn).await?;
        match stored.map(into_rule).transpose()? {
            Some(stored) if stored == *rule || stored_rule == Stored::Keep => loaded.unchanged += 1,
            Some(_) => {
                rule_row(rule, now).update(txn).await?;
                loaded.updated += 1;
            }
            None => {
                rule_row(rule, now).insert(txn).await?;
                loaded.added += 1;
            }
        }
    }
    Ok(loaded)
}

/// The official's completions as the evaluation takes them, and each one's programme title.
///
/// One statement of a fixed text: the programme, whether a completion was corrected and whether
/// a certificate of it stands are asked of the database beside it, instead of in four more
/// round trips whose `IN` lists, as long as the official's completions, made PostgreSQL parse
/// and plan a new statement for each length. The certificates' signed credentials (4-5 KB
/// each) are never read.
async fn completion_facts(
    db: &impl ConnectionTrait,
    official_id: Uuid,
) -> Result<(Vec<CompletionFact>, HashMap<CompletionId, String>), StoreError> {
    let corrected = Query::select()
        .expr(Expr::val(1))
        .from_as(completion::Entity, Alias::new("correction"))
        .and_where(
            Expr::col((Alias::new("correction"), completion::Column::SupersedesId))
                .equals((completion::Entity, completion::Column::Id)),
        )
        .take();
    let revoked = Query::select()
        .expr(Expr::val(1))
        .from(revocation::Entity)
        .and_where(
            Expr::col((revocation::Entity, revocation::Column::CertificateId))
                .equals((certificate::Entity, certificate::Column::Id)),
        )
        .take();
    let standing = Query::select()
        .expr(Expr::val(1))
        .from(certificate::Entity)
        .and_where(
            Expr::col((certificate::Entity, certificate::Column::CompletionId))
                .equals((completion::Entity, completion::Column::Id)),
        )
        .and_where(Expr::exists(revoked).not())
        .take();
    let of_program: RelationDef = completion::Entity::belongs_to(program::Entity)
        .from(completion::Column::ProgramId)
        .to(program::Column::Id)
        .into();
    type Row = (Uuid, Date, Date, i32, String, String, bool, bool);
    let rows: Vec<Row> = completion::Entity::find()
        .select_only()
        .columns([
            completion::Column::Id,
            completion::Column::StartedOn,
            completion::Column::EndedOn,
            completion::Column::DurationDays,
        ])
        .column(program::Column::CategoryCode)
        .column(program::Column::TitleVi)
        .expr(Expr::exists(corrected))
        .expr(Expr::exists(standing))
        .join(JoinType::InnerJoin, of_program)
        .filter(completion::Column::OfficialId.eq(official_id))
        .into_tuple()
        .all(db)
        .await?;
    let mut titles = HashMap::new();
    let facts = rows
        .into_iter()
        .map(|(id, started_on, ended_on, days, category, title, corrected, standing)| {
            let id = CompletionId::from_uuid(id);
            titles.insert(id, title);
            CompletionFact {
                id,
                category,
                started_on,
                ended_on,
                days: u32::try_from(days).unwrap_or(0),
                status: CompletionStatus::of(corrected, standing),
            }
        })
        .collect();
    Ok((facts, titles))
}
