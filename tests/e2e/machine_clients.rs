//! Machine clients (the National Public Service Portal, agencies' systems): registered by the
//! operator with scopes, they get short-lived tokens with a secret or a signed assertion
//! (`private_key_jwt`, Ed25519 and RS256), and their tokens do what their scopes allow only.

use std::sync::LazyLock;

use axum::http::{Method, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hocba_credentials::{Signer, keys, multikey};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{BASE_URL, TestApp, TestResponse, official_body};
use crate::signin::{RsaKey, signed};

const ALL_SCOPES: [&str; 4] =
    ["records:read", "events:read", "webhooks:manage", "completions:write"];
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The Ed25519 key of the portal's test system.
static ED25519_KEY: LazyLock<Signer> =
    LazyLock::new(|| Signer::new(keys::generate(), "portal-ed".to_owned()));

/// The RSA key of a ministry's test system (RS256, as most government systems hold).
static RSA_KEY: LazyLock<RsaKey> = LazyLock::new(|| RsaKey::generate("ministry-rsa"));

fn ed25519_jwk() -> Value {
    multikey::jwk(&ED25519_KEY.public_key(), "portal-ed")
}

/// Registers a `private_key_jwt` client with `jwk`; returns its id.
async fn key_client(app: &TestApp, jwk: &Value, scopes: &[&str]) -> String {
    let body = json!({
        "name": "HR system", "scopes": scopes,
        "token_endpoint_auth_method": "private_key_jwt", "jwk": jwk,
    });
    let created = app.post("/api/v1/clients", &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
    assert!(created.body.get("client_secret").is_none(), "a key client has no secret");
    created.body["client_id"].as_str().unwrap().to_owned()
}

/// The claims of a fresh assertion by `client_id` for the token endpoint, for 2 minutes.
fn assertion_claims(client_id: &str) -> Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    json!({
        "iss": client_id, "sub": client_id, "aud": format!("{BASE_URL}/oauth/token"),
        "iat": now, "exp": now + 120, "jti": Uuid::now_v7().to_string(),
    })
}

fn ed25519_assertion(claims: &Value) -> String {
    signed(&ED25519_KEY, &json!({ "alg": "EdDSA", "typ": "JWT" }), claims)
}

async fn exchange_assertion(app: &TestApp, assertion: &str, extra: &str) -> TestResponse {
    let form = format!(
        "grant_type=client_credentials&client_assertion_type={}&client_assertion={assertion}{extra}",
        form_urlencoded::byte_serialize(JWT_BEARER.as_bytes()).collect::<String>()
    );
    app.post_form("/oauth/token", &form, None).await
}

async fn who_am_i(app: &TestApp, token: &str) -> TestResponse {
    app.request(Method::GET, "/api/v1/me", Some(token), None).await
}

#[track_caller]
fn assert_invalid_client(answer: &TestResponse, why: &str) {
    answer.assert_problem(StatusCode::UNAUTHORIZED, "invalid-client");
    assert_eq!(answer.body["error"], "invalid_client", "{why}");
}

async fn a_client_with_a_secret_gets_tokens_with_its_scopes(app: TestApp) {
    let portal = app.machine_client(&["records:read", "events:read"], None).await;
    let me = who_am_i(&app, &portal.token).await;
    assert_eq!(me.status, StatusCode::OK, "{:#}", me.body);
    assert_eq!(me.body["role"], "client");
    assert_eq!(me.body["client_id"], portal.client_id.as_str());
    assert_eq!(me.body["scopes"], json!(["records:read", "events:read"]));

    let listed = app.get_as_admin("/api/v1/clients").await;
    assert_eq!(listed.body[0]["client_id"], portal.client_id.as_str());
    assert_eq!(listed.body[0]["token_endpoint_auth_method"], "client_secret");
    assert!(listed.body[0]["last_used_at"].is_string());
    assert!(!listed.body.to_string().contains(&portal.client_secret), "shown once only");

    // Some of its scopes, with HTTP Basic authentication.
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", portal.client_id, portal.client_secret));
    let basic = format!("Basic {basic}");
    let narrow = app
        .post_form("/oauth/token", "grant_type=client_credentials&scope=events:read", Some(&basic))
        .await;
    assert_eq!(narrow.status, StatusCode::OK, "{:#}", narrow.body);
    assert_eq!(narrow.body["scope"], "events:read");
    assert_eq!(narrow.body["expires_in"], 900);
    let me = who_am_i(&app, narrow.body["access_token"].as_str().unwrap()).await;
    assert_eq!(me.body["scopes"], json!(["events:read"]));

    // Not more than it holds, nor scopes that do not exist, nor with a wrong secret.
    let wider = "grant_type=client_credentials&scope=records:read%20webhooks:manage";
    let refused = app.post_form("/oauth/token", wider, Some(&basic)).await;
    refused.assert_problem(StatusCode::BAD_REQUEST, "invalid-token-request");
    assert_eq!(refused.body["error"], "invalid_scope");
    let unknown = "grant_type=client_credentials&scope=records:write";
    let refused = app.post_form("/oauth/token", unknown, Some(&basic)).await;
    assert_eq!(refused.body["error"], "invalid_scope");
    let wrong = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}x",
        portal.client_id, portal.client_secret
    );
    assert_invalid_client(&app.post_form("/oauth/token", &wrong, None).await, "wrong secret");

    // Institutions' clients keep working, and ask for their one scope at most.
    let school =
        app.accredited_institution("TCT-HANAM", "provincial_political_school", &["QLNN-CV"]).await;
    let institution = school["id"].as_str().unwrap();
    let created = app
        .post(&format!("/api/v1/institutions/{institution}/clients"), &json!({ "label": "LMS" }))
        .await;
    let form = |scope: &str| {
        format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope={scope}",
            created.body["client_id"].as_str().unwrap(),
            created.body["client_secret"].as_str().unwrap()
        )
    };
    let token = app.post_form("/oauth/token", &form("completions:write"), None).await;
    assert_eq!(token.status, StatusCode::OK, "{:#}", token.body);
    assert_eq!(token.body["scope"], "completions:write");
    let token = app.post_form("/oauth/token", &form("records:read"), None).await;
    assert_eq!(token.body["error"], "invalid_scope");
}

async fn ed25519_and_rs256_assertions_get_tokens(app: TestApp) {
    let portal = key_client(&app, &ed25519_jwk(), &["records:read", "events:read"]).await;
    let token = exchange_assertion(&app, &ed25519_assertion(&assertion_claims(&portal)), "").await;
    assert_eq!(token.status, StatusCode::OK, "{:#}", token.body);
    assert_eq!(token.body["scope"], "records:read events:read");
    let me = who_am_i(&app, token.body["access_token"].as_str().unwrap()).await;
    assert_eq!(me.body["client_id"], portal.as_str());

    let ministry = key_client(&app, &RSA_KEY.jwk, &["events:read"]).await;
    let mut claims = assertion_claims(&ministry);
    // The issuer is an audience as good as the token endpoint's URL.
    claims["aud"] = json!(BASE_URL);
    let assertion = RSA_KEY.sign("ministry-rsa", &claims);
    let token =
        exchange_assertion(&app, &assertion, &format!("&client_id={ministry}&scope=events:read"))
            .await;
    assert_eq!(token.status, StatusCode::OK, "{:#}", token.body);
    let me = who_am_i(&app, token.body["access_token"].as_str().unwrap()).await;
    assert_eq!(
        (me.body["role"].as_str(), me.body["client_id"].as_str()),
        (Some("client"), Some(ministry.as_str()))
    );

    let listed = app.get_as_admin(&format!("/api/v1/clients/{ministry}")).await;
    assert_eq!(listed.body["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(listed.body["jwk"]["n"], RSA_KEY.jwk["n"]);
}

/// Assertions by `client` that must be refused, each with why.
fn forgeries(client: &str) -> Vec<(&'static str, String)> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let with = |changes: Value| {
        let mut claims = assertion_claims(client);
        for (name, value) in changes.as_object().unwrap() {
            claims[name] = value.clone();
        }
        claims
    };
    vec![
        ("expired", ed25519_assertion(&with(json!({ "iat": now - 400, "exp": now - 120 })))),
        ("too long", ed25519_assertion(&with(json!({ "exp": now + 3600 })))),
        ("wrong audience", ed25519_assertion(&with(json!({ "aud": "https://other.test/token" })))),
        ("another issuer", ed25519_assertion(&with(json!({ "iss": Uuid::now_v7().to_string() })))),
        ("no jti", ed25519_assertion(&with(json!({ "jti": null })))),
        ("no expiry", ed25519_assertion(&with(json!({ "exp": null })))),
        ("alg none", unsigned(&json!({ "alg": "none" }), &assertion_claims(client))),
        ("alg HS256", unsigned(&json!({ "alg": "HS256" }), &assertion_claims(client))),
        // An RS256 header on an Ed25519 key: the key decides the algorithm.
        (
            "RS256 header on an Ed25519 key",
            signed(&ED25519_KEY, &json!({ "alg": "RS256" }), &assertion_claims(client)),
        ),
        ("another key", RSA_KEY.sign("ministry-rsa", &assertion_claims(client))),
        ("tampered signature", tampered_signature(&ed25519_assertion(&assertion_claims(client)))),
        ("tampered claims", tampered_claims(&ed25519_assertion(&assertion_claims(client)))),
    ]
}

async fn forged_expired_and_replayed_assertions_are_refused(app: TestApp) {
    // Two clients share the forgeries, so that neither reaches the throttle of failed attempts.
    let clients = [
        key_client(&app, &ed25519_jwk(), &["events:read"]).await,
        key_client(&app, &ed25519_jwk(), &["events:read"]).await,
    ];
    let cases = forgeries(&clients[0]).into_iter().zip(forgeries(&clients[1])).enumerate();
    for (index, (first, second)) in cases {
        let (client, (why, assertion)) =
            if index % 2 == 0 { (&clients[0], first) } else { (&clients[1], second) };
        let answer = exchange_assertion(&app, &assertion, &format!("&client_id={client}")).await;
        assert_invalid_client(&answer, why);
    }

    let assertion = ed25519_assertion(&assertion_claims(&clients[0]));
    let first = exchange_assertion(&app, &assertion, "").await;
    assert_eq!(first.status, StatusCode::OK, "{:#}", first.body);
    let replayed = exchange_assertion(&app, &assertion, "").await;
    assert_invalid_client(&replayed, "replayed");
    assert!(replayed.body["detail"].as_str().unwrap().contains("jti"), "{:#}", replayed.body);

    // A secret client cannot present an assertion, nor a key client a secret.
    let secret_client = app.machine_client(&["events:read"], None).await;
    let assertion = ed25519_assertion(&assertion_claims(&secret_client.client_id));
    assert_invalid_client(&exchange_assertion(&app, &assertion, "").await, "secret client");
    let form =
        format!("grant_type=client_credentials&client_id={}&client_secret=hocba_cs_x", clients[1]);
    assert_invalid_client(&app.post_form("/oauth/token", &form, None).await, "key client");
}

/// A JWT with this header and claims and no valid signature.
fn unsigned(header: &Value, claims: &Value) -> String {
    let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    format!("{}.{}.", encode(header), encode(claims))
}

fn tampered_signature(jwt: &str) -> String {
    let (input, signature) = jwt.rsplit_once('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
    bytes[0] ^= 1;
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The JWT with its claims changed (a later `exp`) and the signature kept.
fn tampered_claims(jwt: &str) -> String {
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 60);
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{}.{claims}.{}", parts[0], parts[2])
}

async fn a_token_without_the_scope_needed_is_refused_naming_it(app: TestApp) {
    let official = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let record = format!("/api/v1/officials/{}/record", official["id"].as_str().unwrap());
    let feed_reader = app.machine_client(&["events:read"], None).await;
    let answer = app.request(Method::GET, &record, Some(&feed_reader.token), None).await;
    answer.assert_problem(StatusCode::FORBIDDEN, "insufficient-scope");
    assert_eq!(answer.body["scope"], "records:read");
    assert!(answer.body["detail"].as_str().unwrap().contains("records:read"));
    assert_eq!(
        answer.headers[header::WWW_AUTHENTICATE],
        "Bearer error=\"insufficient_scope\", scope=\"records:read\""
    );
    // Whatever its scopes, a client is not an operator.
    let everything = app.machine_client(&ALL_SCOPES, None).await;
    let answer = app.request(Method::GET, "/api/v1/clients", Some(&everything.token), None).await;
    answer.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let search = app.post_as(&everything.token, "/api/v1/officials/search", &json!({})).await;
    search.assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

async fn revoking_a_client_ends_its_tokens_at_once(app: TestApp) {
    let portal = app.machine_client(&["events:read"], None).await;
    assert_eq!(who_am_i(&app, &portal.token).await.status, StatusCode::OK);
    let revoked =
        app.post(&format!("/api/v1/clients/{}/revoke", portal.client_id), &json!({})).await;
    assert_eq!(revoked.status, StatusCode::OK, "{:#}", revoked.body);
    assert!(revoked.body["revoked_at"].is_string());
    who_am_i(&app, &portal.token).await.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        portal.client_id, portal.client_secret
    );
    assert_invalid_client(&app.post_form("/oauth/token", &form, None).await, "revoked");
    let again = app.post(&format!("/api/v1/clients/{}/revoke", portal.client_id), &json!({})).await;
    again.assert_problem(StatusCode::CONFLICT, "already-exists");
    let unknown = app.post(&format!("/api/v1/clients/{}/revoke", Uuid::now_v7()), &json!({})).await;
    unknown.assert_problem(StatusCode::NOT_FOUND, "not-found");
}

async fn an_expired_access_token_is_refused(app: TestApp) {
    let portal = app.machine_client(&["events:read"], None).await;
    let client_id = Uuid::parse_str(&portal.client_id).unwrap();
    let minted = hocba_api::auth::mint_token();
    let scopes = hocba_store::Scopes::parse_oauth("events:read").unwrap();
    let expired = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    app.store.issue_machine_token(client_id, &minted.hash, scopes, expired, None).await.unwrap();
    who_am_i(&app, &minted.secret)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn registrations_that_cannot_work_are_refused_by_field(app: TestApp) {
    let app = &app;
    let register = |body: Value| async move { app.post("/api/v1/clients", &body).await };
    let cases = [
        (json!({ "name": "P", "scopes": [] }), "scopes"),
        (json!({ "name": "P", "scopes": ["records:write"] }), "scopes"),
        (json!({ "name": "", "scopes": ["events:read"] }), "name"),
        (
            json!({ "name": "P", "scopes": ["events:read"], "include_subunits": true }),
            "include_subunits",
        ),
        (
            json!({ "name": "P", "scopes": ["events:read"], "token_endpoint_auth_method": "private_key_jwt" }),
            "jwk",
        ),
        (json!({ "name": "P", "scopes": ["events:read"], "jwk": ed25519_jwk() }), "jwk"),
    ];
    for (body, field) in cases {
        let answer = register(body.clone()).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:#}", answer.body);
        assert!(
            answer.problem_fields().iter().any(|f| f.starts_with(field)),
            "{body}: {:#}",
            answer.body
        );
    }
    let mut private = ed25519_jwk();
    private["d"] = json!(URL_SAFE_NO_PAD.encode([7u8; 32]));
    let mut weak = RSA_KEY.jwk.clone();
    weak["n"] = json!(URL_SAFE_NO_PAD.encode([0xC5u8; 128]));
    let ec = json!({ "kty": "EC", "crv": "P-256", "x": "AA", "y": "AA" });
    for jwk in [private, weak, ec] {
        let body = json!({
            "name": "P", "scopes": ["events:read"],
            "token_endpoint_auth_method": "private_key_jwt", "jwk": jwk,
        });
        let answer = register(body).await;
        answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "malformed-body");
        assert_eq!(answer.problem_fields(), ["jwk"], "{jwk}");
    }
    let unknown_agency =
        json!({ "name": "P", "scopes": ["events:read"], "agency_code": "Z99.Z99" });
    let answer = register(unknown_agency).await;
    answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown-reference");
    assert_eq!(answer.problem_fields(), ["agency_code"]);
}

async fn the_authorization_server_metadata_says_how_to_get_a_token(app: TestApp) {
    let metadata = app.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(metadata.status, StatusCode::OK);
    assert_eq!(metadata.body["issuer"], BASE_URL);
    assert_eq!(metadata.body["token_endpoint"], format!("{BASE_URL}/oauth/token"));
    assert_eq!(
        metadata.body["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "private_key_jwt"])
    );
    assert_eq!(
        metadata.body["token_endpoint_auth_signing_alg_values_supported"],
        json!(["EdDSA", "RS256"])
    );
    assert_eq!(metadata.body["grant_types_supported"], json!(["client_credentials"]));
    assert_eq!(metadata.body["scopes_supported"], json!(ALL_SCOPES));
}

on_both_backends!(
    a_client_with_a_secret_gets_tokens_with_its_scopes,
    ed25519_and_rs256_assertions_get_tokens,
    forged_expired_and_replayed_assertions_are_refused,
    a_token_without_the_scope_needed_is_refused_naming_it,
    revoking_a_client_ends_its_tokens_at_once,
    an_expired_access_token_is_refused,
    registrations_that_cannot_work_are_refused_by_field,
    the_authorization_server_metadata_says_how_to_get_a_token,
);
