//! Webhooks: subscriptions, at-least-once delivery with retries, signatures checked by an
//! independent implementation (Python's `hmac`), the address policy at subscription and at
//! delivery time, failing subscriptions, and deliveries resumed by a server killed again and
//! again.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hocba_api::webhooks::{WebhookSettings, Worker};
use hocba_domain::webhooks::{AddressPolicy, RetrySchedule};
use serde_json::{Value, json};

use crate::helpers::{TestApp, official_body};

/// The event type of an official's registration, as the feed names it.
const REGISTERED: &str = "official.registered";

/// The official an `official.registered` webhook body is about.
fn event_subject(event: &Value) -> Option<String> {
    event["official_id"].as_str().map(str::to_owned)
}

/// One request a receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

/// A webhook receiver on a loopback port that answers 500 to the first `failures` attempts at
/// each `webhook-id`, then 204.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub(crate) async fn start(failures: usize) -> Receiver {
        Receiver::listen(failures, None).await
    }

    /// A receiver that takes each request (and answers 204) only with a permit of `permits`,
    /// one each: the others wait, their deliveries in flight.
    pub(crate) async fn start_holding(permits: Arc<tokio::sync::Semaphore>) -> Receiver {
        Receiver::listen(0, Some(permits)).await
    }

    async fn listen(failures: usize, permits: Option<Arc<tokio::sync::Semaphore>>) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let requests: Arc<Mutex<Vec<Received>>> = Arc::default();
        let state = Answers { requests: requests.clone(), failures, permits };
        let app =
            axum::Router::new().route("/hooks", axum::routing::post(receive)).with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, requests }
    }

    /// The ids answered 2xx.
    pub(crate) fn delivered(&self, failures: usize) -> HashSet<String> {
        let requests = self.requests.lock().unwrap();
        let mut tries: HashMap<&str, usize> = HashMap::new();
        let mut delivered = HashSet::new();
        for request in requests.iter() {
            let count = tries.entry(&request.id).or_default();
            *count += 1;
            if *count > failures {
                delivered.insert(request.id.clone());
            }
        }
        delivered
    }
}

/// What a receiver keeps and how it answers.
#[derive(Clone)]
struct Answers {
    requests: Arc<Mutex<Vec<Received>>>,
    failures: usize,
    permits: Option<Arc<tokio::sync::Semaphore>>,
}

async fn receive(
    State(Answers { requests, failures, permits }): State<Answers>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if let Some(permits) = permits {
        permits.acquire().await.unwrap().forget();
    }
    let header = |name: &str| {
        headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned()
    };
    let received = Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let mut requests = requests.lock().unwrap();
    let earlier = requests.iter().filter(|request| request.id == received.id).count();
    requests.push(received);
    if earlier < failures { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::NO_CONTENT }
}

/// Checks every signature with Python's standard library, as a receiver would; returns how
/// many verified.
pub(crate) fn verified_by_python(secret: &str, requests: &[Received]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("requests.json");
    let list: Vec<Value> = requests
        .iter()
        .map(|r| json!({ "id": r.id, "timestamp": r.timestamp, "signature": r.signature, "body": r.body }))
        .collect();
    std::fs::write(&file, serde_json::to_vec(&list).unwrap()).unwrap();
    let script = r#"
import base64, hashlib, hmac, json, sys
key = base64.b64decode(sys.argv[1].removeprefix("whsec_"))
ok = 0
for r in json.load(open(sys.argv[2])):
    signed = f"{r['id']}.{r['timestamp']}.{r['body']}".encode()
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    if any(hmac.compare_digest(expected, s) for s in r["signature"].split(" ")):
        ok += 1
print(ok)
"#;
    let output = std::process::Command::new("python3")
        .args(["-c", script, secret])
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().parse().unwrap()
}

fn worker(app: &TestApp, schedule: RetrySchedule, policy: AddressPolicy) -> Worker {
    let settings = WebhookSettings {
        policy: Arc::new(policy),
        schedule,
        idle: Duration::from_millis(10),
        ..WebhookSettings::default()
    };
    Worker::new(app.store.clone(), app.authority.clone(), settings)
}

/// Retries come (almost) at once, so that a test waits for nothing but the work.
fn quick_retries() -> RetrySchedule {
    RetrySchedule { base: Duration::from_millis(1), ..RetrySchedule::default() }
}

/// Runs worker rounds until `done`, for up to a minute.
async fn rounds_until(worker: &Worker, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "the worker did not get there within a minute");
        if worker.round().await.unwrap() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

async fn subscribe(app: &TestApp, url: &str) -> Value {
    let response = app.post("/api/v1/webhooks", &json!({ "url": url })).await;
    assert_eq!(response.status, StatusCode::CREATED, "{:#}", response.body);
    response.body
}

/// Registers `count` officials: each is an event of the feed.
async fn make_events(app: &TestApp, count: usize) {
    for n in 0..count {
        let body = official_body(&format!("001085{:06}", 300_000 + n), "Trần Thị Mai");
        app.register_official(&body).await;
    }
}

async fn a_receiver_failing_three_times_gets_every_event_signed(app: TestApp) {
    let receiver = Receiver::start(3).await;
    let subscription = subscribe(&app, &receiver.url).await;
    let secret = subscription["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    make_events(&app, 5).await;

    let worker = worker(&app, quick_retries(), AddressPolicy::default().allowing_loopback());
    rounds_until(&worker, || receiver.delivered(3).len() >= 5).await;

    let requests = receiver.requests.lock().unwrap().clone();
    assert_eq!(receiver.delivered(3).len(), 5);
    assert_eq!(verified_by_python(&secret, &requests), requests.len(), "every signature holds");
    for request in &requests {
        let event: Value = serde_json::from_str(&request.body).unwrap();
        assert!(event["type"].is_string(), "{event}");
        assert!(!request.body.contains("Trần"), "no personal data in a webhook: {event}");
    }

    // The log shows four attempts per delivery: three refusals, then the success.
    let id = subscription["id"].as_str().unwrap();
    let log = app.get_as_admin(&format!("/api/v1/webhooks/{id}/deliveries?limit=200")).await;
    assert_eq!(log.status, StatusCode::OK, "{:#}", log.body);
    let attempts = log.body["items"].as_array().unwrap();
    assert_eq!(attempts.len(), 20, "{:#}", log.body);
    assert_eq!(attempts.iter().filter(|a| a["status_code"] == 500).count(), 15);
    assert!(attempts.iter().all(|a| a["delivery_state"] == "delivered"));
    let listed = app.get_as_admin("/api/v1/webhooks").await;
    assert!(!listed.body.to_string().contains(&secret), "the secret is shown once");
    assert_eq!(listed.body[0]["status"], "active");
}

async fn a_replay_sends_the_same_webhook_ids_again(app: TestApp) {
    let receiver = Receiver::start(0).await;
    let subscription = subscribe(&app, &receiver.url).await;
    make_events(&app, 3).await;
    let worker = worker(&app, quick_retries(), AddressPolicy::default().allowing_loopback());
    rounds_until(&worker, || receiver.delivered(0).len() >= 3).await;
    let first: HashSet<String> = receiver.delivered(0);

    let id = subscription["id"].as_str().unwrap();
    let feed = app.get_as_admin(&format!("/api/v1/events?types={REGISTERED}")).await;
    let from = feed.body["events"][0]["cursor"].as_str().unwrap().to_owned();
    let replay =
        app.post(&format!("/api/v1/webhooks/{id}/replay"), &json!({ "after": from })).await;
    assert_eq!(replay.status, StatusCode::ACCEPTED, "{:#}", replay.body);
    rounds_until(&worker, || receiver.requests.lock().unwrap().len() >= 5).await;
    let requests = receiver.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 5, "the two events after the cursor again");
    assert!(requests[3..].iter().all(|request| first.contains(&request.id)));
}

async fn private_addresses_are_refused_when_subscribing_and_when_delivering(app: TestApp) {
    for url in [
        "http://10.0.0.8/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00::1]/hooks",
        "http://192.168.1.1:8080/",
    ] {
        let response = app.post("/api/v1/webhooks", &json!({ "url": url })).await;
        response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
        assert_eq!(response.body["errors"][0]["code"], "address-refused", "{url}");
        assert_eq!(response.body["errors"][0]["field"], "url");
    }
    let response = app.post("/api/v1/webhooks", &json!({ "url": "ftp://example.org/" })).await;
    assert_eq!(response.body["errors"][0]["code"], "webhook-url-invalid");

    // Allowed when subscribing (the tests allow loopback), refused by a worker that does not.
    let receiver = Receiver::start(0).await;
    let subscription = subscribe(&app, &receiver.url).await;
    make_events(&app, 1).await;
    let strict = worker(&app, quick_retries(), AddressPolicy::default());
    let id = subscription["id"].as_str().unwrap();
    let log_uri = format!("/api/v1/webhooks/{id}/deliveries");
    let deadline = Instant::now() + Duration::from_secs(60);
    while app.get_as_admin(&log_uri).await.body["items"].as_array().unwrap().is_empty() {
        assert!(Instant::now() < deadline);
        strict.round().await.unwrap();
    }
    let log = app.get_as_admin(&log_uri).await;
    assert!(log.body["items"][0]["error"].as_str().unwrap().contains("may not be sent"));
    assert!(receiver.requests.lock().unwrap().is_empty(), "nothing reached the receiver");
}

async fn a_subscription_whose_attempts_keep_failing_is_marked_failing(app: TestApp) {
    let receiver = Receiver::start(usize::MAX).await;
    let subscription = subscribe(&app, &receiver.url).await;
    make_events(&app, 1).await;
    let schedule = RetrySchedule { failing_after: 4, ..quick_retries() };
    let worker = worker(&app, schedule, AddressPolicy::default().allowing_loopback());
    let uri = format!("/api/v1/webhooks/{}", subscription["id"].as_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let shown = app.get_as_admin(&uri).await;
        if shown.body["status"] == "failing" {
            assert!(shown.body["consecutive_failures"].as_u64().unwrap() >= 4);
            break;
        }
        assert_eq!(shown.body["status"], "active", "{:#}", shown.body);
        assert!(Instant::now() < deadline, "never marked failing");
        if worker.round().await.unwrap() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    assert!(receiver.requests.lock().unwrap().len() >= 4);
}

async fn subscriptions_are_deleted_with_their_log(app: TestApp) {
    let receiver = Receiver::start(0).await;
    let subscription = subscribe(&app, &receiver.url).await;
    let uri = format!("/api/v1/webhooks/{}", subscription["id"].as_str().unwrap());
    let deleted = app.request(axum::http::Method::DELETE, &uri, Some(&app.admin_token), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    app.get_as_admin(&uri).await.assert_problem(StatusCode::NOT_FOUND, "not-found");
    app.get(&uri).await.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn a_client_manages_its_own_subscriptions_only(app: TestApp) {
    let receiver = Receiver::start(0).await;
    let portal = app.machine_client(&["webhooks:manage", "events:read"], None).await;
    let reader = app.machine_client(&["events:read"], None).await;
    let manager_only = app.machine_client(&["webhooks:manage"], None).await;
    let own = app.post_as(&portal.token, "/api/v1/webhooks", &json!({ "url": receiver.url })).await;
    assert_eq!(own.status, StatusCode::CREATED, "{:#}", own.body);
    let operators = subscribe(&app, &receiver.url).await;

    let get = |uri: String, token: String| {
        let app = &app;
        async move { app.request(axum::http::Method::GET, &uri, Some(&token), None).await }
    };
    let listed = get("/api/v1/webhooks".to_owned(), portal.token.clone()).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "{:#}", listed.body);
    assert_eq!(listed.body[0]["id"], own.body["id"]);
    let others = format!("/api/v1/webhooks/{}", operators["id"].as_str().unwrap());
    get(others, portal.token.clone()).await.assert_problem(StatusCode::NOT_FOUND, "not-found");
    app.post_as(&reader.token, "/api/v1/webhooks", &json!({ "url": receiver.url }))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "insufficient-scope");
    // A subscription is the changes feed, delivered: without events:read a client lists its
    // subscriptions but neither subscribes nor replays the feed to itself.
    let body = json!({ "url": receiver.url });
    let refused = app.post_as(&manager_only.token, "/api/v1/webhooks", &body).await;
    refused.assert_problem(StatusCode::FORBIDDEN, "insufficient-scope");
    assert_eq!(refused.body["scope"], "events:read", "{:#}", refused.body);
    let replay = format!("/api/v1/webhooks/{}/replay", own.body["id"].as_str().unwrap());
    let replayed = app.post_as(&manager_only.token, &replay, &json!({})).await;
    replayed.assert_problem(StatusCode::FORBIDDEN, "insufficient-scope");
    let none = get("/api/v1/webhooks".to_owned(), manager_only.token.clone()).await;
    assert_eq!(none.body, json!([]), "{:#}", none.body);
    let all = app.get_as_admin("/api/v1/webhooks").await;
    assert_eq!(all.body.as_array().unwrap().len(), 2, "the operator sees every subscription");
}

on_both_backends!(
    a_client_manages_its_own_subscriptions_only,
    a_receiver_failing_three_times_gets_every_event_signed,
    a_replay_sends_the_same_webhook_ids_again,
    private_addresses_are_refused_when_subscribing_and_when_delivering,
    a_subscription_whose_attempts_keep_failing_is_marked_failing,
    subscriptions_are_deleted_with_their_log,
);

/// The real binary delivering to a slow receiver is killed (SIGKILL) several times at random
/// moments mid-run; restarted each time on the same database and keys, it delivers every event:
/// none lost, a redelivery keeps its id.
fn killed_servers_deliver_every_event_after_restarts(database_url: &str, dir: &std::path::Path) {
    use rand::Rng;

    use crate::crash::{ADMIN, call, free_port, start_with};
    const EVENTS: usize = 200;
    const KILLS: usize = 5;
    /// Requests the receiver takes between two kills.
    const TAKEN: usize = 10;
    let (mut rng, seed) = crate::faults::seeded();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // The receiver takes TAKEN requests per kill and holds the others, so every kill comes
    // while deliveries are in flight and events are left to deliver, however fast the machine.
    let permits = Arc::new(tokio::sync::Semaphore::new(0));
    let receiver = runtime.block_on(Receiver::start_holding(permits.clone()));
    let args = ["--webhook-allow-loopback", "--webhook-concurrency", "2", "--webhook-lease", "3"];
    let port = free_port();
    let mut server = start_with(database_url, dir, port, &args);
    let (status, subscription) = call(
        &server.base,
        ADMIN,
        "/api/v1/webhooks",
        &json!({ "url": receiver.url, "event_types": [REGISTERED] }),
        None,
    );
    assert_eq!(status, 201, "{subscription}");
    let mut officials = HashSet::new();
    for n in 0..EVENTS {
        let body = official_body(&format!("001085{:06}", 400_000 + n), "Lê Văn Hà");
        let (status, official) = call(&server.base, ADMIN, "/api/v1/officials", &body, None);
        assert_eq!(status, 201, "{official}");
        officials.insert(official["id"].as_str().unwrap().to_owned());
    }
    for kill in 1..=KILLS {
        // Kill once the receiver took its share, at a random moment while it holds the next
        // deliveries (the server waiting for their answers, or recording the last ones).
        permits.add_permits(TAKEN);
        wait_for(|| receiver.requests.lock().unwrap().len() >= kill * TAKEN);
        std::thread::sleep(Duration::from_millis(rng.random_range(0..60)));
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        let told = subjects(&receiver).len();
        assert!(told < EVENTS, "{told} events delivered before kill {kill} (seed {seed})");
        server = start_with(database_url, dir, port, &args);
    }
    permits.add_permits(EVENTS * 10);
    wait_for(|| subjects(&receiver) == officials);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    // Each event kept one webhook-id, however often it came.
    let requests = receiver.requests.lock().unwrap();
    let mut ids_by_event: HashMap<String, HashSet<String>> = HashMap::new();
    for request in requests.iter() {
        ids_by_event.entry(request.body.clone()).or_default().insert(request.id.clone());
    }
    assert!(ids_by_event.values().all(|ids| ids.len() == 1));
    assert_eq!(ids_by_event.len(), EVENTS);
}

/// The officials the receiver was told of.
fn subjects(receiver: &Receiver) -> HashSet<String> {
    receiver
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter_map(|request| serde_json::from_str::<Value>(&request.body).ok())
        .filter_map(|event| event_subject(&event))
        .collect()
}

fn wait_for(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        assert!(Instant::now() < deadline, "not within two minutes");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sqlite_killed_servers_deliver_every_event_after_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("hocba.db").display());
    killed_servers_deliver_every_event_after_restarts(&url, dir.path());
}

#[test]
fn postgres_killed_servers_deliver_every_event_after_restarts() {
    let Some(schema) = crate::crash::postgres_schema("webhooks") else { return };
    let dir = tempfile::tempdir().unwrap();
    killed_servers_deliver_every_event_after_restarts(&schema.url(), dir.path());
}
