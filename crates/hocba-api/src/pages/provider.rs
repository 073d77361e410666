//! `/sign-in/provider` and `/sign-in/callback`: an official signs in at the national identity
//! provider (OpenID Connect, authorization code with PKCE S256).
//!
//! The sign-in's `state`, `nonce` and PKCE verifier are made here and kept by the store, for
//! ten minutes and one use; the `state` is also bound to the browser that began the sign-in
//! by a short cookie, so that a callback URL sent to someone else signs nobody in. The code
//! is exchanged by the server and the ID token checked by
//! [`IdentityProvider::id_token`](crate::oidc::IdentityProvider::id_token); the official it
//! names gets a session.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use hocba_store::{PendingSignIn, Principal, SIGN_IN_LIFETIME};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::session::{self, random_secret};
use super::sign_in::{landing, signed_in_to};
use super::{PageError, SignInFailure};
use crate::auth::hash_token;
use crate::oidc::IdentityProvider;
use crate::oidc_client::{ExchangeFailed, WebSignIn};
use crate::{ApiError, AppState};

/// `?next=` of `/sign-in/provider`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Start {
    next: Option<String>,
}

/// The provider and the registry as its client, when officials' sign-in is configured.
fn configured(app: &AppState) -> Result<(&IdentityProvider, &WebSignIn), PageError> {
    match (&app.identity_provider, &app.web_sign_in) {
        (Some(provider), Some(client)) => Ok((provider, client)),
        _ => Err(PageError::Api(ApiError::NoRoute)),
    }
}

/// `GET /sign-in/provider`: begins a sign-in and sends the browser to the provider.
pub(super) async fn start(
    State(app): State<AppState>,
    query: Result<Query<Start>, QueryRejection>,
) -> Result<Response, PageError> {
    let (_, client) = configured(&app)?;
    let next = query.ok().and_then(|Query(start)| start.next);
    let (state, nonce, code_verifier) = (random_secret(), random_secret(), random_secret());
    let location = client.authorization_url(&state, &nonce, &code_verifier);
    let pending = PendingSignIn { nonce, code_verifier, return_to: landing(next.as_deref()) };
    app.store.begin_sign_in(&hash_token(&state), &pending).await.map_err(ApiError::from)?;
    let cookie = session::sign_in_cookie(&app, &state, SIGN_IN_LIFETIME.whole_seconds())?;
    Ok(signed_in_to(&location, cookie))
}

/// What the provider sends the browser back with.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /sign-in/callback`: the provider's answer. A session for the official the ID token
/// names, or a page that says why not.
pub(super) async fn callback(
    State(app): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<Callback>, QueryRejection>,
) -> Result<Response, PageError> {
    let (provider, client) = configured(&app)?;
    let Query(callback) = query.map_err(|_| PageError::SignIn(SignInFailure::Mismatch))?;
    if callback.error.is_some() {
        return Err(PageError::SignIn(SignInFailure::Cancelled));
    }
    let (Some(code), Some(state)) = (callback.code, callback.state) else {
        return Err(PageError::SignIn(SignInFailure::Mismatch));
    };
    // The state must be the one this browser was given when it began.
    let began = session::sign_in_state(&headers, &app).unwrap_or_default();
    if Sha256::digest(began.as_bytes()) != Sha256::digest(state.as_bytes()) {
        return Err(PageError::SignIn(SignInFailure::Mismatch));
    }
    let pending = app.store.take_sign_in(&hash_token(&state)).await.map_err(ApiError::from)?;
    let pending = pending.ok_or(PageError::SignIn(SignInFailure::Expired))?;
    let id_token = client.exchange(&code, &pending.code_verifier).await.map_err(|failed| {
        tracing::warn!(%failed, "sign-in: the code exchange failed");
        PageError::SignIn(match failed {
            ExchangeFailed::Refused(_) => SignInFailure::Refused,
            ExchangeFailed::Unreachable(_) => SignInFailure::Unreachable,
        })
    })?;
    let now = time::OffsetDateTime::now_utc();
    let national_id = provider.id_token(&id_token, &pending.nonce, now).map_err(|refused| {
        tracing::warn!(%refused, "sign-in: ID token refused");
        PageError::SignIn(SignInFailure::Refused)
    })?;
    let official =
        app.store.official_id_by_national_id(&national_id).await.map_err(ApiError::from)?;
    let official = official.ok_or(PageError::SignIn(SignInFailure::NotRegistered))?;
    let cookie = session::start(&app, &Principal::signed_in(official)).await?;
    let mut response = signed_in_to(&pending.return_to, cookie);
    let cleared = session::sign_in_cookie(&app, "", 0)?;
    response.headers_mut().append(header::SET_COOKIE, cleared);
    Ok(response)
}
