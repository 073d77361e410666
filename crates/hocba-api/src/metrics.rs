//! The registry's metrics, in the OpenMetrics text format Prometheus scrapes.
//!
//! Served by [`metrics_app`] on a listener of its own (`hocba serve --metrics-listen`), never on
//! the public one: the traffic of each route is the registry's business, and a scraper should
//! need no operator token, which could also read every official's record.
//!
//! Requests are counted by matched route, never by raw URI, which may hold an identifier (and
//! keeps the number of series bounded).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::{ApiError, AppState};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReadLabels {
    on: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KeptLabels {
    answers: &'static str,
    from: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// No labels, in a family: its one series exists only once set, so a process without a read
/// replica shows no replica metrics (rather than a replica never fresh).
type Unlabelled = [(&'static str, &'static str); 0];
type FloatGauge = Gauge<f64, AtomicU64>;

/// Every metric of the process (one registry a process, as Prometheus expects).
struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily<RouteLabels>,
    in_flight: Gauge,
    signed: Counter,
    signing: Histogram,
    posted: Family<OutcomeLabels, Counter>,
    identity_refused: Family<OutcomeLabels, Counter>,
    pool: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    replica_fresh: Family<Unlabelled, Gauge>,
    replica_lag_bytes: Family<Unlabelled, FloatGauge>,
    replica_lag: Family<Unlabelled, FloatGauge>,
    /// Catches up with the store's counts at each scrape (under its lock: two scrapes at once
    /// must not both add the same reads).
    replica_reads: Mutex<Family<ReadLabels, Counter>>,
    /// Catches up with the kept answers' counts at each scrape, as `replica_reads` does.
    kept_answers: Mutex<Family<KeptLabels, Counter>>,
}

/// From 1 ms to about 16 s, doubling: a record read takes milliseconds, a posted class seconds.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("hocba");
    let requests = Family::<RequestLabels, Counter>::default();
    registry.register(
        "http_requests",
        "HTTP requests answered, by matched route",
        requests.clone(),
    );
    let latency: HistogramFamily<RouteLabels> =
        Family::new_with_constructor(latency_histogram as fn() -> Histogram);
    registry.register(
        "http_request_duration_seconds",
        "Time from a request's arrival to its answer's headers, by matched route",
        latency.clone(),
    );
    let in_flight = Gauge::default();
    registry.register("http_requests_in_flight", "Requests being answered", in_flight.clone());
    let signed = Counter::default();
    registry.register(
        "certificates_signed",
        "Certificates signed (a batch rolled back after signing counts too)",
        signed.clone(),
    );
    // A certificate's proof set takes about a third of a millisecond.
    let signing = Histogram::new(exponential_buckets(0.000_1, 2.0, 12));
    registry.register(
        "certificate_signing_seconds",
        "Time to build and sign one certificate in all its forms",
        signing.clone(),
    );
    let posted = Family::<OutcomeLabels, Counter>::default();
    registry.register(
        "completions_posted",
        "Completions posted by institutions: recorded, or refused row by row",
        posted.clone(),
    );
    let identity_refused = Family::<OutcomeLabels, Counter>::default();
    registry.register(
        "completions_identity_refused",
        "Posted people refused for their identity: matching no registered official (mismatch), \
         or not compared because the institution's refusals for the day were spent (not_compared)",
        identity_refused.clone(),
    );
    let pool = Family::<PoolLabels, Gauge>::default();
    registry.register("db_pool_connections", "Database connections open, by state", pool.clone());
    let pool_max = Gauge::default();
    registry.register(
        "db_pool_max_connections",
        "Database connections the pool may open",
        pool_max.clone(),
    );
    let replica_fresh = Family::<Unlabelled, Gauge>::default();
    registry.register(
        "replica_fresh",
        "1 while reads go to the read replica (within the lag bound and up), else 0",
        replica_fresh.clone(),
    );
    let replica_lag_bytes = Family::<Unlabelled, FloatGauge>::default();
    registry.register(
        "replica_lag_bytes",
        "Write-ahead log the primary had written and the replica had yet to replay, at the \
         latest check (4 a second); NaN when either could not be asked",
        replica_lag_bytes.clone(),
    );
    let replica_lag = Family::<Unlabelled, FloatGauge>::default();
    registry.register(
        "replica_lag_seconds",
        "How long ago the primary wrote the oldest change the replica had yet to replay, at the \
         latest check; NaN when either could not be asked",
        replica_lag.clone(),
    );
    let replica_reads = Family::<ReadLabels, Counter>::default();
    registry.register(
        "replica_reads",
        "Reads the read replica could answer, by where they were answered (replica, primary)",
        replica_reads.clone(),
    );
    let kept_answers = Family::<KeptLabels, Counter>::default();
    registry.register(
        "kept_answers",
        "Answers given from what this process kept while the records or the verification epoch \
         read the same (from=kept), or worked out afresh (from=fresh)",
        kept_answers.clone(),
    );
    Metrics {
        registry,
        requests,
        latency,
        in_flight,
        signed,
        signing,
        posted,
        identity_refused,
        pool,
        pool_max,
        replica_fresh,
        replica_lag_bytes,
        replica_lag,
        replica_reads: Mutex::new(replica_reads),
        kept_answers: Mutex::new(kept_answers),
    }
});

/// How many answers of one kind a process gave from what it had kept, and how many it worked
/// out afresh: what an operator reads to see whether keeping them pays.
#[derive(Debug, Default)]
pub struct Served {
    kept: AtomicU64,
    fresh: AtomicU64,
}

impl Served {
    /// Counts one answer, `kept` or worked out afresh.
    pub(crate) fn count(&self, kept: bool) {
        let counter = if kept { &self.kept } else { &self.fresh };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Answers given from what was kept.
    pub fn kept(&self) -> u64 {
        self.kept.load(Ordering::Relaxed)
    }

    /// Answers worked out afresh.
    pub fn fresh(&self) -> u64 {
        self.fresh.load(Ordering::Relaxed)
    }
}

/// Counts and times every request by its matched route (a layer of the application).
pub(crate) async fn record(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let metrics = &*METRICS;
    let in_flight = InFlight::enter(&metrics.in_flight);
    let started = Instant::now();
    let response = next.run(request).await;
    drop(in_flight);
    let labels = RouteLabels { method, route };
    metrics.latency.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
    let status = response.status().as_u16();
    metrics
        .requests
        .get_or_create(&RequestLabels { method: labels.method, route: labels.route, status })
        .inc();
    response
}

/// A request counted in flight until dropped: also when its client goes away and the handler
/// is dropped before it answers.
struct InFlight<'a>(&'a Gauge);

impl<'a> InFlight<'a> {
    fn enter(gauge: &'a Gauge) -> Self {
        gauge.inc();
        InFlight(gauge)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Records one certificate signed in `took`.
pub(crate) fn signed(took: Duration) {
    METRICS.signed.inc();
    METRICS.signing.observe(took.as_secs_f64());
}

/// Records completions posted: `recorded` stored, `refused` rows refused.
pub(crate) fn posted(recorded: usize, refused: usize) {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    METRICS.posted.get_or_create(&OutcomeLabels { outcome: "recorded" }).inc_by(count(recorded));
    METRICS.posted.get_or_create(&OutcomeLabels { outcome: "refused" }).inc_by(count(refused));
}

/// Records posted people refused for their identity: `mismatched` compared and matching no
/// registered official, `not_compared` because their institution's refusals were spent.
pub(crate) fn identity_refused(mismatched: usize, not_compared: usize) {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let family = &METRICS.identity_refused;
    family.get_or_create(&OutcomeLabels { outcome: "mismatch" }).inc_by(count(mismatched));
    family.get_or_create(&OutcomeLabels { outcome: "not_compared" }).inc_by(count(not_compared));
}

/// Raises `counter` to `total`, a count its owner keeps since the process started (under the
/// family's lock, so that two scrapes at once do not both add the same difference).
fn catch_up(counter: &Counter, total: u64) {
    counter.inc_by(total.saturating_sub(counter.get()));
}

/// `GET /metrics`, alone: to be served on a listener of its own, reachable only by the
/// operator's monitoring.
pub fn metrics_app(app: &AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .fallback(|| async { ApiError::NoRoute })
        .with_state(app.clone())
}

async fn scrape(State(app): State<AppState>) -> Response {
    let metrics = &*METRICS;
    let store = &app.store;
    let pool = store.pool_use();
    let gauge = |n: u32| i64::from(n);
    metrics.pool.get_or_create(&PoolLabels { state: "idle" }).set(gauge(pool.idle));
    metrics
        .pool
        .get_or_create(&PoolLabels { state: "busy" })
        .set(gauge(pool.open.saturating_sub(pool.idle)));
    metrics.pool_max.set(gauge(pool.max));
    if let Some(replica) = store.replica_use() {
        let unknown = |value: Option<f64>| value.unwrap_or(f64::NAN);
        metrics.replica_fresh.get_or_create(&[]).set(i64::from(replica.fresh));
        // Exact up to 2^53 bytes, far beyond any disk.
        let lag_bytes = replica.lag_bytes.map(|bytes| bytes as f64);
        metrics.replica_lag_bytes.get_or_create(&[]).set(unknown(lag_bytes));
        let lag = replica.lag.map(|lag| lag.as_secs_f64());
        metrics.replica_lag.get_or_create(&[]).set(unknown(lag));
        let reads = metrics.replica_reads.lock().unwrap_or_else(PoisonError::into_inner);
        for (on, total) in
            [("replica", replica.reads_on_replica), ("primary", replica.reads_on_primary)]
        {
            catch_up(&reads.get_or_create(&ReadLabels { on }), total);
        }
    }
    let kept_answers = metrics.kept_answers.lock().unwrap_or_else(PoisonError::into_inner);
    for (answers, served) in [
        ("token_holder", &app.tokens.served),
        ("compliance", &app.compliance.served),
        ("verdict_by_number", &app.verdicts.served_by_number),
        ("verdict_by_bytes", &app.verdicts.served_by_bytes),
    ] {
        for (from, total) in [("kept", served.kept()), ("fresh", served.fresh())] {
            catch_up(&kept_answers.get_or_create(&KeptLabels { answers, from }), total);
        }
    }
    drop(kept_answers);
    let mut text = String::new();
    if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &metrics.registry) {
        return ApiError::internal(error).into_response();
    }
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}
