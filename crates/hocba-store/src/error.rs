//! The store's one error type.

use sea_orm::{DbErr, RuntimeErr, SqlErr, sqlx};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No record with that id (or key).
    #[error("{entity} not found")]
    NotFound {
        /// What was looked for (`official`, `institution`…).
        entity: &'static str,
    },
    /// A unique value is already taken.
    #[error("{field} is already registered")]
    Conflict {
        /// The input field holding the duplicate value.
        field: &'static str,
    },
    /// A referenced record does not exist.
    #[error("{field} refers to no existing {entity}")]
    UnknownReference {
        /// The input field holding the reference.
        field: &'static str,
        /// What it should refer to.
        entity: &'static str,
    },
    /// The institution may not deliver the programme on that day.
    #[error(
        "institution {institution} is not accredited for category {category} on {day}: {reason}"
    )]
    NotAccredited {
        /// Institution code.
        institution: String,
        /// Category code of the programme.
        category: String,
        /// The day that was checked.
        day: time::Date,
        /// The decision, in words.
        reason: &'static str,
    },
    /// Fields break a domain rule checked against stored facts (every field, and why).
    #[error(transparent)]
    Invalid(#[from] hocba_domain::Invalid),
    /// A rule that needs stored facts is broken (the field and why).
    #[error("{field}: {reason}")]
    Rule {
        /// The input field at fault.
        field: &'static str,
        /// The rule, in words.
        reason: String,
    },
    /// The key asked to sign is no longer the active one (rotated or revoked meanwhile).
    #[error("signing key {kid} is not active")]
    KeyNotActive {
        /// The key id.
        kid: String,
    },
    /// The national ID number, name and date of birth posted identify no registered official
    /// together. Which of them differs is not said: an institution could otherwise learn whether
    /// a number is registered, and find a person's birth date by trying days.
    #[error("national_id, full_name and date_of_birth together match no registered official")]
    IdentityMismatch,
    /// The institution's posts have matched no registered official as many times today as a
    /// day allows ([`crate::IdentityRefusals`]): no person it posts is compared until tomorrow.
    #[error(
        "this institution's posts matched no registered official {per_day} times today; no \
         person it posts is compared again until midnight, Vietnam time"
    )]
    IdentityRefusalsSpent {
        /// The refusals a day allows.
        per_day: u32,
        /// Seconds until midnight in Vietnam.
        retry_after_seconds: u64,
    },
    /// The same completion was already recorded, by the same institution (the check looks only
    /// at the posting institution's own completions).
    #[error("this completion is already recorded (completion {completion_id})")]
    DuplicateCompletion {
        /// The completion already recorded.
        completion_id: uuid::Uuid,
        /// The number of its latest certificate: the institution's own record, so that an import
        /// run again can report the line as already recorded, with its number.
        certificate: Option<hocba_domain::CertificateNumber>,
    },
    /// A machine client asked for an official's record without a consent in force (and the HR
    /// rule of its agency does not cover the official).
    #[error(transparent)]
    NoConsent(hocba_domain::ConsentRefusal),
    /// The signer refused the facts (a bug or a key problem, not the caller's input).
    #[error("signing failed: {reason}")]
    Signing {
        /// Why.
        reason: String,
    },
    /// A stored value no longer parses: data was written by something other than this store.
    #[error("stored {entity} is corrupt: {detail}")]
    Corrupt {
        /// The table.
        entity: &'static str,
        /// What did not parse.
        detail: String,
    },
    /// The events after a reader's cursor were pruned (they were older than the registry
    /// keeps): reading on from it would skip them unseen.
    #[error("the events after this cursor are no longer kept (pruned through {through})")]
    EventsPruned {
        /// The last position pruned: a cursor from here on reads on without a gap.
        through: crate::EventCursor,
    },
    /// The database cannot be reached now: down, restarting, or out of connections. Nothing was
    /// written (a transaction that lost its connection is rolled back); the same request may
    /// succeed later.
    #[error("database unavailable: {0}")]
    Unavailable(DbErr),
    /// The database refused a write because its storage is full (SQLite's "database or disk
    /// is full", PostgreSQL's `disk_full`). The transaction was rolled back: nothing of it was
    /// written, and the same write succeeds once space is freed.
    #[error("the registry's storage is full: nothing was recorded; retry once space is freed")]
    StorageFull,
    /// The database failed.
    #[error("database error: {0}")]
    Database(DbErr),
}

/// A copy of an error, for reports that keep it (a batch's row results). A database error keeps
/// only its message.
impl Clone for StoreError {
    fn clone(&self) -> Self {
        match self {
            StoreError::NotFound { entity } => StoreError::NotFound { entity },
            StoreError::Conflict { field } => StoreError::Conflict { field },
            StoreError::UnknownReference { field, entity } => {
                StoreError::UnknownReference { field, entity }
            }
            StoreError::NotAccredited { institution, category, day, reason } => {
                StoreError::NotAccredited {
                    institution: institution.clone(),
                    category: category.clone(),
                    day: *day,
                    reason,
                }
            }
            StoreError::Invalid(invalid) => StoreError::Invalid(invalid.clone()),
            StoreError::Rule { field, reason } => {
                StoreError::Rule { field, reason: reason.clone() }
            }
            StoreError::KeyNotActive { kid } => StoreError::KeyNotActive { kid: kid.clone() },
            StoreError::IdentityMismatch => StoreError::IdentityMismatch,
            StoreError::IdentityRefusalsSpent { per_day, retry_after_seconds } => {
                StoreError::IdentityRefusalsSpent {
                    per_day: *per_day,
                    retry_after_seconds: *retry_after_seconds,
                }
            }
            StoreError::DuplicateCompletion { completion_id, certificate } => {
                StoreError::DuplicateCompletion {
                    completion_id: *completion_id,
                    certificate: certificate.clone(),
                }
            }
            StoreError::NoConsent(refusal) => StoreError::NoConsent(*refusal),
            StoreError::Signing { reason } => StoreError::Signing { reason: reason.clone() },
            StoreError::Corrupt { entity, detail } => {
                StoreError::Corrupt { entity, detail: detail.clone() }
            }
            StoreError::Unavailable(error) => {
                StoreError::Unavailable(DbErr::Custom(error.to_string()))
            }
            StoreError::StorageFull => StoreError::StorageFull,
            StoreError::EventsPruned { through } => StoreError::EventsPruned { through: *through },
            StoreError::Database(error) => StoreError::Database(DbErr::Custom(error.to_string())),
        }
    }
}

/// A database error, told apart once here: the database out of reach, or a failure.
impl From<DbErr> for StoreError {
    fn from(error: DbErr) -> Self {
        if is_storage_full(&error) {
            StoreError::StorageFull
        } else if is_out_of_reach(&error) {
            StoreError::Unavailable(error)
        } else {
            StoreError::Database(error)
        }
    }
}

/// Whether `error` says the database could not be reached or went away, rather than refused a
/// statement: no connection could be had (the pool's wait ran out, connecting failed), the
/// connection broke, or PostgreSQL is shutting down, starting, or full (SQLSTATE class 08,
/// `57P01`–`57P03`, `53300`).
fn is_out_of_reach(error: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(cause)) | DbErr::Query(RuntimeErr::SqlxError(cause)) => {
            match cause.as_ref() {
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(database) => database.code().is_some_and(|code| {
                    code.starts_with("08")
                        || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
                }),
                _ => false,
            }
        }
        _ => false,
    }
}

/// Whether the database refused a write for want of space: SQLite's `SQLITE_FULL` (result code
/// 13: the file system, or `max_page_count`, is full) or PostgreSQL's `disk_full` (SQLSTATE
/// 53100). Either may come from any statement that writes, or from the commit.
fn is_storage_full(error: &DbErr) -> bool {
    let (DbErr::Conn(RuntimeErr::SqlxError(error))
    | DbErr::Exec(RuntimeErr::SqlxError(error))
    | DbErr::Query(RuntimeErr::SqlxError(error))) = error
    else {
        return false;
    };
    let sqlx::Error::Database(error) = error.as_ref() else { return false };
    matches!(error.code().as_deref(), Some("13" | "53100"))
}

/// A change to an employment period that the domain's rules refuse, on the field at fault.
impl From<hocba_domain::RefusedChange> for StoreError {
    fn from(refused: hocba_domain::RefusedChange) -> Self {
        StoreError::Rule { field: refused.field, reason: refused.reason.to_string() }
    }
}

impl StoreError {
    /// Maps a unique-constraint violation of an insert to [`StoreError::Conflict`] on `field`.
    pub(crate) fn unique(field: &'static str) -> impl FnOnce(DbErr) -> StoreError {
        move |error| match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict { field },
            _ => error.into(),
        }
    }

    /// A stored signing key that no longer parses.
    pub fn corrupt_key(kid: &str) -> StoreError {
        StoreError::corrupt("signing_keys", format!("public key of {kid}"))
    }

    /// Whether the input was refused by a rule (the caller can fix and resend it), as opposed
    /// to a failure of the registry. A posting checks every rule before it writes anything.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            StoreError::NotFound { .. }
                | StoreError::UnknownReference { .. }
                | StoreError::NotAccredited { .. }
                | StoreError::Invalid(_)
                | StoreError::Rule { .. }
                | StoreError::IdentityMismatch
                | StoreError::IdentityRefusalsSpent { .. }
                | StoreError::DuplicateCompletion { .. }
        )
    }

    pub(crate) fn corrupt(entity: &'static str, detail: impl ToString) -> StoreError {
        StoreError::Corrupt { entity, detail: detail.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Database};

    use super::*;

    /// Each database's own "full" error, raised for real: SQLite past its `max_page_count` (the
    /// e2e test fills a real file system), PostgreSQL's `disk_full` raised by a statement (the
    /// tests' cluster is shared: its disk is not ours to fill).
    #[tokio::test]
    async fn a_full_database_is_storage_full_on_both_backends() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("full.db").display());
        let sqlite = Database::connect(url).await.unwrap();
        // One call, one connection: `max_page_count` holds for the connection that sets it.
        let full = sqlite
            .execute_unprepared(
                "PRAGMA max_page_count = 2; CREATE TABLE t (b BLOB); \
                 INSERT INTO t VALUES (randomblob(100000))",
            )
            .await
            .unwrap_err();
        assert!(matches!(StoreError::from(full), StoreError::StorageFull));
        let other = sqlite.execute_unprepared("SELECT * FROM missing").await.unwrap_err();
        assert!(matches!(StoreError::from(other), StoreError::Database(_)));

        if let Ok(url) = std::env::var("HOCBA_TEST_POSTGRES_URL") {
            let postgres = Database::connect(url).await.unwrap();
            let full = postgres
                .execute_unprepared(
                    "DO $$ BEGIN RAISE EXCEPTION 'no space' USING ERRCODE = 'disk_full'; END $$",
                )
                .await
                .unwrap_err();
            assert!(matches!(StoreError::from(full), StoreError::StorageFull));
        }
    }
}
