//! The store's one error type.

use sea_orm::{DbErr, SqlErr};

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
    /// A stored value no longer parses: data was written by something other than this store.
    #[error("stored {entity} is corrupt: {detail}")]
    Corrupt {
        /// The table.
        entity: &'static str,
        /// What did not parse.
        detail: String,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Database(DbErr),
}

impl From<DbErr> for StoreError {
    fn from(error: DbErr) -> Self {
        StoreError::Database(error)
    }
}

impl StoreError {
    /// Maps a unique-constraint violation of an insert to [`StoreError::Conflict`] on `field`.
    pub(crate) fn unique(field: &'static str) -> impl FnOnce(DbErr) -> StoreError {
        move |error| match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict { field },
            _ => StoreError::Database(error),
        }
    }

    pub(crate) fn corrupt(entity: &'static str, detail: impl ToString) -> StoreError {
        StoreError::Corrupt { entity, detail: detail.to_string() }
    }
}
