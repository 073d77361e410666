//! `/api/v1/me/shares`: an official's share links. With one, an HR officer who has no account
//! opens the verification page of the official's whole record, or of one certificate
//! (`/s/{secret}`), until the day the official chose (at most 30 days), or until they revoke it.
//!
//! The secret is 32 bytes from the operating system's random source, shown once in the link;
//! the registry keeps only its SHA-256. Every opening is logged in the official's read log.

use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hocba_domain::{CertificateNumber, Invalid, OfficialId, Validator, Violation};
use hocba_store::{ShareLink, ShareState};
use rand::TryRngCore;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{Sharer, hash_token};
use crate::extract::{Json, Path};
use crate::{ApiError, AppState, Problem};

/// The longest a link may last, in days.
pub(crate) const MAX_DAYS: i64 = 30;

/// The longest label, in characters.
const MAX_LABEL: usize = 100;

/// Bytes of randomness in a secret (256 bits).
const SECRET_BYTES: usize = 32;

/// Where a link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShareStateView {
    /// It opens.
    Active,
    /// Its period is over (`410 Gone`).
    Expired,
    /// The official revoked it (`410 Gone`).
    Revoked,
}

impl From<ShareState> for ShareStateView {
    fn from(state: ShareState) -> Self {
        match state {
            ShareState::Active => ShareStateView::Active,
            ShareState::Expired => ShareStateView::Expired,
            ShareState::Revoked => ShareStateView::Revoked,
        }
    }
}

/// A share link as its official sees it (never the link itself: only its holder has that).
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareLinkView {
    /// The link's id (to revoke it).
    pub id: Uuid,
    /// The one certificate it opens; absent: the whole record.
    #[schema(example = "HB-2026-7K3M9-QFD2A-X")]
    pub certificate: Option<String>,
    /// What the official called it.
    #[schema(example = "Vụ Tổ chức cán bộ")]
    pub label: Option<String>,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it stops opening.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When it was revoked.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// Where it stands now.
    pub state: ShareStateView,
}

impl ShareLinkView {
    pub(crate) fn at(link: ShareLink, now: OffsetDateTime) -> Self {
        ShareLinkView {
            id: link.id,
            state: link.state(now).into(),
            certificate: link.certificate.map(|number| number.to_string()),
            label: link.label,
            created_at: link.created_at,
            expires_at: link.expires_at,
            revoked_at: link.revoked_at,
        }
    }
}

/// A new share link, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewShareLinkView {
    /// The link.
    #[serde(flatten)]
    pub link: ShareLinkView,
    /// The address to give (or show as a QR code): whoever has it opens the record until it
    /// expires or is revoked. The registry keeps only a hash of it and cannot show it again.
    #[schema(example = "https://hocba.gov.vn/s/3q2-7wF0p1Sx9Gk4mJ8vQeT5aYcZrN6uHdLbKoXiW0E")]
    pub url: String,
}

/// A new share link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareBody {
    /// The number of one of the official's certificates, to share that certificate only;
    /// absent or `null`: the whole record.
    #[serde(default)]
    #[schema(example = "HB-2026-7K3M9-QFD2A-X")]
    pub certificate: Option<String>,
    /// For how many days the link opens, 1 to 30.
    #[schema(minimum = 1, maximum = 30, example = 7)]
    pub days: i64,
    /// A label for the official's own list, 1–100 characters (whom it was given to); shown in
    /// the read log beside each opening.
    #[serde(default)]
    pub label: Option<String>,
}

/// A share link asked for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShareRequest {
    pub certificate: Option<CertificateNumber>,
    pub days: i64,
    pub label: Option<String>,
}

impl ShareBody {
    /// Every field checked at once: a malformed certificate number, a period outside 1–30
    /// days, a label that is no label.
    pub(crate) fn parse(self) -> Result<ShareRequest, Invalid> {
        let mut validator = Validator::default();
        let days = if (1..=MAX_DAYS).contains(&self.days) {
            Some(self.days)
        } else {
            validator.reject("days", Violation::OutOfRange { min: 1, max: MAX_DAYS });
            None
        };
        let label = validator.check_optional("label", self.label, |raw| {
            hocba_domain::validation::text(&raw, MAX_LABEL)
        });
        let certificate = match self.certificate.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(raw) => validator.check("certificate", CertificateNumber::parse(raw)).map(Some),
        };
        let (Some(certificate), Some(days), Some(label)) = (certificate, days, label) else {
            return Err(validator.into_invalid());
        };
        validator.finish(ShareRequest { certificate, days, label })
    }
}

/// A fresh secret: 32 bytes from the operating system's random source, base64url (43
/// characters, no padding).
fn mint_secret() -> Result<String, ApiError> {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.try_fill_bytes(&mut bytes).map_err(ApiError::internal)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `raw` has the shape of a secret (before any database look-up).
pub(crate) fn is_secret(raw: &str) -> bool {
    raw.len() == 43 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The stored form of a secret.
pub(crate) fn secret_hash(secret: &str) -> String {
    hash_token(secret)
}

/// Makes `official`'s share link as `request` asks; returns it and its address.
pub(crate) async fn make(
    app: &AppState,
    actor: &hocba_store::Actor,
    official: OfficialId,
    request: ShareRequest,
) -> Result<(ShareLink, String), ApiError> {
    let secret = mint_secret()?;
    let expires_at = OffsetDateTime::now_utc() + Duration::days(request.days);
    let link = app
        .store
        .create_share_link(
            actor,
            official,
            request.certificate.as_ref(),
            request.label.as_deref(),
            &secret_hash(&secret),
            expires_at,
        )
        .await?;
    let url = format!("{}/s/{secret}", app.authority.registry.base_url);
    Ok((link, url))
}

/// Makes a share link of the signed-in official's whole record, or of one of their
/// certificates, opening for 1 to 30 days. The link is in the answer this once; whoever has it
/// sees the verification page without an account, and each opening is in the official's read
/// log (`reader_kind` `share_link`). Officials only.
#[utoipa::path(post, path = "/me/shares", tag = "officials", security(("bearer" = [])),
    request_body = ShareBody,
    responses((status = 201, body = NewShareLinkView), (status = "4XX", body = Problem)))]
pub async fn post_share(
    State(app): State<AppState>,
    sharer: Sharer,
    Json(body): Json<ShareBody>,
) -> Result<(StatusCode, Json<NewShareLinkView>), ApiError> {
    let official = sharer.official()?;
    let request = body.parse()?;
    let (link, url) = make(&app, &sharer.0.actor(), official, request).await?;
    let link = ShareLinkView::at(link, OffsetDateTime::now_utc());
    Ok((StatusCode::CREATED, Json(NewShareLinkView { link, url })))
}

/// The signed-in official's share links, newest first, with where each stands (expired and
/// revoked ones included; never the links themselves). Officials only.
#[utoipa::path(get, path = "/me/shares", tag = "officials", security(("bearer" = [])),
    responses((status = 200, body = [ShareLinkView]), (status = "4XX", body = Problem)))]
pub async fn list_shares(
    State(app): State<AppState>,
    sharer: Sharer,
) -> Result<Json<Vec<ShareLinkView>>, ApiError> {
    let links = app.store.share_links(sharer.official()?).await?;
    let now = OffsetDateTime::now_utc();
    Ok(Json(links.into_iter().map(|link| ShareLinkView::at(link, now)).collect()))
}

/// Revokes one of the signed-in official's share links: it stops opening at once (`410`).
/// Another official's link is `404`; one already revoked, `409`. Officials only.
#[utoipa::path(delete, path = "/me/shares/{id}", tag = "officials", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The link's id")),
    responses((status = 200, body = ShareLinkView), (status = "4XX", body = Problem)))]
pub async fn revoke_share(
    State(app): State<AppState>,
    sharer: Sharer,
    Path(id): Path<Uuid>,
) -> Result<Json<ShareLinkView>, ApiError> {
    let link = app.store.revoke_share_link(&sharer.0.actor(), sharer.official()?, id).await?;
    Ok(Json(ShareLinkView::at(link, OffsetDateTime::now_utc())))
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(post_share, list_shares)).routes(routes!(revoke_share))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_256_random_bits_in_the_shape_pages_accept() {
        let (first, second) = (mint_secret().unwrap(), mint_secret().unwrap());
        assert_ne!(first, second);
        assert!(is_secret(&first) && is_secret(&second), "{first}");
        assert_eq!(URL_SAFE_NO_PAD.decode(&first).unwrap().len(), 32);
        assert!(!is_secret("short") && !is_secret(&format!("{}!", &first[..42])));
        assert_eq!(secret_hash(&first).len(), 64);
    }

    #[test]
    fn a_share_body_reports_every_field_at_fault() {
        let body = |certificate: Option<&str>, days, label: Option<&str>| ShareBody {
            certificate: certificate.map(str::to_owned),
            days,
            label: label.map(str::to_owned),
        };
        let fields =
            |Invalid(errors)| errors.into_iter().map(|error| error.field).collect::<Vec<_>>();
        assert_eq!(fields(body(None, 0, None).parse().unwrap_err()), ["days"]);
        assert_eq!(fields(body(None, 31, Some("")).parse().unwrap_err()), ["days", "label"]);
        assert_eq!(fields(body(Some("HB-1"), 7, None).parse().unwrap_err()), ["certificate"]);
        let whole = body(Some(" "), 30, Some(" Vụ  Tổ chức ")).parse().unwrap();
        assert_eq!(whole.certificate, None);
        assert_eq!(whole.label.as_deref(), Some("Vụ Tổ chức"));
    }
}
