//! Extractors whose rejections are [`ApiError`]s, so that every malformed request gets
//! problem+json naming the field, never axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::ApiError;
use crate::shape::Finding;

/// A JSON body. Unknown fields, wrong types and missing fields are reported with their path.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + ToSchema> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_body(request, state).await?;
        parse_json(&bytes).map(Json)
    }
}

/// A JSON body with the SHA-256 (hex) of its bytes, to recognise a retried request.
pub struct DigestedJson<T> {
    /// The body.
    pub value: T,
    /// SHA-256 of the body as sent.
    pub digest: String,
}

impl<S: Send + Sync, T: DeserializeOwned + ToSchema> FromRequest<S> for DigestedJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_body(request, state).await?;
        let digest = crate::auth::sha256_hex(&bytes);
        Ok(DigestedJson { value: parse_json(&bytes)?, digest })
    }
}

/// A JSON body kept as sent and parsed on demand, for a handler that may find its answer by the
/// bytes alone (a verdict kept for the same request) without parsing them again.
pub struct JsonBytes(Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        json_body(request, state).await.map(JsonBytes)
    }
}

impl JsonBytes {
    /// The body as sent.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The body as `T`, refused as [`Json`] refuses it.
    pub fn parse<T: DeserializeOwned + ToSchema>(&self) -> Result<T, ApiError> {
        parse_json(&self.0)
    }
}

/// The bytes of an `application/json` body within the route's size limit.
async fn json_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim();
            mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
        });
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    Bytes::from_request(request, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::MalformedBody {
                field: None,
                reason: rejection.body_text(),
                status: StatusCode::BAD_REQUEST,
            }
        }
    })
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Deserializes `bytes`; JSON of the wrong shape is refused with every field at fault.
pub(crate) fn parse_json<T: DeserializeOwned + ToSchema>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let first = shape_error(&path, &strip_position(&inner.to_string()));
                // The body is JSON (serde refused its shape, not its syntax) unless a syntax
                // error lies past the field refused: then that one field is all there is.
                match serde_json::from_slice::<serde_json::Value>(bytes) {
                    Ok(body) => every_shape_error::<T>(&body, first),
                    Err(_) => first,
                }
            }
            // Syntax errors are serde_json's own fixed sentences ("expected value"): no value.
            _ => ApiError::MalformedBody {
                field: None,
                reason: strip_position(&inner.to_string()),
                status: StatusCode::BAD_REQUEST,
            },
        }
    })?;
    deserializer.end().map_err(|error| ApiError::MalformedBody {
        field: None,
        reason: strip_position(&error.to_string()),
        status: StatusCode::BAD_REQUEST,
    })?;
    Ok(value)
}

/// Deserializes one already-parsed JSON value (a row of a batch), naming every field at fault.
pub(crate) fn parse_value<T: DeserializeOwned + ToSchema>(
    value: serde_json::Value,
) -> Result<T, ApiError> {
    let checked = value.clone();
    serde_path_to_error::deserialize(value).map_err(|error| {
        let first = shape_error(&error.path().to_string(), &error.into_inner().to_string());
        every_shape_error::<T>(&checked, first)
    })
}

/// `first`, serde's finding, with every other field of `body` at fault (see [`crate::shape`]).
/// serde's words win for a field both name: they know the Rust type (`u8`'s upper bound).
fn every_shape_error<T: ToSchema>(body: &serde_json::Value, first: ApiError) -> ApiError {
    let ApiError::MalformedBody { field: Some(field), reason, status } = first else {
        return first;
    };
    let mut findings = crate::shape::findings::<T>(body);
    match findings.iter_mut().find(|finding| finding.field == field) {
        Some(same) => same.reason = reason,
        None => findings.insert(0, Finding { field, reason }),
    }
    if let [only] = findings.as_slice() {
        let Finding { field, reason } = only.clone();
        return ApiError::MalformedBody { field: Some(field), reason, status };
    }
    ApiError::WrongShape(findings)
}

/// JSON of the wrong shape at `path`, as serde described it in `message`.
fn shape_error(path: &str, message: &str) -> ApiError {
    let complaint = Complaint::of(message, "is not a field of this request");
    ApiError::MalformedBody {
        field: complaint.field(path),
        reason: complaint.reason,
        status: StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// What serde found wrong with a value, in words that never quote the value sent.
///
/// serde's messages repeat what they refused ("invalid type: integer `35065100000`, expected a
/// string"), and the value may be personal: a national ID number sent as a number, a date of
/// birth, a gender. docs/api.md promises that rejected values are never echoed, so each kind
/// of message is rewritten to name only what was expected; a message of no known kind gets a
/// fixed sentence.
struct Complaint {
    /// A field serde names only in its message (a missing one), not in the path.
    named: Option<String>,
    /// What is wrong, without the value.
    reason: String,
}

impl Complaint {
    /// `unknown` is what to say of a field (or parameter) the request does not have: its name
    /// is in the path already, so the reason does not repeat it.
    fn of(message: &str, unknown: &str) -> Complaint {
        let reason = |reason: &str| Complaint { named: None, reason: reason.to_owned() };
        let named = |rest: &str, reason: &str| Complaint {
            named: rest.split('`').next().map(str::to_owned),
            reason: reason.to_owned(),
        };
        // The expected part comes last and from our own types, so it is split off from the
        // right: a value that itself holds ", expected " cannot move the split into itself.
        let expecting = |fallback: &str| match message.rsplit_once(", expected ") {
            Some((_, wanted)) => reason(&format!("expected {}", expected(wanted))),
            None => reason(fallback),
        };
        if let Some(rest) = message.strip_prefix("missing field `") {
            named(rest, "is required")
        } else if let Some(rest) = message.strip_prefix("duplicate field `") {
            named(rest, "is given more than once")
        } else if message.starts_with("unknown field `") {
            reason(unknown)
        } else if message.starts_with("unknown variant `") {
            expecting("is not one of the accepted values")
        } else if ["invalid type: ", "invalid value: ", "invalid length "]
            .iter()
            .any(|kind| message.starts_with(kind))
        {
            expecting("has the wrong type")
        } else if message.starts_with("UUID parsing failed") {
            reason("expected a UUID")
        } else if TIME_MESSAGES.iter().any(|fragment| message.contains(fragment)) {
            reason("expected a date (YYYY-MM-DD)")
        } else if INTEGER_MESSAGES.contains(&message) {
            reason("expected a whole number")
        } else {
            reason("is not a valid value for this field")
        }
    }

    /// The field's path: `path` (serde's, `.` at the top), with the field the message names.
    fn field(&self, path: &str) -> Option<String> {
        let parent = (path != ".").then_some(path);
        match (parent, &self.named) {
            (Some(parent), Some(name)) => Some(format!("{parent}.{name}")),
            (None, Some(name)) => Some(name.clone()),
            (parent, None) => parent.map(str::to_owned),
        }
    }
}

/// serde's name of an expected type, in words for an integrator.
fn expected(wanted: &str) -> String {
    let words = match wanted {
        "a `Date`" => "a date (YYYY-MM-DD)",
        "u8" => "a whole number from 0 to 255",
        "u16" => "a whole number from 0 to 65535",
        "u32" => "a whole number from 0 to 4294967295",
        "u64" | "usize" => "a whole number from 0",
        "i8" | "i16" | "i32" | "i64" => "a whole number",
        "f32" | "f64" => "a number",
        struct_name if struct_name.starts_with("struct ") => "an object",
        other => other,
    };
    words.to_owned()
}

/// Fragments of the `time` crate's messages for a date string it cannot parse
/// (`time::error::Parse`), which a `Date` field's serde error is made of.
const TIME_MESSAGES: [&str; 5] = [
    "component could not be parsed",
    "a character literal was not valid",
    "unexpected trailing characters",
    "was not in range",
    "did not include enough information",
];

/// The standard library's messages for a query parameter that is not an integer.
const INTEGER_MESSAGES: [&str; 4] = [
    "invalid digit found in string",
    "cannot parse integer from empty string",
    "number too large to fit in target type",
    "number too small to fit in target type",
];

/// serde_json's message without the " at line L column C" it ends with.
fn strip_position(message: &str) -> String {
    let position = |tail: &str| {
        tail.split_once(" column ").is_some_and(|(line, column)| {
            [line, column].iter().all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    match message.rsplit_once(" at line ") {
        Some((message, tail)) if position(tail) => message.to_owned(),
        _ => message.to_owned(),
    }
}

/// A path parameter (a record id).
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let rejection = match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => return Ok(Path(value)),
            Err(rejection) => rejection,
        };
        let keyed = match &rejection {
            PathRejection::FailedToDeserializePathParams(error) => match error.kind() {
                ErrorKind::ParseErrorAtKey { key, .. }
                | ErrorKind::InvalidUtf8InPathParam { key } => Some(key.clone()),
                _ => None,
            },
            _ => None,
        };
        let field = match keyed {
            Some(key) => key,
            // A lone parameter is parsed without its key; name it from the route.
            None => match RawPathParams::from_request_parts(parts, state).await {
                Ok(params) if params.iter().count() == 1 => {
                    params.iter().map(|(key, _)| key.to_owned()).collect()
                }
                _ => "path".to_owned(),
            },
        };
        // axum's message quotes the value, which may be personal (a national ID number put
        // where an id goes); every typed path parameter is an id.
        let reason = match &rejection {
            PathRejection::FailedToDeserializePathParams(error)
                if matches!(error.kind(), ErrorKind::InvalidUtf8InPathParam { .. }) =>
            {
                "is not valid UTF-8"
            }
            _ => "is not a valid id",
        };
        Err(ApiError::BadParameter { field, reason: reason.to_owned() })
    }
}

/// Query parameters.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(Query).map_err(|error| {
            let path = error.path().to_string();
            let complaint = Complaint::of(
                &error.into_inner().to_string(),
                "is not a parameter of this request",
            );
            ApiError::BadParameter {
                field: complaint.field(&path).unwrap_or_else(|| "query".to_owned()),
                reason: complaint.reason,
            }
        })
    }
}

/// Reads a day asked about (a query's `on`, `as_of`, …, the officials search's `on`) as the
/// registry's days go ([`hocba_domain::dates::held`]): PostgreSQL answered 500 for `-9999-01-01`.
pub(crate) fn registry_day<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<time::Date>, D::Error> {
    match Option::<time::Date>::deserialize(deserializer)? {
        Some(day) => hocba_domain::dates::held(day).map(Some).ok_or_else(|| {
            serde::de::Error::invalid_value(
                serde::de::Unexpected::Other("a day before 1900"),
                &"a date from 1900-01-01 on (YYYY-MM-DD)",
            )
        }),
        None => Ok(None),
    }
}

/// The largest page a list returns.
pub const MAX_PAGE: u64 = 200;
const DEFAULT_PAGE: u64 = 50;

/// Which page of a list to return.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Opaque cursor from the previous page's `next_cursor`.
    // The pattern of what `PageOf::from_page` encodes, here and in each list's parameters: 16
    // bytes in unpadded base64url, 21 characters and one whose last four bits are zero.
    #[param(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

impl PageParams {
    /// Decodes the cursor and checks the limit.
    pub fn request(&self) -> Result<hocba_store::PageRequest, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ApiError::BadParameter {
                field: "limit".to_owned(),
                reason: format!("must be between 1 and {MAX_PAGE}"),
            });
        }
        let after = self.cursor.as_deref().map(decode_cursor).transpose()?;
        Ok(hocba_store::PageRequest { after, limit })
    }
}

fn decode_cursor(cursor: &str) -> Result<Uuid, ApiError> {
    let bad = || ApiError::BadParameter {
        field: "cursor".to_owned(),
        reason: "is not a cursor this API returned".to_owned(),
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    Uuid::from_slice(&bytes).map_err(|_| bad())
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageOf<T> {
    /// The records, oldest first.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> PageOf<T> {
    /// Converts a store page, encoding its cursor.
    pub fn from_page<R>(page: hocba_store::Page<R>, view: impl FnMut(R) -> T) -> Self {
        PageOf {
            items: page.items.into_iter().map(view).collect(),
            next_cursor: page.next.map(|id| URL_SAFE_NO_PAD.encode(id.as_bytes())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Inner,
    }

    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        count: u8,
    }

    fn field(body: &str) -> (Option<String>, StatusCode) {
        match parse_json::<Outer>(body.as_bytes()) {
            Err(ApiError::MalformedBody { field, status, .. }) => (field, status),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn names_nested_fields_of_the_wrong_type() {
        assert_eq!(
            field(r#"{"name":"a","inner":{"count":"x"}}"#),
            (Some("inner.count".into()), StatusCode::UNPROCESSABLE_ENTITY)
        );
    }

    #[test]
    fn names_missing_and_unknown_fields() {
        assert_eq!(field(r#"{"inner":{"count":1}}"#).0.as_deref(), Some("name"));
        assert_eq!(
            field(r#"{"name":"a","inner":{"count":1,"extra":2}}"#).0.as_deref(),
            Some("inner.extra")
        );
    }

    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Person {
        national_id: String,
        date_of_birth: time::Date,
        gender: hocba_domain::Gender,
        days: Option<u16>,
        class_id: Option<Uuid>,
    }

    /// The field and reason of a refused `Person`, checking the value sent is not in them.
    fn refusal(body: &str, sent: &str) -> (Option<String>, String) {
        let error = parse_json::<Person>(body.as_bytes()).expect_err("refused");
        let problem = serde_json::to_string(&error.problem()).expect("json");
        assert!(!problem.contains(sent), "{sent} echoed in {problem}");
        match error {
            ApiError::MalformedBody { field, reason, .. } => (field, reason),
            other => panic!("unexpected {other:?}"),
        }
    }

    const PERSON: &str =
        r#""national_id":"001085012345","date_of_birth":"1985-03-14","gender":"male""#;

    #[test]
    fn values_of_the_wrong_type_are_not_echoed() {
        let number = r#"{"national_id":35065100000,"date_of_birth":"1985-03-14","gender":"male"}"#;
        assert_eq!(
            refusal(number, "35065100000"),
            (Some("national_id".into()), "expected a string".into())
        );
        let date = r#"{"national_id":"001085012345","date_of_birth":19850314,"gender":"male"}"#;
        assert_eq!(
            refusal(date, "19850314"),
            (Some("date_of_birth".into()), "expected a date (YYYY-MM-DD)".into())
        );
        let date = r#"{"national_id":"001085012345","date_of_birth":"1985-13-14","gender":"male"}"#;
        assert_eq!(refusal(date, "1985-13").1, "expected a date (YYYY-MM-DD)");
        let gender =
            r#"{"national_id":"001085012345","date_of_birth":"1985-03-14","gender":"nam"}"#;
        assert_eq!(refusal(gender, "nam").1, "expected `male` or `female`");
        let days = format!(r#"{{{PERSON},"days":123456}}"#);
        assert_eq!(refusal(&days, "123456").1, "expected a whole number from 0 to 65535");
        let id = format!(r#"{{{PERSON},"class_id":"001085012345"}}"#);
        assert_eq!(
            refusal(&id, "001085012345\""),
            (Some("class_id".into()), "expected a UUID".into())
        );
    }

    #[test]
    fn unknown_fields_are_named_by_their_path_only() {
        let unknown = format!(r#"{{{PERSON},"họ_tên":"Nguyễn Văn An"}}"#);
        let (field, reason) = refusal(&unknown, "Nguyễn");
        assert_eq!(field.as_deref(), Some("họ_tên"));
        assert_eq!(reason, "is not a field of this request");
        let missing = every_refusal(r#"{"national_id":"001085012345"}"#);
        let required = |field: &str| (field.to_owned(), "is required".to_owned());
        assert_eq!(missing, [required("date_of_birth"), required("gender")]);
        let twice = format!(r#"{{{PERSON},"national_id":"079085012345"}}"#);
        let (field, reason) = refusal(&twice, "079085012345");
        assert_eq!(
            (field.as_deref(), reason.as_str()),
            (Some("national_id"), "is given more than once")
        );
    }

    /// Field and reason of each shape error of a refused `Person`.
    fn every_refusal(body: &str) -> Vec<(String, String)> {
        match parse_json::<Person>(body.as_bytes()).expect_err("refused") {
            ApiError::WrongShape(findings) => {
                findings.into_iter().map(|finding| (finding.field, finding.reason)).collect()
            }
            other => panic!("one error only: {other:?}"),
        }
    }

    #[test]
    fn every_shape_error_is_reported_at_once() {
        let body = r#"{"national_id":35065100000,"gender":"nam","days":"ten","extra":"Lê Thị Hoa",
            "class_id":"19850314"}"#;
        let found = every_refusal(body);
        let text = format!("{found:?}");
        for sent in ["35065100000", "nam\"", "ten", "Lê Thị", "19850314"] {
            assert!(!text.contains(sent), "{sent} echoed in {text}");
        }
        let expected = [
            ("national_id", "expected a string"),
            ("gender", "expected `male` or `female`"),
            // The schema knows the lower bound only; serde's words are kept for its own finding.
            ("days", "expected a whole number from 0"),
            ("extra", "is not a field of this request"),
            ("class_id", "expected a UUID"),
            ("date_of_birth", "is required"),
        ];
        let mut found = found;
        found.sort();
        let mut expected: Vec<(String, String)> =
            expected.iter().map(|(f, r)| ((*f).to_owned(), (*r).to_owned())).collect();
        expected.sort();
        assert_eq!(found, expected);
    }

    #[test]
    fn nested_shape_errors_are_reported_with_their_path() {
        let found = match parse_json::<Outer>(br#"{"inner":{"count":"x","more":1}}"#) {
            Err(ApiError::WrongShape(findings)) => findings,
            other => panic!("unexpected {other:?}"),
        };
        let fields: Vec<&str> = found.iter().map(|finding| finding.field.as_str()).collect();
        assert_eq!(fields, ["inner.count", "inner.more", "name"]);
    }

    #[test]
    fn broken_json_is_a_bad_request() {
        assert_eq!(field(r#"{"name":"#).1, StatusCode::BAD_REQUEST);
        assert_eq!(
            field(r#"{"name":"a","inner":{"count":1}} trailing"#).1,
            StatusCode::BAD_REQUEST
        );
    }
}
