//! The test application and the requests a user makes of it.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use std::sync::Arc;

use hocba_api::dev_idp::{DemoPerson, DevIdp};
use hocba_api::{AppServices, AppState, Authority, auth};
use hocba_credentials::{KeyDir, Registry};
use hocba_domain::webhooks::AddressPolicy;
use hocba_store::{Actor, Role, Store};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;

/// Runs each listed `async fn(TestApp)` once per backend, as `sqlite::name` and `postgres::name`.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test($crate::helpers::TestApp::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    if let Some(app) = $crate::helpers::TestApp::postgres().await {
                        super::$test(app).await;
                    }
                }
            )*
        }
    };
}

/// Runs each listed `async fn(TestApp, base_url)` once per backend, with the development
/// identity provider offering the calling module's `PEOPLE`, as `sqlite::name` and
/// `postgres::name` (or in the two modules named first, beside an `on_both_backends!`).
macro_rules! with_dev_idp {
    ($($test:ident),* $(,)?) => { with_dev_idp!(sqlite, postgres: $($test),*); };
    ($sqlite:ident, $postgres:ident: $($test:ident),* $(,)?) => {
        mod $sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    let (app, base) = $crate::helpers::TestApp::with_dev_idp(false, &super::PEOPLE).await.unwrap();
                    super::$test(app, base).await;
                }
            )*
        }
        mod $postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    if let Some((app, base)) = $crate::helpers::TestApp::with_dev_idp(true, &super::PEOPLE).await {
                        super::$test(app, base).await;
                    }
                }
            )*
        }
    };
}

/// A machine client registered by [`TestApp::machine_client`], with a token.
#[derive(Debug, Clone)]
pub struct MachineClient {
    /// Its `client_id`.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// A bearer token it obtained, with all its scopes.
    pub token: String,
}

/// A running registry with an operator token.
pub struct TestApp {
    router: Router,
    /// What the router's handlers reach (the kept answers among it).
    pub state: AppState,
    dev_idp: Option<Arc<DevIdp>>,
    pub store: Store,
    pub authority: Arc<Authority>,
    pub admin_token: String,
    dir: Option<TempDir>,
    _keys: Arc<TempDir>,
    /// The database, to open it again as a second server process.
    database: Option<Database>,
}

/// Requests per second per credential in tests: high enough for every test (the one about the
/// limit sets its own, [`TestApp::with_rate_limit`]).
pub const RATE_LIMIT: u32 = 200;

/// The application's state on `store`, with a rate limit of its own. Officials sign in with the
/// tests' own provider (bearer tokens), or, given one, at the development identity provider
/// (bearer tokens and the pages).
fn app_state(
    store: &Store,
    authority: &Arc<Authority>,
    per_second: u32,
    dev_idp: Option<&Arc<DevIdp>>,
) -> AppState {
    let base_url = &authority.registry.base_url;
    let (identity_provider, web_sign_in) = match dev_idp {
        Some(dev_idp) => (
            dev_idp.identity_provider().expect("provider"),
            Some(Arc::new(dev_idp.web_sign_in(base_url).expect("client"))),
        ),
        None => (crate::signin::identity_provider(), None),
    };
    AppServices {
        identity_provider: Some(Arc::new(identity_provider)),
        web_sign_in,
        dev_idp: dev_idp.cloned(),
        // The tests' webhook receivers listen on loopback.
        webhook_policy: Arc::new(AddressPolicy::default().allowing_loopback()),
        ..AppServices::new(store.clone(), authority.clone(), per_second)
    }
    .into()
}

/// The public URL the test registry believes it has.
pub const BASE_URL: &str = "https://hocba.test";

/// An answer, with its body parsed as JSON (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub content_type: String,
    pub body: Value,
    /// The body as sent.
    pub raw: Vec<u8>,
}

impl TestResponse {
    /// The `errors[].field` of a problem document.
    pub fn problem_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect()
            })
            .unwrap_or_default()
    }

    /// Asserts a problem+json answer with `status` and `code`.
    #[track_caller]
    pub fn assert_problem(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{:#}", self.body);
        assert_eq!(self.content_type, "application/problem+json");
        assert_eq!(self.body["code"], code, "{:#}", self.body);
        assert_eq!(self.body["status"], status.as_u16());
    }
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("hocba.db").display());
        let store = Store::connect(&url).await.expect("open sqlite");
        let app = TestApp::start(store, Some(dir)).await;
        TestApp { database: Some(Database::Sqlite(url)), ..app }
    }

    /// The database file of a registry on SQLite.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        self.dir.as_ref().map(|dir| dir.path().join("hocba.db"))
    }

    pub async fn postgres() -> Option<TestApp> {
        let schema = ScratchSchema::new("test")?;
        let app = TestApp::start(schema.open().await, None).await;
        Some(TestApp { database: Some(Database::Postgres(schema)), ..app })
    }

    /// Another server process on the same database and key directory, as a second `hocba
    /// serve` behind the same load balancer: its own connections and its own memory (kept
    /// verdicts, the signer it loaded), sharing only what the database holds. It must not
    /// outlive this one, which owns the SQLite file's directory.
    pub async fn second_process(&self) -> TestApp {
        let store = self.database.as_ref().expect(OPENED).open().await;
        let key_dir =
            KeyDir::open(self._keys.path(), Some("test passphrase".into())).expect("key dir");
        let registry = Registry::new(&self.authority.registry.base_url, "Hocba (test)");
        let authority = Arc::new(Authority::new(registry, key_dir));
        let state = app_state(&store, &authority, RATE_LIMIT, None);
        TestApp {
            router: hocba_api::app(state.clone()),
            state,
            dev_idp: None,
            store,
            authority,
            admin_token: self.admin_token.clone(),
            dir: None,
            _keys: self._keys.clone(),
            database: self.database.clone(),
        }
    }

    /// A URL of this registry's database for another process (the CLI) or connection.
    pub fn database_url(&self) -> String {
        if let Some(file) = self.sqlite_file() {
            return format!("sqlite://{}", file.display());
        }
        match self.database.as_ref().expect(OPENED) {
            Database::Sqlite(url) => url.clone(),
            Database::Postgres(schema) => schema.url(),
        }
    }

    /// The same registry started anew on its database and keys, as after `hocba serve` restarts:
    /// a new connection pool, router and operator token; nothing kept in memory survives.
    pub async fn restarted(self) -> TestApp {
        self.restarted_with(|store| store).await
    }

    /// [`TestApp::restarted`], its store set up by `adjust` first.
    pub async fn restarted_with(self, adjust: impl FnOnce(Store) -> Store) -> TestApp {
        let TestApp { dir, database, _keys: keys, .. } = self;
        let store = adjust(database.as_ref().expect(OPENED).open().await);
        let app = TestApp::start_with_keys(store, dir, keys, BASE_URL).await;
        TestApp { database, ..app }
    }

    /// A registry on SQLite listening on a loopback port, for tests that need real HTTP (the
    /// CLI); returns it with its base URL.
    pub async fn listening() -> (TestApp, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("hocba.db").display());
        let store = Store::connect(&url).await.expect("open sqlite");
        let app = TestApp::start_at(store, Some(dir), &base_url).await;
        app.serve_on(listener, hocba_api::ConnectionLimits::default());
        (app, base_url)
    }

    /// A registry listening on a loopback port (on SQLite, or PostgreSQL with `postgres`), with
    /// the development identity provider offering `people`: officials sign in to the pages
    /// through it, the registry exchanging the code over real HTTP. Returns it with its base
    /// URL (http: cookies without `Secure`).
    pub async fn with_dev_idp(
        postgres: bool,
        people: &[(&str, &str)],
    ) -> Option<(TestApp, String)> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let (store, dir, database) = if postgres {
            let schema = ScratchSchema::new("test")?;
            (schema.open().await, None, Some(Database::Postgres(schema)))
        } else {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("hocba.db").display());
            (Store::connect(&url).await.expect("open sqlite"), Some(dir), None)
        };
        let mut app = TestApp { database, ..TestApp::start_at(store, dir, &base_url).await };
        let people = people
            .iter()
            .map(|(name, national_id)| DemoPerson {
                name: (*name).to_owned(),
                national_id: (*national_id).to_owned(),
            })
            .collect();
        app.dev_idp = Some(Arc::new(DevIdp::new(&base_url, people)));
        app.serve_state(app_state(&app.store, &app.authority, RATE_LIMIT, app.dev_idp.as_ref()));
        app.serve_on(listener, hocba_api::ConnectionLimits::default());
        Some((app, base_url))
    }

    /// Serves the registry on a loopback port within `limits`, as `hocba serve` does; returns
    /// the port's address.
    pub async fn serve(&self, limits: hocba_api::ConnectionLimits) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        self.serve_on(listener, limits);
        address
    }

    pub fn serve_on(&self, listener: tokio::net::TcpListener, limits: hocba_api::ConnectionLimits) {
        self.serve_until(listener, limits, std::future::pending());
    }

    /// Serves the registry until `shutdown` completes; the task ends once the server has.
    pub fn serve_until(
        &self,
        listener: tokio::net::TcpListener,
        limits: hocba_api::ConnectionLimits,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(hocba_api::serve(listener, self.router.clone(), limits, shutdown))
    }

    async fn start(store: Store, dir: Option<TempDir>) -> TestApp {
        TestApp::start_at(store, dir, BASE_URL).await
    }

    async fn start_at(store: Store, dir: Option<TempDir>, base_url: &str) -> TestApp {
        let keys = Arc::new(tempfile::tempdir().expect("key dir"));
        TestApp::start_with_keys(store, dir, keys, base_url).await
    }

    async fn start_with_keys(
        store: Store,
        dir: Option<TempDir>,
        keys: Arc<TempDir>,
        base_url: &str,
    ) -> TestApp {
        store.migrate().await.expect("migrate");
        let key_dir = KeyDir::open(keys.path(), Some("test passphrase".into())).expect("key dir");
        let authority = Authority::new(Registry::new(base_url, "Hocba (test)"), key_dir);
        authority.ensure_key(&store).await.expect("first key");
        let token = auth::mint_token();
        store
            .create_token(&Actor::System, Role::Admin, "test", &token.hash)
            .await
            .expect("admin token");
        let authority = Arc::new(authority);
        let state = app_state(&store, &authority, RATE_LIMIT, None);
        TestApp {
            router: hocba_api::app(state.clone()),
            state,
            dev_idp: None,
            store,
            authority,
            admin_token: token.secret,
            dir,
            _keys: keys,
            database: None,
        }
    }

    /// The same registry (its store and keys) published at `base_url`, as `hocba serve
    /// --base-url` does: its did:web and the status lists of what it issues from then on name
    /// that address.
    pub fn at_base_url(mut self, base_url: &str) -> TestApp {
        let key_dir =
            KeyDir::open(self._keys.path(), Some("test passphrase".into())).expect("key dir");
        let registry = Registry::new(base_url, "Hocba (test)");
        self.authority = Arc::new(Authority::new(registry, key_dir));
        self.serve_state(app_state(
            &self.store,
            &self.authority,
            RATE_LIMIT,
            self.dev_idp.as_ref(),
        ));
        self
    }

    /// The same registry, allowing each credential `per_second` requests a second (bursts of
    /// twice that).
    pub fn with_rate_limit(mut self, per_second: u32) -> TestApp {
        self.serve_state(app_state(
            &self.store,
            &self.authority,
            per_second,
            self.dev_idp.as_ref(),
        ));
        self
    }

    /// Answers with the application on `state` from now on.
    fn serve_state(&mut self, state: AppState) {
        self.router = hocba_api::app(state.clone());
        self.state = state;
    }

    /// Sends a request; `token` goes in `Authorization: Bearer`.
    pub async fn request(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Body>,
    ) -> TestResponse {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        self.send(request.body(body.unwrap_or_else(Body::empty)).expect("request")).await
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        TestResponse { status, headers, content_type, body, raw: bytes.to_vec() }
    }

    /// `POST`s `body` as the operator with a `Content-Type` of the caller's choosing.
    pub async fn request_with_content_type(
        &self,
        uri: &str,
        content_type: &str,
        body: &str,
    ) -> TestResponse {
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.admin_token))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_owned()))
            .expect("request");
        self.send(request).await
    }

    /// `POST` a JSON body with `token`.
    pub async fn post_as(&self, token: &str, uri: &str, body: &Value) -> TestResponse {
        self.request(Method::POST, uri, Some(token), Some(Body::from(body.to_string()))).await
    }

    /// `POST`s a form (`application/x-www-form-urlencoded`) with an optional `Authorization`.
    pub async fn post_form(
        &self,
        uri: &str,
        form: &str,
        authorization: Option<&str>,
    ) -> TestResponse {
        let headers: Vec<_> =
            authorization.map(|value| (header::AUTHORIZATION, value)).into_iter().collect();
        self.post_form_with_headers(uri, form, &headers).await
    }

    /// `POST`s a form (`application/x-www-form-urlencoded`) with these headers.
    pub async fn post_form_with_headers(
        &self,
        uri: &str,
        form: &str,
        headers: &[(header::HeaderName, &str)],
    ) -> TestResponse {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        self.send(request.body(Body::from(form.to_owned())).expect("request")).await
    }

    /// Creates an API client for an institution and exchanges it for an access token.
    pub async fn institution_token(&self, institution_id: &str) -> String {
        let client = self
            .post(
                &format!("/api/v1/institutions/{institution_id}/clients"),
                &json!({ "label": "LMS" }),
            )
            .await;
        assert_eq!(client.status, StatusCode::CREATED, "{:#}", client.body);
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            client.body["client_id"].as_str().expect("id"),
            client.body["client_secret"].as_str().expect("secret")
        );
        let token = self.post_form("/oauth/token", &form, None).await;
        assert_eq!(token.status, StatusCode::OK, "{:#}", token.body);
        token.body["access_token"].as_str().expect("token").to_owned()
    }

    /// Registers a machine client (a system such as the portal) with `scopes`, acting for
    /// `agency` if given, authenticating with a secret; returns it with a token obtained at
    /// `POST /oauth/token`.
    pub async fn machine_client(&self, scopes: &[&str], agency: Option<&str>) -> MachineClient {
        let created = self
            .post(
                "/api/v1/clients",
                &json!({ "name": "Cổng Dịch vụ công quốc gia", "scopes": scopes, "agency_code": agency }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
        let field = |name: &str| created.body[name].as_str().expect(name).to_owned();
        let (client_id, client_secret) = (field("client_id"), field("client_secret"));
        let form = format!(
            "grant_type=client_credentials&client_id={client_id}&client_secret={client_secret}"
        );
        let token = self.post_form("/oauth/token", &form, None).await;
        assert_eq!(token.status, StatusCode::OK, "{:#}", token.body);
        let token = token.body["access_token"].as_str().expect("token").to_owned();
        MachineClient { client_id, client_secret, token }
    }

    /// `GET` without credentials, as anyone would.
    pub async fn get(&self, uri: &str) -> TestResponse {
        self.request(Method::GET, uri, None, None).await
    }

    /// `GET` as the operator.
    pub async fn get_as_admin(&self, uri: &str) -> TestResponse {
        self.request(Method::GET, uri, Some(&self.admin_token), None).await
    }

    /// `POST` a JSON body as the operator.
    pub async fn post(&self, uri: &str, body: &Value) -> TestResponse {
        self.request(Method::POST, uri, Some(&self.admin_token), Some(Body::from(body.to_string())))
            .await
    }

    /// Revokes certificate `number` as the operator and expects it revoked.
    pub async fn revoke(&self, number: &str, revocation: Value) {
        self.revoke_as(&self.admin_token, number, revocation).await;
    }

    /// Revokes certificate `number` as `token` (its institution's) and expects it revoked.
    pub async fn revoke_as(&self, token: &str, number: &str, revocation: Value) {
        let uri = format!("/api/v1/certificates/{number}/revoke");
        let answer = self.post_as(token, &uri, &revocation).await;
        assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    }

    /// Revokes the first signing key in the store (as `hocba keys` would, from another process
    /// than the server) as leaked.
    pub async fn revoke_first_signing_key(&self) {
        let kid = self.store.signing_keys().await.unwrap()[0].kid.clone();
        self.store
            .set_signing_key_status(
                &Actor::System,
                &kid,
                hocba_domain::KeyStatus::Revoked,
                Some("leaked"),
            )
            .await
            .unwrap();
    }

    /// Registers an official and returns the record.
    pub async fn register_official(&self, body: &Value) -> Value {
        let response = self.post("/api/v1/officials", body).await;
        assert_eq!(response.status, StatusCode::CREATED, "{:#}", response.body);
        response.body
    }

    /// Registers an institution of `kind` with scopes for `categories`, valid from 2020.
    pub async fn accredited_institution(
        &self,
        code: &str,
        kind: &str,
        categories: &[&str],
    ) -> Value {
        let created = self
            .post(
                "/api/v1/institutions",
                &json!({ "code": code, "name": format!("Trường {code}"), "kind": kind }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
        let id = created.body["id"].as_str().expect("id").to_owned();
        let mut institution = created.body;
        for category in categories {
            let granted = self
                .post(
                    &format!("/api/v1/institutions/{id}/scopes"),
                    &json!({ "category_code": category, "valid_from": "2020-01-01" }),
                )
                .await;
            assert_eq!(granted.status, StatusCode::CREATED, "{:#}", granted.body);
            institution = granted.body;
        }
        institution
    }

    /// Adds a programme of `category` and returns it.
    pub async fn program(&self, code: &str, category: &str) -> Value {
        let created = self
            .post(
                "/api/v1/programs",
                &json!({ "code": code, "title_vi": format!("Chương trình {code}"), "category_code": category, "min_days": 5 }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
        created.body
    }
}

/// The PostgreSQL server of the tests, or `None` (skip) when none is configured; with
/// `HOCBA_REQUIRE_POSTGRES` set, a missing one is a failure, not a skip.
pub fn postgres_url() -> Option<String> {
    let Ok(url) = std::env::var("HOCBA_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("HOCBA_REQUIRE_POSTGRES").is_none(),
            "HOCBA_REQUIRE_POSTGRES is set but HOCBA_TEST_POSTGRES_URL is not"
        );
        eprintln!("skipped: HOCBA_TEST_POSTGRES_URL is not set");
        return None;
    };
    Some(url)
}

/// Why a registry made without a [`Database`] cannot be opened again.
const OPENED: &str = "a registry opened by sqlite() or postgres()";

/// A registry's database, to open it again.
#[derive(Clone)]
enum Database {
    /// The URL of its file.
    Sqlite(String),
    Postgres(Arc<ScratchSchema>),
}

impl Database {
    async fn open(&self) -> Store {
        match self {
            Database::Sqlite(url) => Store::connect(url).await.expect("open sqlite again"),
            Database::Postgres(schema) => schema.open().await,
        }
    }
}

/// A schema of the tests' PostgreSQL database that one test owns, dropped with everything in it
/// when its last holder lets go: a run of the tests makes about two hundred, and without this
/// a database used for tests again and again grows by some 400 MB a run.
pub struct ScratchSchema {
    /// The tests' database, connections to it named after the schema.
    server: String,
    name: String,
}

impl ScratchSchema {
    /// A new schema named `prefix` and something unique (created when first opened), or `None`
    /// (skip) when no PostgreSQL is configured.
    pub fn new(prefix: &str) -> Option<Arc<ScratchSchema>> {
        let name = format!("{prefix}_{}", uuid_simple());
        let url = postgres_url()?;
        let separator = if url.contains('?') { '&' } else { '?' };
        let server = format!("{url}{separator}application_name={name}");
        Some(Arc::new(ScratchSchema { server, name }))
    }

    /// A store on the schema, which is created if missing.
    pub async fn open(&self) -> Store {
        Store::connect_in_schema(&self.server, Some(&self.name)).await.expect("open postgres")
    }

    /// A URL of the schema for another process (the CLI, a server) or connection.
    pub fn url(&self) -> String {
        format!("{}&options=-c%20search_path%3D{}", self.server, self.name)
    }
}

impl Drop for ScratchSchema {
    /// Best effort: a schema left behind costs only disk, and CI drops its database each run.
    ///
    /// The test's own connections are closed first. A transaction a refused request dropped is
    /// rolled back by a task the test's runtime runs at its next turn, and at the end of a test
    /// there is none: its connection would sit idle in the transaction, holding its locks.
    fn drop(&mut self) {
        let server = self.server.clone();
        let statement = format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = '{name}' AND pid <> pg_backend_pid(); \
             SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS {name} CASCADE",
            name = self.name
        );
        // A drop may run inside the test's runtime, which cannot block on a future itself.
        let dropping = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            runtime.ok().map(|runtime| {
                runtime.block_on(async {
                    let db = sea_orm::Database::connect(server).await.map_err(|e| e.to_string())?;
                    sea_orm::ConnectionTrait::execute_unprepared(&db, &statement)
                        .await
                        .map_err(|e| e.to_string())
                })
            })
        });
        if let Ok(Some(Err(error))) = dropping.join() {
            let test = std::thread::current().name().unwrap_or("?").to_owned();
            eprintln!("{test}: its schema {} was left behind: {error}", self.name);
        }
    }
}

/// A Hanoi man born on 14 March 1985, in a provincial department since 2020.
pub fn official_body(national_id: &str, full_name: &str) -> Value {
    json!({
        "national_id": national_id,
        "full_name": full_name,
        "date_of_birth": "1985-03-14",
        "gender": "male",
        "ethnicity_code": 1,
        "employment": {
            "agency_code": "G01.H29",
            "agency_name": "Sở Nội vụ Hà Nội",
            "level": "province",
            "rank_code": "01.003",
            "valid_from": "2020-01-01"
        }
    })
}

/// A name no other test run or test in this run uses.
fn uuid_simple() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos =
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{nanos:x}_{:x}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}
