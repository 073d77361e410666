//! `hocba`: the registry's command line.

mod audit;
mod clients;
mod demo;
mod import;
mod keys;
mod rules;
mod verify;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use hocba_api::{AppServices, AppState, auth, population};
use hocba_store::{Actor, IdentityRefusals, Role, Store};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Hocba: the national registry of officials' training records, with verifiable certificates.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log lines as text for people, or as one JSON object a line for a log collector.
    #[arg(long, global = true, env = "HOCBA_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the registry.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "HOCBA_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[command(flatten)]
        database: DatabaseArgs,
        // Boxed, as `webhooks` below: `Serve` is already the largest command.
        #[command(flatten)]
        replica: Box<ReplicaArgs>,
        #[command(flatten)]
        identity: keys::IdentityArgs,
        /// Requests per second each credential may make on average (bursts of twice that);
        /// beyond it, 429 with Retry-After.
        #[arg(long, env = "HOCBA_RATE_LIMIT", default_value_t = 50)]
        rate_limit: u32,
        /// People an institution's posts may fail to match in a day (national ID number, name
        /// and date of birth together), per process; past it, nobody it posts is compared until
        /// midnight in Vietnam (429), so that guessing a birth date by posting takes days and
        /// shows.
        #[arg(long, env = "HOCBA_IDENTITY_REFUSALS_PER_DAY",
              default_value_t = hocba_store::identity_refusals::DEFAULT_PER_DAY)]
        identity_refusals_per_day: u32,
        #[command(flatten)]
        sign_in: SignInArgs,
        #[command(flatten)]
        connections: ConnectionArgs,
        /// Also serve `GET /metrics` (Prometheus) on this address, and only there: keep it
        /// reachable by the monitoring alone. Off when not set.
        #[arg(long, env = "HOCBA_METRICS_LISTEN")]
        metrics_listen: Option<SocketAddr>,
        // Boxed: the largest of the server's options, and `Serve` is already the largest command.
        #[command(flatten)]
        webhooks: Box<WebhookArgs>,
        /// Days the changes feed keeps its events (`GET /api/v1/events`): older ones are deleted
        /// once every webhook subscription has had them, and a reader whose cursor is older is
        /// told so (410).
        #[arg(long, env = "HOCBA_EVENTS_RETENTION_DAYS", default_value_t = 400,
              value_parser = clap::value_parser!(u32).range(1..=36_500))]
        events_retention_days: u32,
        /// Also load a demo catalogue, two institutions and 50 officials (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Manage the registry's signing keys.
    Keys {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        identity: keys::IdentityArgs,
        #[command(subcommand)]
        action: keys::KeyAction,
    },
    /// Manage machine clients: systems (the National Public Service Portal, an agency's HR
    /// system) that get tokens with scopes at /oauth/token.
    Clients {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(subcommand)]
        action: clients::ClientAction,
    },
    /// Verify a certificate offline, from a file holding its JSON credential or its JWS.
    Verify(verify::VerifyArgs),
    /// Post completions from a CSV file to a registry, as an institution (safe to re-run).
    Import {
        #[command(subcommand)]
        what: import::ImportWhat,
    },
    /// Load the training standards' rules into the database.
    Rules {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(subcommand)]
        action: rules::RulesAction,
    },
    /// Apply pending database migrations and load the national taxonomy.
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Copy a SQLite registry, consistent, into a new file while it serves (PostgreSQL: use
    /// pg_dump, see docs/operations.md).
    Backup {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The new file; it must not exist.
        out: std::path::PathBuf,
    },
    /// Put a backup in place as a SQLite registry's database (the server stopped), and check its
    /// audit chain.
    Restore {
        /// The backup file, as `hocba backup` wrote it.
        backup: std::path::PathBuf,
        /// The database to create; it must not exist.
        #[arg(long, env = "HOCBA_DATABASE_URL", default_value = "sqlite://hocba.db")]
        database_url: String,
    },
    /// Check the registry's audit chain.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Demo data: a synthetic population to try reports on.
    Demo {
        #[command(subcommand)]
        action: DemoAction,
    },
    /// Print the OpenAPI description of the HTTP API.
    Openapi,
    /// Mint a new registry-operator token and print it (once).
    AdminToken {
        #[command(flatten)]
        database: DatabaseArgs,
        /// What the token is for, shown in token lists and the audit trail.
        #[arg(long, default_value = "operator", value_parser = free_text::<100>)]
        label: String,
    },
}

#[derive(Debug, Subcommand)]
enum DemoAction {
    /// Write a synthetic civil service into the database: officials at central, provincial and
    /// commune agencies with their ranks, posts and employment histories, ten years of
    /// completions at accredited institutions, with signed certificates (some revoked or
    /// corrected). The same seed gives the same people; the database must not hold that
    /// seed's population yet.
    Generate {
        /// How many officials.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(hocba_api::population::MAX_OFFICIALS)))]
        officials: u32,
        /// The random generator's seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Completions a person has on average over the ten years.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=200))]
        completions: u32,
        /// Officials written per transaction.
        #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        batch: u64,
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        identity: keys::IdentityArgs,
    },
}

#[derive(Debug, Subcommand)]
enum AuditAction {
    /// Re-compute every event's hash and link, to prove none was removed or altered; exits
    /// non-zero when the chain is broken.
    Verify {
        #[command(flatten)]
        database: DatabaseArgs,
        /// A checkpoint kept from `GET /audit/checkpoint`: also check its signature, that the
        /// log's first events still hash to its root, and that the log now is consistent with
        /// it (history was only added to, never rewritten).
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<std::path::PathBuf>,
    },
}

/// Where officials sign in: an OpenID Connect provider (VNeID in production). Without an issuer,
/// officials cannot sign in; everything else works.
///
/// The provider's endpoints come from its discovery document and its keys from its JWK set:
/// both fetched once at start from `{issuer}/.well-known/openid-configuration`, or read from
/// files (`--oidc-discovery`, `--oidc-jwks`) for an install that cannot reach it. With a JWK set
/// file and no discovery file, the provider's bearer tokens are accepted by the API but
/// officials cannot sign in to the pages (nothing is fetched).
#[derive(Debug, clap::Args)]
struct SignInArgs {
    /// The provider's issuer, as its tokens' `iss` names it.
    #[arg(long, env = "HOCBA_OIDC_ISSUER", requires = "oidc_audience")]
    oidc_issuer: Option<String>,
    /// The provider's signing keys: a JWK set file (Ed25519 keys), read at start. Without it,
    /// fetched at start from the `jwks_uri` of the discovery document.
    #[arg(long, env = "HOCBA_OIDC_JWKS", requires = "oidc_issuer")]
    oidc_jwks: Option<std::path::PathBuf>,
    /// The provider's discovery document (`/.well-known/openid-configuration`) as a file, for an
    /// offline install. Without it (and without `--oidc-jwks`), fetched at start.
    #[arg(long, env = "HOCBA_OIDC_DISCOVERY", requires = "oidc_issuer")]
    oidc_discovery: Option<std::path::PathBuf>,
    /// The client id the provider gave Hocba: the audience its tokens must name.
    #[arg(long, env = "HOCBA_OIDC_AUDIENCE", requires = "oidc_issuer")]
    oidc_audience: Option<String>,
    /// The client secret the provider gave Hocba, if it registered Hocba as a confidential
    /// client (sent with each code exchange); a public client relies on PKCE alone.
    #[arg(
        long,
        env = "HOCBA_OIDC_CLIENT_SECRET",
        requires = "oidc_issuer",
        hide_env_values = true
    )]
    oidc_client_secret: Option<String>,
}

/// The provider officials sign in with, and the registry as its client (for the pages).
type SignInSetup =
    (Option<hocba_api::oidc::IdentityProvider>, Option<hocba_api::oidc_client::WebSignIn>);

impl SignInArgs {
    /// The provider and the client, for a registry at `base_url` (fetching what no file gives).
    fn setup(&self, base_url: &str) -> anyhow::Result<SignInSetup> {
        use hocba_api::oidc::IdentityProvider;
        use hocba_api::oidc_client::{ProviderEndpoints, WebSignIn, read_json};
        let (Some(issuer), Some(audience)) = (&self.oidc_issuer, &self.oidc_audience) else {
            return Ok((None, None));
        };
        let failed = |error: String| anyhow::anyhow!("identity provider: {error}");
        let endpoints = match (&self.oidc_discovery, &self.oidc_jwks) {
            (Some(file), _) => Some(ProviderEndpoints::from_file(issuer, file).map_err(failed)?),
            (None, Some(_)) => None,
            (None, None) => Some(ProviderEndpoints::discover(issuer).map_err(failed)?),
        };
        let jwks = match (&self.oidc_jwks, &endpoints) {
            (Some(file), _) => read_json(file).map_err(failed)?,
            (None, Some(endpoints)) => endpoints.fetch_jwks().map_err(failed)?,
            (None, None) => anyhow::bail!("identity provider: no JWK set"),
        };
        let provider = IdentityProvider::new(issuer, audience, &jwks).map_err(failed)?;
        let client = endpoints.map(|endpoints| {
            WebSignIn::new(audience, self.oidc_client_secret.clone(), endpoints, base_url)
        });
        Ok((Some(provider), client))
    }
}

/// How long clients may take to send a request, and how many may be connected at once.
#[derive(Debug, clap::Args)]
struct ConnectionArgs {
    /// Seconds a client may take to send a request's headers (and a kept-alive connection may
    /// stay idle); then the connection is closed.
    #[arg(long, env = "HOCBA_HEADER_READ_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    header_read_timeout: u64,
    /// Seconds a client may take to send a request's body, from the end of its headers; then
    /// 408 and the connection is closed.
    #[arg(long, env = "HOCBA_BODY_READ_TIMEOUT", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    body_read_timeout: u64,
    /// Connections served at once; more wait in the listen backlog. Keep it well under the
    /// open-file limit (`ulimit -n`).
    #[arg(long, env = "HOCBA_MAX_CONNECTIONS", default_value_t = 512,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Seconds requests under way at SIGTERM or SIGINT have to finish (new connections are
    /// refused at once); then the server stops anyway.
    #[arg(long, env = "HOCBA_SHUTDOWN_GRACE", default_value_t = 30)]
    shutdown_grace: u64,
}

impl ConnectionArgs {
    fn limits(&self) -> hocba_api::ConnectionLimits {
        hocba_api::ConnectionLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout),
            body_read_timeout: Duration::from_secs(self.body_read_timeout),
            max_connections: self.max_connections as usize,
            shutdown_grace: Duration::from_secs(self.shutdown_grace),
        }
    }
}

/// The webhook delivery worker (see docs/operations.md, "Webhooks").
#[derive(Debug, clap::Args)]
struct WebhookArgs {
    /// Also deliver webhooks to loopback addresses (127.0.0.0/8, ::1): for tests and a receiver
    /// on the same machine. Private, loopback and link-local addresses are refused otherwise.
    #[arg(long, env = "HOCBA_WEBHOOK_ALLOW_LOOPBACK")]
    webhook_allow_loopback: bool,
    /// Also deliver webhooks to this network (`10.20.0.0/16`), for receivers inside the
    /// government network; repeat for several, or separate with commas in the variable.
    #[arg(long, env = "HOCBA_WEBHOOK_ALLOW_NETWORK", value_delimiter = ',')]
    webhook_allow_network: Vec<hocba_domain::webhooks::Network>,
    /// Webhook deliveries posted at once by this process.
    #[arg(long, env = "HOCBA_WEBHOOK_CONCURRENCY", default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    webhook_concurrency: u32,
    /// Milliseconds before the first retry of a failed delivery (doubling at each failure, up
    /// to an hour, with jitter).
    #[arg(long, env = "HOCBA_WEBHOOK_RETRY_BASE_MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    webhook_retry_base_ms: u64,
    /// Seconds a process holds the deliveries it claimed: a process that dies holding them
    /// leaves them to be sent again (same `webhook-id`) once this has passed.
    #[arg(long, env = "HOCBA_WEBHOOK_LEASE", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(2..))]
    webhook_lease: u64,
}

impl WebhookArgs {
    fn settings(&self) -> hocba_api::webhooks::WebhookSettings {
        let mut policy =
            hocba_domain::webhooks::AddressPolicy { allowed: self.webhook_allow_network.clone() };
        if self.webhook_allow_loopback {
            policy = policy.allowing_loopback();
        }
        let defaults = hocba_api::webhooks::WebhookSettings::default();
        hocba_api::webhooks::WebhookSettings {
            policy: std::sync::Arc::new(policy),
            schedule: hocba_domain::webhooks::RetrySchedule {
                base: Duration::from_millis(self.webhook_retry_base_ms),
                ..defaults.schedule
            },
            concurrency: self.webhook_concurrency as usize,
            lease: Duration::from_secs(self.webhook_lease),
            // An attempt ends well within the lease, so that no other process starts the same
            // delivery while this one is still at it.
            timeout: defaults.timeout.min(Duration::from_secs(self.webhook_lease / 2)),
            ..defaults
        }
    }
}

#[derive(Debug, clap::Args)]
struct DatabaseArgs {
    /// `sqlite://FILE` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "HOCBA_DATABASE_URL", default_value = "sqlite://hocba.db")]
    database_url: String,
}

impl DatabaseArgs {
    async fn open(&self) -> anyhow::Result<Store> {
        let store = Store::connect(&self.database_url).await.context("cannot open the database")?;
        store.migrate().await.context("cannot migrate the database")?;
        Ok(store)
    }
}

/// A streaming replica of a PostgreSQL primary for `hocba serve` (docs/operations.md, "Several
/// processes and a read replica").
#[derive(Debug, clap::Args)]
struct ReplicaArgs {
    /// `postgres://…` of a streaming replica of the primary: record reads, reports, verification
    /// by number, the changes feed and the status lists read there while it keeps up; writes,
    /// the read log and reads of one's own writes go to the primary.
    #[arg(long, env = "HOCBA_READ_DATABASE_URL")]
    read_database_url: Option<String>,
    /// How far behind the primary, in milliseconds, the replica may be and still answer reads;
    /// further behind, or down, the primary answers them until it catches up.
    #[arg(long, env = "HOCBA_READ_MAX_LAG_MS", default_value_t = 2_000)]
    read_max_lag_ms: u64,
}

impl ReplicaArgs {
    /// The store of `database`, with this replica if one is named; migrated.
    async fn open(&self, database: &DatabaseArgs) -> anyhow::Result<Store> {
        let Some(read_url) = &self.read_database_url else { return database.open().await };
        if !database.database_url.starts_with("postgres") {
            bail!("--read-database-url needs a PostgreSQL --database-url");
        }
        let max_lag = Duration::from_millis(self.read_max_lag_ms);
        let store = Store::connect_with_replica(&database.database_url, read_url, max_lag)
            .await
            .context("cannot open the database")?;
        store.migrate().await.context("cannot migrate the database")?;
        Ok(store)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        // The request's span (method and matched route) goes in each line; the span list would
        // repeat it.
        LogFormat::Json => logs.json().with_current_span(true).with_span_list(false).init(),
    }
    match cli.command {
        Command::Serve {
            listen,
            database,
            replica,
            identity,
            rate_limit,
            identity_refusals_per_day,
            sign_in,
            connections,
            metrics_listen,
            webhooks,
            events_retention_days,
            demo,
        } => {
            let limits = connections.limits();
            let listeners = Listeners { api: listen, metrics: metrics_listen };
            let mut webhooks = webhooks.settings();
            if demo {
                // The demo's examples subscribe a receiver on the same machine.
                webhooks.policy =
                    std::sync::Arc::new(webhooks.policy.as_ref().clone().allowing_loopback());
            }
            let retention = hocba_api::events::Retention {
                keep: time::Duration::days(i64::from(events_retention_days)),
                every: EVENTS_PRUNED_EVERY,
            };
            let server =
                Server { rate_limit, identity_refusals_per_day, limits, webhooks, retention, demo };
            serve(listeners, (&database, &*replica), &identity, &sign_in, server).await
        }
        Command::Backup { database, out } => {
            let store = open_existing(&database.database_url).await?;
            store
                .backup_into(&out)
                .await
                .with_context(|| format!("cannot back up into {}", out.display()))?;
            eprintln!("backed up into {}", out.display());
            Ok(())
        }
        Command::Restore { backup, database_url } => restore(&backup, &database_url).await,
        Command::Audit { action: AuditAction::Verify { database, checkpoint } } => {
            let store = open_existing(&database.database_url).await?;
            audit::verify(&store, checkpoint.as_deref()).await
        }
        Command::Keys { database, identity, action } => {
            let store = database.open().await?;
            keys::run(&store, &identity.authority(None)?, action).await
        }
        Command::Clients { database, action } => {
            clients::run(&database.open().await?, action).await
        }
        Command::Verify(args) => verify::run(&args),
        Command::Rules { database, action } => rules::run(&database.open().await?, action).await,
        Command::Import { what: import::ImportWhat::Completions(args) } => import::run(&args),
        Command::Migrate { database } => {
            database.open().await?;
            eprintln!("database is up to date");
            Ok(())
        }
        Command::Demo {
            action: DemoAction::Generate { officials, seed, completions, batch, database, identity },
        } => {
            let store = database.open().await?;
            let authority = identity.authority(None)?;
            authority.ensure_key(&store).await.map_err(|error| anyhow::anyhow!("{error}"))?;
            let app = AppState::new(store, authority, 50);
            let options = population::Options {
                officials,
                seed,
                completions,
                today: hocba_domain::vietnam_day(time::OffsetDateTime::now_utc()),
                batch: usize::try_from(batch).unwrap_or(2_000),
            };
            if population::already_generated(&app, &options).await? {
                bail!("the population of seed {seed} is already in this database");
            }
            let started = std::time::Instant::now();
            let bar = std::io::IsTerminal::is_terminal(&std::io::stderr())
                .then(|| progress_bar(u64::from(officials)));
            let summary = population::generate(&app, &options, |written| {
                if let Some(bar) = &bar {
                    bar.set_position(written);
                }
            })
            .await?;
            if let Some(bar) = bar {
                bar.finish();
            }
            let seconds = started.elapsed().as_secs_f64();
            eprintln!(
                "generated {} officials, {} employment periods, {} completions, {} certificates \
                 ({} revoked), {} communes, in {seconds:.1} s ({:.0} completions/s)",
                summary.officials,
                summary.employments,
                summary.completions,
                summary.certificates,
                summary.revocations,
                summary.communes,
                summary.completions as f64 / seconds.max(0.001),
            );
            Ok(())
        }
        Command::Openapi => {
            println!("{}", hocba_api::openapi().to_pretty_json()?);
            Ok(())
        }
        Command::AdminToken { database, label } => {
            let store = database.open().await?;
            let token = mint_admin_token(&store, &label).await?;
            println!("{token}");
            Ok(())
        }
    }
}

/// Opens a database without migrating it (a backup stays as it was taken); a SQLite file must
/// exist, where connecting would create an empty one and back it up or find it intact.
async fn open_existing(database_url: &str) -> anyhow::Result<Store> {
    if let Some(file) = database_url.strip_prefix("sqlite://") {
        let file = file.split('?').next().unwrap_or(file);
        if !std::path::Path::new(file).is_file() {
            bail!("no database at {file}");
        }
    }
    Store::connect(database_url).await.context("cannot open the database")
}

/// Copies `backup` to the SQLite file of `database_url`, which must not exist yet (a running
/// registry's file is never overwritten), then checks the copy's audit chain.
async fn restore(backup: &std::path::Path, database_url: &str) -> anyhow::Result<()> {
    let Some(target) = database_url.strip_prefix("sqlite://") else {
        bail!("hocba restore puts back a SQLite file; restore PostgreSQL with pg_restore");
    };
    let target = std::path::Path::new(target.split('?').next().unwrap_or(target));
    let mut from =
        std::fs::File::open(backup).with_context(|| format!("cannot open {}", backup.display()))?;
    let mut to = std::fs::File::create_new(target)
        .with_context(|| format!("cannot create {} (it must not exist)", target.display()))?;
    std::io::copy(&mut from, &mut to).context("cannot copy the backup")?;
    to.sync_all().context("cannot write the restored database")?;
    let store = Store::connect(database_url).await.context("cannot open the restored database")?;
    audit::verify(&store, None).await?;
    eprintln!("restored {} into {}", backup.display(), target.display());
    Ok(())
}

/// A free-text argument (a label, a note), held to the rule the API holds free text to, with
/// `MAX` characters at most.
fn free_text<const MAX: usize>(raw: &str) -> Result<String, String> {
    hocba_domain::validation::text(raw, MAX).map_err(|violation| violation.to_string())
}

async fn mint_admin_token(store: &Store, label: &str) -> anyhow::Result<String> {
    let token = auth::mint_token();
    store.create_token(&Actor::System, Role::Admin, label, &token.hash).await?;
    Ok(token.secret)
}

/// Makes sure an operator can get in: adopts `HOCBA_ADMIN_TOKEN` if set, otherwise mints the
/// first token and prints it this once.
async fn bootstrap_admin(store: &Store) -> anyhow::Result<()> {
    if let Ok(secret) = std::env::var("HOCBA_ADMIN_TOKEN") {
        if !secret.starts_with("hocba_") || secret.len() < 32 {
            bail!("HOCBA_ADMIN_TOKEN must start with `hocba_` and be at least 32 characters");
        }
        let hash = auth::hash_token(&secret);
        if !store.token_exists(&hash).await? {
            store.create_token(&Actor::System, Role::Admin, "HOCBA_ADMIN_TOKEN", &hash).await?;
        }
        eprintln!("admin token: the one in HOCBA_ADMIN_TOKEN");
    } else if !store.has_admin_token().await? {
        let secret = mint_admin_token(store, "first start").await?;
        eprintln!(
            "\n  First start: this registry-operator token is shown once, keep it safe:\n\n    {secret}\n"
        );
        eprintln!(
            "  Use it as `Authorization: Bearer <token>`. Mint another with `hocba admin-token`.\n"
        );
    } else {
        eprintln!("admin token: printed at first start; mint another with `hocba admin-token`");
    }
    Ok(())
}

/// Where the server listens: the API, and the metrics if asked.
struct Listeners {
    api: SocketAddr,
    metrics: Option<SocketAddr>,
}

/// How the server behaves: its limits, its background work, and whether it is the demo.
struct Server {
    rate_limit: u32,
    identity_refusals_per_day: u32,
    limits: hocba_api::ConnectionLimits,
    webhooks: hocba_api::webhooks::WebhookSettings,
    retention: hocba_api::events::Retention,
    demo: bool,
}

/// How often a server prunes the changes feed: old events pile up by the day, not the second.
const EVENTS_PRUNED_EVERY: Duration = Duration::from_secs(3600);

async fn serve(
    Listeners { api: listen, metrics }: Listeners,
    (database, replica): (&DatabaseArgs, &ReplicaArgs),
    identity: &keys::IdentityArgs,
    sign_in: &SignInArgs,
    Server { rate_limit, identity_refusals_per_day, limits, webhooks, retention, demo }: Server,
) -> anyhow::Result<()> {
    let refusals = IdentityRefusals::per_day(identity_refusals_per_day);
    let store = replica.open(database).await?.limiting_identity_refusals(refusals);
    bootstrap_admin(&store).await?;
    let authority = identity.authority(Some(listen))?;
    authority.ensure_key(&store).await.map_err(|error| anyhow::anyhow!("{error}"))?;
    eprintln!("registry DID: {} (keys in {})", authority.registry.did, identity.keys_dir.display());
    let base_url = authority.registry.base_url.clone();
    let (mut provider, mut client) = sign_in.setup(&base_url)?;
    // The demo, with no provider of its own, runs the development one.
    let dev_idp = (demo && provider.is_none()).then(|| {
        std::sync::Arc::new(hocba_api::dev_idp::DevIdp::new(&base_url, demo::sign_in_people()))
    });
    if let Some(dev_idp) = &dev_idp {
        provider = Some(dev_idp.identity_provider().map_err(|error| anyhow::anyhow!("{error}"))?);
        client = Some(dev_idp.web_sign_in(&base_url).map_err(|error| anyhow::anyhow!("{error}"))?);
        eprintln!(
            "  Development identity provider (demo only) at {base_url}/dev-idp: officials sign in \
             at {base_url}/sign-in\n"
        );
    }
    let app: AppState = AppServices {
        identity_provider: provider.map(std::sync::Arc::new),
        web_sign_in: client.map(std::sync::Arc::new),
        dev_idp,
        webhook_policy: webhooks.policy.clone(),
        ..AppServices::new(store, authority, rate_limit)
    }
    .into();
    match (&app.identity_provider, &app.web_sign_in) {
        (Some(provider), Some(_)) => tracing::info!(
            issuer = provider.issuer(),
            "official sign-in is configured (bearer tokens and the pages)"
        ),
        (Some(provider), None) => tracing::info!(
            issuer = provider.issuer(),
            "official sign-in is configured (bearer tokens only: no --oidc-discovery)"
        ),
        (None, _) => tracing::info!("official sign-in is off: no --oidc-issuer is set"),
    }
    if demo {
        let facts = demo::seed(&app).await.context("cannot load the demo data")?;
        let token = mint_admin_token(&app.store, "demo").await?;
        let env = demo::env_file(&format!("http://{listen}"), &token, &facts);
        std::fs::write(demo::ENV_FILE, env)
            .with_context(|| format!("cannot write {}", demo::ENV_FILE))?;
        eprintln!("\n  Demo admin token:\n\n    {token}\n");
        eprintln!(
            "  {} holds it with the demo's ids (API, ADMIN_TOKEN, CLASS_ID, NUMBER, …);\n  \
             the examples in README.md and docs/ use them. Try:\n",
            demo::ENV_FILE
        );
        eprintln!("    source {}", demo::ENV_FILE);
        eprintln!("    curl -s $API/api/v1/institutions");
        eprintln!("    curl -s $API/api/v1/certificates/$NUMBER");
        eprintln!();
    }
    let listener =
        TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    if let Some(address) = metrics {
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        let metrics = hocba_api::metrics_app(&app);
        // It ends with the process: a scrape cut short is only a missed sample.
        tokio::spawn(hocba_api::serve(listener, metrics, limits, std::future::pending()));
        tracing::info!(%address, "metrics at /metrics");
    }
    let (stop_background, background_stops) = tokio::sync::watch::channel(false);
    let worker =
        hocba_api::webhooks::Worker::new(app.store.clone(), app.authority.clone(), webhooks);
    let pruner = tokio::spawn(retention.run(app.store.clone(), background_stops.clone()));
    let worker = tokio::spawn(worker.run(background_stops));
    tracing::info!(%listen, "hocba is serving; API docs at /docs");
    let shutdown = async move {
        shutdown_signal().await;
        // The webhook worker finishes its round, and a prune under way finishes, while the server
        // answers the requests under way.
        let _ = stop_background.send(true);
    };
    hocba_api::serve(listener, hocba_api::app(app), limits, shutdown).await;
    worker.await.context("the webhook worker failed")?;
    pruner.await.context("the changes feed's pruning failed")?;
    Ok(())
}

/// A bar of officials written, for `demo generate` on a terminal.
fn progress_bar(officials: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(officials);
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} officials written, {per_sec} ({eta})",
    ) {
        bar.set_style(style);
    }
    bar
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_notes_given_on_the_command_line_follow_the_free_text_rule() {
        let label = |label: &str| Cli::try_parse_from(["hocba", "admin-token", "--label", label]);
        assert!(label("night shift").is_ok());
        assert!(label("night\u{7}shift").is_err());
        assert!(label("night \u{202E}tfihs").is_err());
        let note =
            |note: &str| Cli::try_parse_from(["hocba", "keys", "revoke", "k1", "--note", note]);
        assert!(note("leaked in a backup").is_ok());
        assert!(note("leaked\u{1b}[2J").is_err());
    }
}
