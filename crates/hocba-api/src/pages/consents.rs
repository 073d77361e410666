//! The consents section of `/me`: the signed-in official lets a registered system (chosen by
//! name) read their record for a purpose and a period, sees their consents and where each
//! stands, and withdraws any at once. Every form carries the session's CSRF token; the API does
//! the same through `/api/v1/me/consents`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hocba_domain::{ConsentState, OfficialId, vietnam_day};
use hocba_store::StoreError;
use serde::Deserialize;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

pub(super) use super::problems::FieldProblem;
use super::session::{SignedIn, see_other};
use super::sign_in::form;
use super::stated::vietnamese_day;
use super::{PageError, Url};
use crate::auth::Sharer;
use crate::consents::{ConsentBody, grant};
use crate::{ApiError, AppState};

/// How many days a consent lasts unless the official chooses otherwise.
const DEFAULT_DAYS: i64 = 90;

/// One of the official's consents, as listed.
#[derive(Debug)]
pub(super) struct ConsentRow {
    pub id: String,
    pub client: String,
    pub purpose: String,
    pub from: String,
    pub until: String,
    pub state: &'static str,
    /// Whether it can still be withdrawn (live or not yet begun).
    pub withdrawable: bool,
}

/// A system the official may choose.
#[derive(Debug)]
pub(super) struct ClientChoice {
    pub id: String,
    pub name: String,
}

/// What was typed into the form, to show it again beside an error.
#[derive(Debug)]
pub(super) struct Entered {
    pub client_id: String,
    pub purpose: String,
    pub valid_from: String,
    pub valid_until: String,
}

impl Entered {
    /// An empty form: from today, for [`DEFAULT_DAYS`].
    pub(super) fn fresh(now: OffsetDateTime) -> Entered {
        let today = vietnam_day(now);
        Entered {
            client_id: String::new(),
            purpose: String::new(),
            valid_from: today.to_string(),
            valid_until: (today + Duration::days(DEFAULT_DAYS)).to_string(),
        }
    }
}

/// The form as posted, or as it starts.
#[derive(Debug)]
pub(super) struct ConsentForm {
    pub entered: Entered,
    pub problems: Vec<FieldProblem>,
}

impl ConsentForm {
    pub(super) fn fresh() -> ConsentForm {
        ConsentForm { entered: Entered::fresh(OffsetDateTime::now_utc()), problems: Vec::new() }
    }
}

/// What the section shows.
#[derive(Debug)]
pub(super) struct ConsentSection {
    pub rows: Vec<ConsentRow>,
    pub clients: Vec<ClientChoice>,
    pub form: ConsentForm,
    /// The latest last day the form accepts.
    pub latest: String,
    pub today: String,
}

impl ConsentSection {
    /// `official`'s consents and the systems they may choose, with the form as `form` says.
    pub(super) async fn load(
        app: &AppState,
        official: OfficialId,
        form: ConsentForm,
    ) -> Result<ConsentSection, ApiError> {
        let now = OffsetDateTime::now_utc();
        let rows = app
            .store
            .consents(official)
            .await?
            .into_iter()
            .map(|consent| {
                let state = consent.state(now);
                ConsentRow {
                    id: consent.id.to_string(),
                    client: consent.client_name,
                    purpose: consent.purpose,
                    from: vietnamese_day(consent.valid_from),
                    until: vietnamese_day(consent.valid_until),
                    state: state.as_str(),
                    withdrawable: matches!(state, ConsentState::Live | ConsentState::Pending),
                }
            })
            .collect();
        let clients = app
            .store
            .consent_clients()
            .await?
            .into_iter()
            .map(|client| ClientChoice { id: client.id.to_string(), name: client.name })
            .collect();
        let today = vietnam_day(now);
        let latest = today + Duration::days(hocba_domain::consent::MAX_CONSENT_DAYS);
        Ok(ConsentSection {
            rows,
            clients,
            form,
            latest: latest.to_string(),
            today: today.to_string(),
        })
    }

    /// Whether the form came back refused.
    pub(super) fn refused(&self) -> bool {
        !self.form.problems.is_empty()
    }

    /// Why `field` was refused, if it was.
    pub(super) fn problem(&self, field: &str) -> Option<&FieldProblem> {
        super::problems::problem(&self.form.problems, field)
    }
}

/// The grant form.
#[derive(Debug, Deserialize)]
struct GrantForm {
    csrf: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_until: String,
}

/// A date typed as a date field sends it (`2026-12-31`), or why it is not one.
fn day(field: &str, raw: &str, problems: &mut Vec<FieldProblem>) -> Option<Date> {
    let parsed = hocba_domain::dates::parse(raw.trim());
    if parsed.is_none() {
        problems.push(FieldProblem::not_a_date(field));
    }
    parsed
}

/// A system the form cannot give consent to: none chosen, or one that is not listed.
fn unlisted_system(field: &str) -> FieldProblem {
    let vi = "phải là một hệ thống trong danh sách";
    FieldProblem::new(field, vi, "must be one of the systems listed")
}

/// `POST /me/consents`: gives the consent and goes back to `/me`; or `/me` again with each
/// field's problem (422).
pub(super) async fn post_grant(
    State(app): State<AppState>,
    signed_in: SignedIn,
    body: Bytes,
) -> Result<Response, PageError> {
    let submitted: GrantForm = form(&body)?;
    signed_in.check_csrf(&submitted.csrf)?;
    let official = Sharer(signed_in.principal.clone());
    official.official()?;
    let entered = Entered {
        client_id: submitted.client_id,
        purpose: submitted.purpose,
        valid_from: submitted.valid_from,
        valid_until: submitted.valid_until,
    };
    let mut problems = Vec::new();
    let client_id = Uuid::parse_str(entered.client_id.trim()).ok();
    if client_id.is_none() {
        problems.push(unlisted_system("client_id"));
    }
    let valid_from = match entered.valid_from.trim() {
        "" => Some(None),
        raw => day("valid_from", raw, &mut problems).map(Some),
    };
    let valid_until = day("valid_until", &entered.valid_until, &mut problems);
    let purpose = entered.purpose.clone();
    let refused = |problems| {
        let form = ConsentForm { entered, problems };
        super::me::record_page_with(&app, &signed_in, StatusCode::UNPROCESSABLE_ENTITY, form)
    };
    let (Some(client_id), Some(valid_from), Some(valid_until)) =
        (client_id, valid_from, valid_until)
    else {
        return refused(problems).await;
    };
    let body = ConsentBody { client_id, purpose, valid_from, valid_until };
    match grant(&app, &official, body).await {
        Ok(_) => Ok(see_other(&Url::MeConsents.to_string())),
        Err(ApiError::Invalid(invalid)) => refused(FieldProblem::each(invalid)).await,
        Err(ApiError::Store(StoreError::UnknownReference { field, .. })) => {
            refused(vec![unlisted_system(field)]).await
        }
        Err(error) => Err(error.into()),
    }
}

/// The withdraw button's form.
#[derive(Debug, Deserialize)]
struct WithdrawForm {
    csrf: String,
}

/// `POST /me/consents/{id}/withdraw`: the consent's client reads nothing more under it, at
/// once; back to `/me`.
pub(super) async fn post_withdraw(
    State(app): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let WithdrawForm { csrf } = form(&body)?;
    signed_in.check_csrf(&csrf)?;
    let official = Sharer(signed_in.principal.clone()).official()?;
    let id = Uuid::parse_str(&id).map_err(|_| PageError::BadForm(StatusCode::NOT_FOUND))?;
    match app.store.withdraw_consent(&signed_in.principal.actor(), official, id).await {
        // Withdrawn twice (two tabs): it is withdrawn, which is what was asked.
        Ok(_) | Err(StoreError::Conflict { .. }) => Ok(see_other(&Url::MeConsents.to_string())),
        Err(error) => Err(ApiError::from(error).into()),
    }
}
