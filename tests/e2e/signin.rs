//! Officials sign in at the national identity provider and read their own record, nobody
//! else's, and write nothing. The provider here is a local one: keys the tests hold, an
//! Ed25519 key (`EdDSA`) and an RSA key (`RS256`, as providers commonly sign).

use std::sync::LazyLock;

use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hocba_api::oidc::IdentityProvider;
use hocba_credentials::{Signer, keys, multikey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::completions::{completion, setting};
use crate::helpers::{TestApp, official_body};

const ISSUER: &str = "https://sso.test.vneid";
const AUDIENCE: &str = "hocba";

/// The local identity provider's signing key.
static PROVIDER_KEY: LazyLock<Signer> =
    LazyLock::new(|| Signer::new(keys::generate(), "dev-1".to_owned()));

/// An RSA key: what jsonwebtoken signs with, and its public JWK.
pub(crate) struct RsaKey {
    signing: EncodingKey,
    pub(crate) jwk: Value,
}

impl RsaKey {
    pub(crate) fn generate(kid: &str) -> RsaKey {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::traits::PublicKeyParts;
        use rsa::{Generate, PrivateKey};

        let private = PrivateKey::generate();
        let der = private.to_pkcs1_der().expect("encodes");
        let jwk = json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(private.n_bytes()),
            "e": URL_SAFE_NO_PAD.encode(private.e_bytes()),
        });
        RsaKey { signing: EncodingKey::from_rsa_der(der.as_bytes()), jwk }
    }

    /// A token with these claims, signed RS256 and naming `kid`.
    pub(crate) fn sign(&self, kid: &str, claims: &Value) -> String {
        let header = Header { kid: Some(kid.to_owned()), ..Header::new(Algorithm::RS256) };
        jsonwebtoken::encode(&header, claims, &self.signing).expect("signs")
    }
}

/// The local identity provider's RSA key.
static PROVIDER_RSA_KEY: LazyLock<RsaKey> = LazyLock::new(|| RsaKey::generate("rsa-1"));

/// The JWK set of the local identity provider.
fn provider_jwks() -> Value {
    json!({ "keys": [
        multikey::jwk(&PROVIDER_KEY.public_key(), "dev-1"),
        PROVIDER_RSA_KEY.jwk,
    ] })
}

/// The identity provider every test registry trusts: the local one.
pub fn identity_provider() -> IdentityProvider {
    IdentityProvider::new(ISSUER, AUDIENCE, &provider_jwks()).expect("provider")
}

/// A token signed by `signer` with these claims.
pub(crate) fn signed(signer: &Signer, header: &Value, claims: &Value) -> String {
    let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let input = format!("{}.{}", encode(header), encode(claims));
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signer.sign(input.as_bytes()).to_bytes()))
}

/// The claims of a token the provider issues to `national_id`, valid for the next 5 minutes.
fn claims(national_id: &str) -> Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": national_id, "iat": now, "exp": now + 300 })
}

fn header() -> Value {
    json!({ "alg": "EdDSA", "typ": "JWT", "kid": "dev-1" })
}

/// A token the provider issued to `national_id`.
pub(crate) fn id_token(national_id: &str) -> String {
    signed(&PROVIDER_KEY, &header(), &claims(national_id))
}

async fn an_official_reads_their_own_record_and_nobody_elses(app: TestApp) {
    let own = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let other = app.register_official(&official_body("001085054321", "Trần Văn Bình")).await;
    let (own_id, other_id) = (own["id"].as_str().unwrap(), other["id"].as_str().unwrap());
    let token = id_token("001085012345");
    let get = |uri: String| {
        let token = token.clone();
        let app = &app;
        async move { app.request(Method::GET, &uri, Some(&token), None).await }
    };

    let me = get("/api/v1/me".to_owned()).await;
    assert_eq!(
        (me.body["role"].as_str(), me.body["official_id"].as_str()),
        (Some("official"), Some(own_id))
    );
    let record = get(format!("/api/v1/officials/{own_id}")).await;
    assert_eq!(record.status, StatusCode::OK, "{:#}", record.body);
    assert_eq!(record.body["full_name"], "Nguyễn Văn An");
    assert_eq!(get(format!("/api/v1/officials/{own_id}/certificates")).await.body, json!([]));
    // The official sees who read their record: here, themselves.
    let reads = get(format!("/api/v1/officials/{own_id}/reads")).await;
    assert_eq!(reads.body[0]["reader"], format!("official:{own_id}"), "{:#}", reads.body);
    let (kind, own) = (&reads.body[0]["reader_kind"], &reads.body[0]["own_read"]);
    assert_eq!((kind, own), (&json!("official"), &json!(true)), "{:#}", reads.body);

    for uri in [
        format!("/api/v1/officials/{other_id}"),
        format!("/api/v1/officials/{other_id}/certificates"),
        format!("/api/v1/officials/{other_id}/reads"),
    ] {
        get(uri).await.assert_problem(StatusCode::NOT_FOUND, "not-found");
    }
    app.post_as(&token, "/api/v1/officials/lookup", &json!({ "national_id": "001085054321" }))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    app.post_as(&token, "/api/v1/officials/search", &json!({ "name": "Bình" }))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let reads = app.get_as_admin(&format!("/api/v1/officials/{other_id}/reads")).await;
    assert_eq!(reads.body, json!([]), "a refused read reads nothing");
}

async fn an_official_writes_nothing(app: TestApp) {
    let s = setting(&app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    let number = posted.body["certificate"]["number"].as_str().unwrap();
    let completion_id = posted.body["completion"]["id"].as_str().unwrap();
    let token = id_token("001085012345");
    let writes = [
        ("/api/v1/completions".to_owned(), completion(&s.class)),
        ("/api/v1/completions/batch".to_owned(), json!({ "rows": [completion(&s.class)] })),
        (format!("/api/v1/completions/{completion_id}/correct"), completion(&s.class)),
        (format!("/api/v1/certificates/{number}/revoke"), json!({ "reason": "issued_in_error" })),
        ("/api/v1/agencies/G01.H29/keys".to_owned(), json!({ "label": "mine" })),
    ];
    for (uri, body) in writes {
        app.post_as(&token, &uri, &body).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    let official = s.official["id"].as_str().unwrap();
    let own = app
        .request(
            Method::GET,
            &format!("/api/v1/officials/{official}/certificates"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(own.body[0]["number"], number, "their certificate, untouched: {:#}", own.body);
}

async fn tokens_the_registry_cannot_trust_are_refused(app: TestApp) {
    app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = claims("001085012345");
        change(&mut claims);
        signed(&PROVIDER_KEY, &header(), &claims)
    };
    let stranger = Signer::new(keys::generate(), "dev-1".to_owned());
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims("001085012345").to_string())
    );
    let refused = [
        ("expired", with(&|c| c["exp"] = json!(now - 3600))),
        ("not yet valid", with(&|c| c["nbf"] = json!(now + 3600))),
        ("another issuer", with(&|c| c["iss"] = json!("https://sso.example"))),
        ("another audience", with(&|c| c["aud"] = json!(["portal"]))),
        ("no expiry", with(&|c| c["exp"] = Value::Null)),
        ("a not-before that is no time", with(&|c| c["nbf"] = json!("soon"))),
        ("not a personal ID number", with(&|c| c["sub"] = json!("an-123"))),
        ("another key", signed(&stranger, &header(), &claims("001085012345"))),
        ("no signature", unsigned),
    ];
    for (why, token) in refused {
        let me = app.request(Method::GET, "/api/v1/me", Some(&token), None).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{why}: {:#}", me.body);
    }
    let me = app.request(Method::GET, "/api/v1/me", Some(&id_token("001085012345")), None).await;
    assert_eq!(me.status, StatusCode::OK, "and a good one is let in: {:#}", me.body);
    // A good token of someone the registry has no record of: signed in, but nobody to act as.
    let stranger = id_token("001085099999");
    let me = app.request(Method::GET, "/api/v1/me", Some(&stranger), None).await;
    me.assert_problem(StatusCode::FORBIDDEN, "official-not-registered");
    assert!(!me.body.to_string().contains("001085099999"), "{:#}", me.body);
    // How long a token lives is the provider's call, up to the end of time (no overflow here).
    let forever = with(&|c| c["exp"] = json!(i64::MAX));
    let me = app.request(Method::GET, "/api/v1/me", Some(&forever), None).await;
    assert_eq!(me.status, StatusCode::OK, "{:#}", me.body);
    // A token that names no key is checked with every key of the provider's set.
    let unnamed =
        signed(&PROVIDER_KEY, &json!({ "alg": "EdDSA", "typ": "JWT" }), &claims("001085012345"));
    let me = app.request(Method::GET, "/api/v1/me", Some(&unnamed), None).await;
    assert_eq!(me.status, StatusCode::OK, "{:#}", me.body);
}

async fn rs256_tokens_are_accepted_and_checked_as_eddsa_ones_are(app: TestApp) {
    let official = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let token = PROVIDER_RSA_KEY.sign("rsa-1", &claims("001085012345"));
    let me = app.request(Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_eq!(me.status, StatusCode::OK, "{:#}", me.body);
    assert_eq!(me.body["official_id"], official["id"]);

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = claims("001085012345");
        change(&mut claims);
        PROVIDER_RSA_KEY.sign("rsa-1", &claims)
    };
    let stranger = RsaKey::generate("rsa-1");
    let rsa_public_jwk = PROVIDER_RSA_KEY.jwk.to_string();
    let hmac = |secret: &[u8], kid: &str| {
        let header = Header { kid: Some(kid.to_owned()), ..Header::new(Algorithm::HS256) };
        let key = EncodingKey::from_secret(secret).unwrap();
        jsonwebtoken::encode(&header, &claims("001085012345"), &key).unwrap()
    };
    // The Ed25519 key's signature under an RS256 header, and the RSA key's under an EdDSA one.
    let ed25519_as_rs256 = signed(
        &PROVIDER_KEY,
        &json!({ "alg": "RS256", "typ": "JWT", "kid": "dev-1" }),
        &claims("001085012345"),
    );
    let rs256_as_eddsa = {
        let token = PROVIDER_RSA_KEY.sign("rsa-1", &claims("001085012345"));
        let (_, rest) = token.split_once('.').unwrap();
        let header = json!({ "alg": "EdDSA", "typ": "JWT", "kid": "rsa-1" });
        format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
    };
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT","kid":"rsa-1"}"#),
        URL_SAFE_NO_PAD.encode(claims("001085012345").to_string())
    );
    let refused = [
        ("another RSA key", stranger.sign("rsa-1", &claims("001085012345"))),
        ("expired", with(&|c| c["exp"] = json!(now - 3600))),
        ("another audience", with(&|c| c["aud"] = json!("portal"))),
        ("another issuer", with(&|c| c["iss"] = json!("https://sso.example"))),
        ("alg none", unsigned),
        ("HS256 keyed with the RSA public JWK", hmac(rsa_public_jwk.as_bytes(), "rsa-1")),
        ("HS256 keyed with the Ed25519 key", hmac(PROVIDER_KEY.public_key().as_bytes(), "dev-1")),
        ("an Ed25519 signature labelled RS256", ed25519_as_rs256),
        ("an RSA signature labelled EdDSA", rs256_as_eddsa),
    ];
    for (why, token) in refused {
        let me = app.request(Method::GET, "/api/v1/me", Some(&token), None).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{why}: {:#}", me.body);
    }
}

/// The first lines `hocba serve` writes to stderr with these extra arguments, up to the one that
/// contains `until` (killed then).
fn serve_log_until(extra: &[&str], until: &str) -> String {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hocba"))
        .args(["serve", "--listen", "127.0.0.1:0", "--keys-dir"])
        .arg(dir.path().join("keys"))
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.path().join("hocba.db").display()))
        .args(extra)
        .env("HOCBA_ADMIN_TOKEN", crate::crash::ADMIN)
        .env("RUST_LOG", "info")
        .env_remove("HOCBA_OIDC_ISSUER")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = String::new();
    // A generous bound for a loaded machine; the line comes before the server listens.
    while let Ok(line) = received.recv_timeout(std::time::Duration::from_secs(120)) {
        log.push_str(&line);
        log.push('\n');
        if line.contains(until) {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    log
}

/// `serve` says at start whether officials can sign in, and at which issuer.
#[test]
fn serve_logs_whether_official_sign_in_is_configured() {
    let log = serve_log_until(&[], "official sign-in");
    assert!(log.contains("official sign-in is off"), "{log}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, provider_jwks().to_string()).unwrap();
    let path = path.display().to_string();
    let args = ["--oidc-issuer", ISSUER, "--oidc-jwks", &path, "--oidc-audience", AUDIENCE];
    let log = serve_log_until(&args, "official sign-in");
    let line = log.lines().find(|line| line.contains("official sign-in")).unwrap_or_default();
    assert!(line.contains("is configured") && line.contains(ISSUER), "{log}");
}

on_both_backends!(
    an_official_reads_their_own_record_and_nobody_elses,
    an_official_writes_nothing,
    tokens_the_registry_cannot_trust_are_refused,
    rs256_tokens_are_accepted_and_checked_as_eddsa_ones_are,
);
