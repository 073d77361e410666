//! Persistence of the registry on SQLite (embedded default) or PostgreSQL (production).
//!
//! Each public method of [`Store`] is one use case in one transaction: it takes validated domain
//! values, applies the rules that need stored facts (accreditation on a date, uniqueness), writes
//! the change together with its audit event, and returns records. Nothing above this crate sees a
//! sea-orm type or writes SQL.

/// Evaluates `$work`, an `async` block reading through `$txn`, in a reading transaction on the
/// replica when it may answer, else on the primary; an error of any kind on the replica (not
/// found, refused, out of reach) is asked again of the primary, which has every write the replica
/// may lack (see [`replica`]). A macro, not a function taking a closure: the block is written
/// out twice, once for each transaction, and the future stays `Send` (an async closure borrowing
/// the transaction is not, to today's compiler, for every lifetime the handlers need).
macro_rules! reading {
    ($store:expr, |$txn:ident| $work:expr) => {{
        let store: &$crate::Store = $store;
        let mut on_replica = None;
        if let Some(replica) = store.fresh_replica()
            && let Ok(Some(txn)) = replica.begin_at(&store.epoch_seen).await
        {
            let $txn = &txn;
            let work: Result<_, $crate::StoreError> = $work.await;
            match work {
                Ok(value) => on_replica = txn.commit().await.ok().map(|()| value),
                Err($crate::StoreError::Unavailable(_)) => replica.set_stale(),
                Err(_) => {}
            }
        }
        store.count_replica_read(on_replica.is_some());
        match on_replica {
            Some(value) => Ok(value),
            None => {
                async {
                    let txn = store.read_primary().await?;
                    let $txn = &txn;
                    let work: Result<_, $crate::StoreError> = $work.await;
                    let value = work?;
                    txn.commit().await?;
                    Ok::<_, $crate::StoreError>(value)
                }
                .await
            }
        }
    }};
}

mod agencies;
mod audit;
pub mod audit_log;
mod catalog;
mod certificates;
mod clients;
mod consents;
mod entities;
mod epoch;
mod error;
mod idempotency;
pub mod identity_refusals;
mod institutions;
mod keys;
mod machine_clients;
mod officials;
mod operations;
mod outbox;
mod page;
mod read_log;
mod replica;
mod reports;
mod scopes;
mod sessions;
mod shares;
mod sqlite_log;
mod sqlite_pool;
mod standards;
#[cfg(test)]
mod test_stores;
mod tokens;
mod webhooks;

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    TransactionOptions, TransactionTrait,
};
use sea_orm::{SqliteTransactionMode, sqlx};
use uuid::Uuid;

use crate::sqlite_log::SqliteLog;

pub use agencies::AgencyQuery;
pub use audit::{AuditEvent, ChainReport};
pub use catalog::{Category, Class, ClassQuery, Program};
pub use certificates::{
    BatchResults, Certificate, ClassResults, CompletionQuery, CompletionRecord, CompletionResult,
    Fate, GeneratedCompletion, GeneratedOfficial, OfficialRecord, PopulationWritten, Posted,
    RecordEntry, Revocation, Serials, Sign, SignTranscript, SignedCredential, SignedDocuments,
    Transcript,
};
pub use clients::ClientRecord;
pub use consents::{Consent, ConsentClient};
pub use epoch::{RecordsEpoch, TokensEpoch, VerificationEpoch};
pub use error::StoreError;
pub use idempotency::{Answer, IdempotencyKey, Replay};
pub use identity_refusals::IdentityRefusals;
pub use institutions::Institution;
pub use keys::SigningKeyRecord;
pub use machine_clients::{AssertionUse, ClientAuth, MachineClient, NewMachineClient};
pub use officials::{
    EmploymentRecord, Official, OfficialQuery, OfficialSummary, ReaderKind, RecordRead,
};
pub use operations::PoolUse;
pub use outbox::{
    EventCursor, EventSubject, EventType, InvalidCursor, OutboxEvent, Pruned, UnknownEventType,
};
pub use page::{Page, PageRequest};
pub use replica::ReplicaUse;
pub use reports::{MissingOfficial, MissingQuery, ReportCounts, ReportScope, Tally};
pub use scopes::{Scope, Scopes, UnknownScope};
pub use sessions::{
    PendingSignIn, SESSION_IDLE, SESSION_LIFETIME, SIGN_IN_LIFETIME, SessionHolder,
};
pub use shares::{Opening, ShareLink, ShareState, Shared};
pub use standards::{Compliance, RulesLoaded};
pub use tokens::{AgencyKey, Authenticated, Principal, Role, TokenRecord};
pub use webhooks::{
    AttemptOutcome, DeliveryAttempt, DeliveryState, DueDelivery, FanOut, FeedItem, NewSubscription,
    SubscriptionStatus, WebhookSubscription,
};

use hocba_migrations::{Migrate, Migrator};

/// Who is making a change or reading a record, as written to the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The registry itself (seeding, migrations).
    System,
    /// An operator, by the id of the token they used.
    Admin {
        /// The API token.
        token_id: Uuid,
    },
    /// A training institution, through one of its API clients.
    Institution {
        /// The institution.
        institution_id: hocba_domain::InstitutionId,
        /// The API client whose token was used.
        client_id: Uuid,
    },
    /// An official, signed in at the national identity provider: their own record only.
    Official {
        /// The official.
        official_id: hocba_domain::OfficialId,
    },
    /// An agency's HR department, through one of its API keys: it reads its own staff only.
    Agency {
        /// The agency.
        agency_code: hocba_domain::AgencyCode,
        /// The API key used.
        token_id: Uuid,
        /// Whether the key reads the staff of the agency's sub-units too.
        include_subunits: bool,
    },
    /// A machine client (the National Public Service Portal, a ministry's HR system), through
    /// a token it obtained: what its scopes allow, for whom its consents or its agency allow.
    Client {
        /// The machine client.
        client_id: Uuid,
    },
    /// Someone without an account, opening an official's share link: that official's record
    /// (or one certificate of it) only, while the link lasts.
    SharedLink {
        /// The link.
        share_id: Uuid,
        /// The official who made it.
        official_id: hocba_domain::OfficialId,
    },
}

impl Actor {
    /// The form stored in audit events and read logs.
    pub fn label(&self) -> String {
        match self {
            Actor::System => "system".to_owned(),
            Actor::Admin { token_id } => format!("admin:{token_id}"),
            // The client belongs to one institution; the label stays within the audit column.
            Actor::Institution { client_id, .. } => format!("client:{client_id}"),
            Actor::Official { official_id } => format!("official:{official_id}"),
            // The agency's code tells the official whose HR department read their record.
            Actor::Agency { agency_code, token_id, .. } => {
                format!("agency:{}/{token_id}", agency_code.as_str())
            }
            Actor::SharedLink { share_id, .. } => format!("share:{share_id}"),
            // Not `client:`, which names an institution's API client.
            Actor::Client { client_id } => format!("machine:{client_id}"),
        }
    }
}

/// The registry's database.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// A SQLite file's connections for reading transactions, beside [`Store::db`]'s one, which
    /// writes ([`SQLITE_READERS`]); `None` on PostgreSQL, whose pool serves both.
    sqlite_readers: Option<DatabaseConnection>,
    /// A SQLite file's write-ahead log: checkpointed beside the writers, and bounded by them.
    sqlite_log: Option<std::sync::Arc<SqliteLog>>,
    /// Wakes readers of the changes feed when events are committed.
    commits: std::sync::Arc<outbox::Commits>,
    /// Writes the rows of the record reads, many reads to a commit.
    read_log: std::sync::Arc<read_log::ReadLog>,
    /// A streaming replica for the reads that need not see the latest write ([`replica`]).
    replica: Option<std::sync::Arc<replica::Replica>>,
    /// The newest verification epoch this process has read from the primary: a replica that has
    /// not reached it answers no read.
    epoch_seen: std::sync::Arc<std::sync::atomic::AtomicI64>,
    /// The requirement rules as last read, and the records' epoch they were read under.
    kept_rules: std::sync::Arc<std::sync::Mutex<Option<(RecordsEpoch, KeptRules)>>>,
    /// The random part of the certificate numbers this process draws.
    serials: Serials,
    /// The posted people each institution's posts may fail to match today, in this process.
    identity_refusals: std::sync::Arc<IdentityRefusals>,
}

type KeptRules = std::sync::Arc<Vec<hocba_domain::Rule>>;

impl Store {
    /// Connects to `url` (`sqlite://FILE` or `postgres://…`). A SQLite file is created if missing.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_in_schema(url, None).await
    }

    /// Connects with PostgreSQL's `search_path` set to `schema` (created if missing), so that
    /// Hocba can live in a schema of a shared database, and a test can own a throw-away one.
    pub async fn connect_in_schema(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        let mut options = ConnectOptions::new(sqlite_creating_file(url));
        // Statements carry personal data as bound values; keep the driver's own logging off.
        options
            .sqlx_logging(false)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
        if let Some(schema) = schema {
            options.set_schema_search_path(schema);
        }
        options.map_sqlx_sqlite_opts(tuned_for_hocba);
        options.map_sqlx_sqlite_pool_opts(sqlite_pool::reusing_only_idle_connections);
        let db = Database::connect(options.clone()).await?;
        let (sqlite_log, sqlite_readers) =
            if db.get_database_backend() == DbBackend::Sqlite && !url.contains(":memory:") {
                let own = Database::connect(options.clone()).await?;
                let log = std::sync::Arc::new(SqliteLog::open(&db, Some(own)).await?);
                // Refused any write, so that a write can only ever go through the one writer.
                options.max_connections(SQLITE_READERS).map_sqlx_sqlite_opts(|sqlite| {
                    tuned_for_hocba(sqlite).pragma("query_only", "ON")
                });
                (Some(log), Some(Database::connect(options).await?))
            } else {
                (None, None)
            };
        if let Some(schema) = schema
            && db.get_database_backend() == DbBackend::Postgres
        {
            let is_identifier = !schema.is_empty()
                && schema.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !is_identifier {
                return Err(StoreError::corrupt(
                    "schema",
                    "name must be lower-case letters, digits and '_'",
                ));
            }
            db.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")).await?;
        }
        let read_log =
            std::sync::Arc::new(read_log::ReadLog::start(db.clone(), sqlite_log.clone()));
        Ok(Store {
            db,
            sqlite_readers,
            sqlite_log,
            commits: std::sync::Arc::default(),
            read_log,
            replica: None,
            epoch_seen: std::sync::Arc::default(),
            kept_rules: std::sync::Arc::default(),
            serials: Serials::default(),
            identity_refusals: std::sync::Arc::default(),
        })
    }

    /// This store, drawing its certificate numbers' random part from `serials`: a test's way
    /// to draw a number already taken, which no test could wait for (50 bits a year).
    pub fn drawing_serials_from(self, serials: Serials) -> Self {
        Store { serials, ..self }
    }

    /// This store, allowing each institution `refusals` of the people it posts a day
    /// ([`IdentityRefusals`]) instead of [`identity_refusals::DEFAULT_PER_DAY`].
    pub fn limiting_identity_refusals(self, refusals: IdentityRefusals) -> Self {
        Store { identity_refusals: std::sync::Arc::new(refusals), ..self }
    }

    /// Connects to the PostgreSQL primary at `url` as [`Store::connect`] does, and sends the
    /// reads that need not see the latest write to the streaming replica at `read_url` while it
    /// is within `max_lag` of the primary (docs/operations.md, "Several processes and a read
    /// replica", says which reads and when). The replica is connected on first
    /// use, so a replica down at start delays nothing: the primary answers meanwhile.
    pub async fn connect_with_replica(
        url: &str,
        read_url: &str,
        max_lag: Duration,
    ) -> Result<Self, StoreError> {
        let mut store = Self::connect(url).await?;
        let mut options = ConnectOptions::new(read_url);
        // A replica that went down holds up the reads that meet it only this long: the first
        // failure sends every read to the primary until a check finds the replica fresh again.
        options
            .sqlx_logging(false)
            .acquire_timeout(REPLICA_ACQUIRE_TIMEOUT)
            .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
            .connect_lazy(true);
        let replica = Database::connect(options).await?;
        store.replica =
            Some(std::sync::Arc::new(replica::Replica::start(replica, store.db.clone(), max_lag)));
        Ok(store)
    }

    /// Applies pending migrations and loads the national taxonomy of categories, the directory
    /// of agencies and the training standards' rules.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await?;
        self.load_taxonomy().await?;
        self.load_agencies().await?;
        self.load_shipped_rules().await?;
        // Events written before the audit log's tree existed become its first leaves.
        self.sync_audit_log().await
    }

    /// Reverts the last `steps` migrations, or every one (used by the migration tests).
    pub async fn migrate_down(&self, steps: Option<u32>) -> Result<(), StoreError> {
        Migrator::down(&self.db, steps).await?;
        Ok(())
    }

    /// Reverts the migration `name` and every one after it (used by the migration tests, so
    /// that a test of one migration still reverts it when newer ones are added).
    pub async fn migrate_down_through(&self, name: &str) -> Result<(), StoreError> {
        let names: Vec<String> =
            Migrator::migrations().iter().map(|migration| migration.name().to_owned()).collect();
        let position = names.iter().position(|known| known == name).ok_or_else(|| {
            StoreError::Database(sea_orm::DbErr::Migration(format!("no migration {name}")))
        })?;
        let steps = u32::try_from(names.len() - position).unwrap_or(u32::MAX);
        self.migrate_down(Some(steps)).await
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(StoreError::from)
    }

    /// Which database this is.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Whether writing transactions run side by side (PostgreSQL). SQLite has one writer, which
    /// a second writing transaction waits for, up to the pool's timeout.
    pub fn writes_side_by_side(&self) -> bool {
        self.backend() == DbBackend::Postgres
    }

    /// Starts a transaction that will write.
    ///
    /// On SQLite it takes the write lock at `BEGIN` (`IMMEDIATE`): a deferred transaction that
    /// reads first and writes later fails with `SQLITE_BUSY` when another writer got in between,
    /// and the busy timeout cannot help it.
    ///
    /// On a SQLite file it first keeps the write-ahead log within its bound
    /// ([`SqliteLog::keep_bounded`]).
    async fn write(&self) -> Result<DatabaseTransaction, StoreError> {
        begin_write(&self.db, self.sqlite_log.as_deref()).await
    }

    /// Starts a reading transaction on the replica when it may answer (see [`replica`]), else on
    /// the primary ([`Store::read_primary`]).
    async fn read(&self) -> Result<DatabaseTransaction, StoreError> {
        let on_replica = match self.fresh_replica() {
            Some(replica) => replica.begin_at(&self.epoch_seen).await.ok().flatten(),
            None => None,
        };
        self.count_replica_read(on_replica.is_some());
        match on_replica {
            Some(txn) => Ok(txn),
            None => self.read_primary().await,
        }
    }

    /// Counts a read the replica could have answered, by where it was answered (no replica:
    /// nothing to count).
    fn count_replica_read(&self, on_replica: bool) {
        if let Some(replica) = &self.replica {
            replica.count_read(on_replica);
        }
    }

    /// The read replica's freshness, lag and share of the reads; `None` without one.
    pub fn replica_use(&self) -> Option<ReplicaUse> {
        self.replica.as_ref().map(|replica| replica.usage())
    }

    /// Starts a transaction that only reads, on the primary: on SQLite it takes no write lock
    /// (`DEFERRED`) and runs on a reading connection, beside the writer on a snapshot of its
    /// own. It is not declared `READ ONLY` on PostgreSQL, which would cost every read a round
    /// trip more; a replica refuses writes anyway.
    async fn read_primary(&self) -> Result<DatabaseTransaction, StoreError> {
        Ok(self.primary_for_reads().begin().await?)
    }

    /// The primary's connections for reading: a SQLite file's reading connections, which see
    /// every commit without waiting for the writer; PostgreSQL's one pool.
    fn primary_for_reads(&self) -> &DatabaseConnection {
        self.sqlite_readers.as_ref().unwrap_or(&self.db)
    }

    fn fresh_replica(&self) -> Option<&replica::Replica> {
        self.replica.as_deref().filter(|replica| replica.is_fresh())
    }

    /// Logs record reads checked in a reading transaction ([`read_log`]): returns once they are
    /// committed, or with the error that kept them from it.
    async fn log_reads(&self, reads: read_log::Reads) -> Result<(), StoreError> {
        self.read_log.append(reads).await
    }
}

/// [`Store::write`] on `db` (the read log's writer has no store of its own).
async fn begin_write(
    db: &DatabaseConnection,
    sqlite_log: Option<&SqliteLog>,
) -> Result<DatabaseTransaction, StoreError> {
    if let Some(log) = sqlite_log {
        log.keep_bounded(db).await?;
    }
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// A SQLite file's connections for reading transactions. SQLite runs each connection's
/// statements on a thread of its own, one at a time: with the one connection that writes, reads
/// queued behind each other and behind the writes, and one official's compliance was answered
/// about 700 times a second with one core idle. Readers of a write-ahead log never wait for the
/// writer nor for each other. Each keeps a page cache of its own (`cache_size`), up to 8 MB.
const SQLITE_READERS: u32 = 4;

/// How long a request waits for a database connection before it is answered 503: when the
/// database is down, each attempt to connect fails at once, and the pool keeps trying until then.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a pooled connection may have been idle before it is tested (a round trip) on its
/// way out of the pool. sqlx tests every connection by default: on PostgreSQL each request then
/// made a round trip to the database more than its statements, and round trips were most of
/// what a record read cost. A connection in use a moment ago is still there; one idle a while
/// may have been closed by the database, a restart or a firewall, and is tested as before.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// How long a read waits for a connection to the replica before the primary answers it.
const REPLICA_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);

/// The settings of every connection to a SQLite file.
fn tuned_for_hocba(
    sqlite: sqlx::sqlite::SqliteConnectOptions,
) -> sqlx::sqlite::SqliteConnectOptions {
    sqlite
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
        .pragma("wal_autocheckpoint", "0")
        // Once a checkpoint has caught up, the log file shrinks back to this size.
        .pragma("journal_size_limit", "67108864")
        // A multi-row insert keeps a statement journal of the pages it changes, to undo
        // only itself; in memory, that is a copy instead of a write to a temporary file.
        .pragma("temp_store", "memory")
        // A certificate row is about 2.6 KB: a 4 KB page holds one, a 16 KB page six.
        // A posted class then makes a fifth of the write calls and writes a fifth fewer
        // bytes, and posting is a fifth faster; a one-row commit writes bigger pages and
        // is about a third slower. SQLite keeps an existing file's page size: this is for
        // new files.
        .page_size(16_384)
        // Each connection's page cache, in KiB (SQLite's default is 2 MB). A class's 1,000
        // random certificate numbers land all over the number index: once the index
        // outgrew 2 MB, each batch re-read its pages from the file and posting slowed as
        // the registry grew (100 classes into 100,000 officials: 108 -> 153 ms a batch;
        // with 8 MB, 110 -> 112 ms).
        .pragma("cache_size", "-8192")
}

fn sqlite_creating_file(url: &str) -> String {
    let is_sqlite_file = url.starts_with("sqlite:") && !url.contains(":memory:");
    if is_sqlite_file && !url.contains("mode=") {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}mode=rwc")
    } else {
        url.to_owned()
    }
}

/// Today in Vietnam, the calendar of every date the registry records (employment periods,
/// training, consents): who is on an agency's staff today, and what is in the future.
fn today() -> time::Date {
    hocba_domain::vietnam_day(now())
}

/// The current instant, truncated to microseconds: PostgreSQL keeps no more, and a record read
/// back must equal the one written.
fn now() -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc();
    now.replace_microsecond(now.microsecond()).unwrap_or(now)
}

/// Locks out concurrent writers of a shared sequence for the rest of the transaction.
///
/// PostgreSQL serialises on a transaction-scoped advisory lock; SQLite already holds its
/// database-wide write lock since `BEGIN IMMEDIATE`.
async fn serialize_on(txn: &DatabaseTransaction, lock: i64) -> Result<(), StoreError> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [lock.into()],
        ))
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::ConnectionTrait;

    use super::*;

    /// A class of 5,000 certificates holds the write lock for a second or more: verifications
    /// and record reads meanwhile are answered from the committed state, not queued behind it
    /// (on SQLite they once shared the writer's one connection, and here waited out its timeout).
    #[tokio::test]
    async fn reads_are_answered_while_a_write_is_under_way() {
        for (store, _dir) in crate::test_stores::migrated_stores("reads").await {
            let writing = store.write().await.unwrap();
            let unknown = hocba_domain::CertificateNumber::new(2026, [7; 7]);
            let read = store.certificate(&unknown).await;
            assert!(matches!(read, Err(StoreError::NotFound { .. })), "{read:?}");
            // Every verification, a kept verdict's too, reads the epoch first.
            store.verification_epoch().await.unwrap();
            writing.commit().await.unwrap();
            if let Some(readers) = &store.sqlite_readers {
                // Every write goes through the one writer.
                let refused = readers.execute_unprepared("CREATE TABLE scratch (x INTEGER)").await;
                assert!(format!("{refused:?}").contains("readonly"), "{refused:?}");
            }
        }
    }
}
