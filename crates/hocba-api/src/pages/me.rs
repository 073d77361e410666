//! `/me`: the signed-in person's own page.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::Response;
use hocba_store::Role;

use super::session::SignedIn;
use super::{Layout, Nav, page};

/// Which kind of account a page is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    Official,
    Agency,
    Operator,
}

#[derive(Template, WebTemplate)]
#[template(path = "me.html")]
struct MePage {
    layout: Layout,
    name: String,
    holder: Holder,
}

/// `GET /me`: who is signed in, and what they can do here.
pub(super) async fn get_page(signed_in: SignedIn) -> Response {
    let holder = match signed_in.principal.role() {
        Role::Official => Holder::Official,
        Role::Agency => Holder::Agency,
        _ => Holder::Operator,
    };
    let template =
        MePage { layout: signed_in.layout(Nav::Me), name: signed_in.name.clone(), holder };
    page(StatusCode::OK, template)
}
