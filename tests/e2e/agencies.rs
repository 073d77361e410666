//! HR departments' API keys: an agency reads its own staff's records and certificates, nobody
//! else's, and writes nothing.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::completions::{completion, setting};
use crate::helpers::{TestApp, official_body};

const AGENCY: &str = "G01.H29";

/// A key for `agency`'s HR department: its id and the bearer token.
pub(crate) async fn agency_key(app: &TestApp, agency: &str) -> (String, String) {
    let created =
        app.post(&format!("/api/v1/agencies/{agency}/keys"), &json!({ "label": "HR" })).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
    assert_eq!(created.body["agency_code"], agency);
    let token = created.body["token"].as_str().unwrap().to_owned();
    (created.body["id"].as_str().unwrap().to_owned(), token)
}

/// An official of another agency (a district People's Committee's office).
fn elsewhere(national_id: &str, full_name: &str) -> Value {
    let mut body = official_body(national_id, full_name);
    body["employment"]["agency_code"] = json!("G01.H30");
    body["employment"]["agency_name"] = json!("Sở Tài chính Hà Nội");
    body
}

async fn an_hr_key_reads_its_own_staff_and_nobody_else(app: TestApp) {
    let staff = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let stranger = app.register_official(&elsewhere("001085054321", "Trần Văn Bình")).await;
    let (staff_id, stranger_id) = (staff["id"].as_str().unwrap(), stranger["id"].as_str().unwrap());
    let (key_id, token) = agency_key(&app, AGENCY).await;

    let me = app.request(Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_eq!(
        (me.body["role"].as_str(), me.body["agency_code"].as_str()),
        (Some("agency"), Some(AGENCY))
    );
    let listed = app.get_as_admin(&format!("/api/v1/agencies/{AGENCY}/keys")).await;
    assert_eq!(listed.body[0]["id"], key_id.as_str());
    assert!(!listed.body.to_string().contains(&token), "the key is never shown again");

    let read = |uri: String| {
        let token = token.clone();
        let app = &app;
        async move { app.request(Method::GET, &uri, Some(&token), None).await }
    };
    let record = read(format!("/api/v1/officials/{staff_id}")).await;
    assert_eq!(record.status, StatusCode::OK, "{:#}", record.body);
    assert_eq!(record.body["national_id"], "001085012345");
    let certificates = read(format!("/api/v1/officials/{staff_id}/certificates")).await;
    assert_eq!(certificates.body, json!([]));
    let lookup = json!({ "national_id": "001085012345" });
    let found = app.post_as(&token, "/api/v1/officials/lookup", &lookup).await;
    assert_eq!(found.body["id"], staff_id);

    // Someone the agency does not employ does not exist, as far as its key can tell.
    read(format!("/api/v1/officials/{stranger_id}"))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    read(format!("/api/v1/officials/{stranger_id}/certificates"))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    app.post_as(&token, "/api/v1/officials/lookup", &json!({ "national_id": "001085054321" }))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    // Its searches list its own staff of today.
    let search = app.post_as(&token, "/api/v1/officials/search", &json!({})).await;
    let ids: Vec<&Value> =
        search.body["items"].as_array().unwrap().iter().map(|o| &o["id"]).collect();
    assert_eq!(ids, [&json!(staff_id)]);
    app.post_as(&token, "/api/v1/officials/search", &json!({ "agency_code": "G01.H30" }))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // Each read is in the official's log, naming the agency; refused reads read nothing.
    let reads = app.get_as_admin(&format!("/api/v1/officials/{staff_id}/reads")).await;
    let readers: Vec<&str> =
        reads.body.as_array().unwrap().iter().map(|r| r["reader"].as_str().unwrap()).collect();
    let reader = format!("agency:{AGENCY}/{key_id}");
    assert_eq!(readers, [reader.as_str(); 3]);
    // Named as people would: the agency's name and the key's label, the raw id kept beside.
    let first = &reads.body[0];
    let named = (&first["reader_kind"], &first["reader_name"], &first["key_label"]);
    assert_eq!(named, (&json!("agency"), &json!("Sở Nội vụ thành phố Hà Nội"), &json!("HR")));
    assert_eq!(first["own_read"], false);
    let reads = app.get_as_admin(&format!("/api/v1/officials/{stranger_id}/reads")).await;
    assert_eq!(reads.body, json!([]));

    // The operator revokes the key: it stops working at once.
    let revoked =
        app.post(&format!("/api/v1/agencies/{AGENCY}/keys/{key_id}/revoke"), &json!({})).await;
    assert_eq!(revoked.status, StatusCode::OK, "{:#}", revoked.body);
    assert!(revoked.body["revoked_at"].is_string());
    read(format!("/api/v1/officials/{staff_id}"))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    let again =
        app.post(&format!("/api/v1/agencies/{AGENCY}/keys/{key_id}/revoke"), &json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // Another agency's code does not reach this key.
    let other =
        app.post(&format!("/api/v1/agencies/G01.H30/keys/{key_id}/revoke"), &json!({})).await;
    other.assert_problem(StatusCode::NOT_FOUND, "not-found");
}

/// What an HR key sees of an official: the record, their certificates, a lookup by ID number,
/// and whether its search lists them; each a status code (the search: whether it lists them).
async fn seen_by(app: &TestApp, token: &str, id: &str) -> [StatusCode; 4] {
    let record = format!("/api/v1/officials/{id}");
    let record = app.request(Method::GET, &record, Some(token), None).await;
    let certificates = format!("/api/v1/officials/{id}/certificates");
    let certificates = app.request(Method::GET, &certificates, Some(token), None).await;
    let lookup = json!({ "national_id": "001085012345" });
    let lookup = app.post_as(token, "/api/v1/officials/lookup", &lookup).await;
    let search = app.post_as(token, "/api/v1/officials/search", &json!({})).await;
    assert_eq!(search.status, StatusCode::OK, "{:#}", search.body);
    let listed = search.body["items"].as_array().unwrap().iter().any(|o| o["id"] == id);
    let listed = if listed { StatusCode::OK } else { StatusCode::NOT_FOUND };
    [record.status, certificates.status, lookup.status, listed]
}

const SEEN: [StatusCode; 4] = [StatusCode::OK; 4];
const UNSEEN: [StatusCode; 4] = [StatusCode::NOT_FOUND; 4];

/// The period at G01.H30 that a transfer from G01.H29 starts on `valid_from`.
fn at_the_finance_department(valid_from: &str) -> Value {
    json!({
        "agency_code": "G01.H30",
        "agency_name": "Sở Tài chính Hà Nội",
        "level": "province",
        "rank_code": "01.003",
        "valid_from": valid_from
    })
}

/// An official at [`AGENCY`], with an HR key of that agency and one of the finance department.
async fn official_and_keys(app: &TestApp) -> (Value, String, String) {
    let official = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let (_, old) = agency_key(app, AGENCY).await;
    let (_, new) = agency_key(app, "G01.H30").await;
    (official, old, new)
}

async fn a_transferred_official_is_invisible_to_the_agency_they_left(app: TestApp) {
    let (official, old, new) = official_and_keys(&app).await;
    let id = official["id"].as_str().unwrap();
    let period = official["employments"][0]["id"].as_str().unwrap();
    assert_eq!(seen_by(&app, &old, id).await, SEEN);
    assert_eq!(seen_by(&app, &new, id).await, UNSEEN);

    // Transferred on 1 January 2024: the old post ended the day before.
    let transfer =
        json!({ "employment_id": period, "employment": at_the_finance_department("2024-01-01") });
    let moved = app.post(&format!("/api/v1/officials/{id}/transfers"), &transfer).await;
    assert_eq!(moved.status, StatusCode::CREATED, "{:#}", moved.body);
    let periods = moved.body["employments"].as_array().unwrap();
    let spans: Vec<_> =
        periods.iter().map(|p| (&p["agency_code"], &p["valid_from"], &p["valid_to"])).collect();
    assert_eq!(
        spans,
        [
            (&json!(AGENCY), &json!("2020-01-01"), &json!("2023-12-31")),
            (&json!("G01.H30"), &json!("2024-01-01"), &Value::Null)
        ]
    );
    assert_eq!(periods[0]["supersedes"], period);
    let replaced = &moved.body["superseded_employments"];
    assert_eq!(replaced.as_array().map(Vec::len), Some(1), "{replaced:#}");
    assert_eq!(
        (&replaced[0]["id"], &replaced[0]["superseded_by"]),
        (&json!(period), &periods[0]["id"])
    );
    assert_eq!(replaced[0]["valid_to"], Value::Null, "the old fact is kept as it was");

    assert_eq!(seen_by(&app, &old, id).await, UNSEEN, "the agency left reads nothing more");
    assert_eq!(seen_by(&app, &new, id).await, SEEN);
    let reads = app.get_as_admin(&format!("/api/v1/officials/{id}/reads")).await.body;
    let readers: Vec<_> = reads.as_array().unwrap().iter().map(|r| &r["reader"]).collect();
    assert_eq!(readers.len(), 6, "three reads before the transfer, three after: {reads:#}");

    // The operator still finds them at the old agency on a day of the old period.
    let back_then = json!({ "agency_code": AGENCY, "on": "2022-06-01" });
    let found = app.post("/api/v1/officials/search", &back_then).await;
    assert_eq!(found.body["items"][0]["id"], id, "{:#}", found.body);
    let trail = app.store.audit_trail("official", id).await.unwrap();
    let actions: Vec<_> = trail.iter().map(|event| event.action.as_str()).collect();
    assert_eq!(actions, ["official.created", "official.transferred"]);
    assert_eq!(trail[1].details["ended"]["supersedes"], period);
    assert_eq!(trail[1].details["started"]["employment_id"], periods[1]["id"]);
}

/// "Today" is the day in Vietnam: an official who moved today there is the new agency's to
/// read and no longer the old one's, at any hour (from 17:00 UTC, UTC's date is still the day
/// before).
async fn an_official_who_moved_today_in_vietnam_is_read_by_the_new_agency_only(app: TestApp) {
    let (official, old, new) = official_and_keys(&app).await;
    let id = official["id"].as_str().unwrap();
    let period = official["employments"][0]["id"].as_str().unwrap();
    let today = hocba_domain::vietnam_day(time::OffsetDateTime::now_utc()).to_string();
    let transfer =
        json!({ "employment_id": period, "employment": at_the_finance_department(&today) });
    let moved = app.post(&format!("/api/v1/officials/{id}/transfers"), &transfer).await;
    assert_eq!(moved.status, StatusCode::CREATED, "{:#}", moved.body);
    assert_eq!(seen_by(&app, &old, id).await, UNSEEN);
    assert_eq!(seen_by(&app, &new, id).await, SEEN);
}

/// An end on a day still to come keeps the agency reading until that day.
async fn an_agency_reads_its_official_until_the_last_day(app: TestApp) {
    let official = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let id = official["id"].as_str().unwrap();
    let period = official["employments"][0]["id"].as_str().unwrap();
    let (_, token) = agency_key(&app, AGENCY).await;
    let next_year = time::OffsetDateTime::now_utc().date() + time::Duration::days(366);
    let uri = format!("/api/v1/officials/{id}/employments/{period}/end");
    let ended = app.post(&uri, &json!({ "valid_to": next_year.to_string() })).await;
    assert_eq!(ended.status, StatusCode::OK, "{:#}", ended.body);
    assert_eq!(seen_by(&app, &token, id).await, SEEN);

    // A correction that ends the period in the past: gone at once.
    let corrected = ended.body["employments"][0]["id"].as_str().unwrap();
    let mut past = official["employments"][0].clone();
    for field in ["id", "recorded_at", "supersedes", "superseded_by"] {
        past.as_object_mut().unwrap().remove(field);
    }
    past["valid_to"] = json!("2023-12-31");
    let uri = format!("/api/v1/officials/{id}/employments/{corrected}/correct");
    let answer = app.post(&uri, &past).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
    assert_eq!(seen_by(&app, &token, id).await, UNSEEN);
}

async fn an_hr_key_writes_nothing(app: TestApp) {
    let s = setting(&app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    let completion_id = posted.body["completion"]["id"].as_str().unwrap();
    let number = posted.body["certificate"]["number"].as_str().unwrap();
    // The official works at the agency whose key this is: reading is allowed, writing is not.
    let (_, token) = agency_key(&app, AGENCY).await;
    let official = s.official["id"].as_str().unwrap();
    let period = s.official["employments"][0]["id"].as_str().unwrap();
    let period_body = at_the_finance_department("2020-01-01");

    let writes = [
        ("/api/v1/completions".to_owned(), completion(&s.class)),
        ("/api/v1/completions/batch".to_owned(), json!({ "rows": [completion(&s.class)] })),
        (format!("/api/v1/completions/{completion_id}/correct"), completion(&s.class)),
        (format!("/api/v1/certificates/{number}/revoke"), json!({ "reason": "issued_in_error" })),
        ("/api/v1/officials".to_owned(), elsewhere("001085054321", "Trần Văn Bình")),
        (format!("/api/v1/agencies/{AGENCY}/keys"), json!({ "label": "more" })),
        (
            format!("/api/v1/officials/{official}/employments/{period}/end"),
            json!({ "valid_to": "2023-12-31" }),
        ),
        (format!("/api/v1/officials/{official}/employments/{period}/correct"), period_body.clone()),
        (
            format!("/api/v1/officials/{official}/transfers"),
            json!({ "employment_id": period, "employment": at_the_finance_department("2024-01-01") }),
        ),
    ];
    for (uri, body) in writes {
        app.post_as(&token, &uri, &body).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    let verified = app.post("/api/v1/verify", &json!({ "number": number })).await;
    assert_eq!(
        verified.body["verified"], true,
        "the certificate is untouched: {:#}",
        verified.body
    );
    let certificates = app
        .request(
            Method::GET,
            &format!("/api/v1/officials/{}/certificates", s.official["id"].as_str().unwrap()),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(certificates.body.as_array().map(Vec::len), Some(1), "{:#}", certificates.body);
}

async fn an_agency_code_is_checked(app: TestApp) {
    let answer = app.post("/api/v1/agencies/not%20a%20code/keys", &json!({ "label": "HR" })).await;
    assert_eq!(answer.problem_fields(), ["code"]);
    let answer =
        app.post(&format!("/api/v1/agencies/{AGENCY}/keys"), &json!({ "label": "" })).await;
    assert_eq!(answer.problem_fields(), ["label"]);
}

/// An official registered at `agency` from 2020, with `national_id`.
fn at(agency: &str, national_id: &str) -> Value {
    let mut body = official_body(national_id, "Phạm Thị Lan");
    body["gender"] = json!("female");
    body["employment"]["agency_code"] = json!(agency);
    body
}

async fn the_directory_is_public_and_the_operator_adds_to_it(app: TestApp) {
    let all = app.get("/api/v1/agencies").await;
    assert_eq!(all.status, StatusCode::OK, "{:#}", all.body);
    let agencies = all.body.as_array().unwrap();
    let ministry = agencies.iter().find(|a| a["code"] == "G09").unwrap();
    assert_eq!((&ministry["name"], &ministry["level"]), (&json!("Bộ Nội vụ"), &json!("central")));
    let provinces_after_the_merger = app.get("/api/v1/agencies?on=2025-07-01").await.body;
    let tops = provinces_after_the_merger
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["level"] == "province" && a["parent_code"].is_null())
        .count();
    assert_eq!(tops, 34);
    let units = app.get("/api/v1/agencies?parent_code=G01.H29").await.body;
    let codes: Vec<&Value> = units.as_array().unwrap().iter().map(|a| &a["code"]).collect();
    assert_eq!(codes, [&json!("G01.H29.01"), &json!("G01.H29.03"), &json!("G01.H29.07")]);
    let one = app.get("/api/v1/agencies/G01.H29").await;
    assert_eq!(
        (&one.body["name"], &one.body["parent_code"]),
        (&json!("Sở Nội vụ thành phố Hà Nội"), &json!("T01"))
    );
    app.get("/api/v1/agencies/G99").await.assert_problem(StatusCode::NOT_FOUND, "not-found");

    let unit = json!({
        "code": "G01.H29.09", "name": "Phòng Công chức, viên chức", "parent_code": "G01.H29",
        "level": "province", "valid_from": "2026-01-01"
    });
    let anonymous =
        app.request(Method::POST, "/api/v1/agencies", None, Some(unit.to_string().into())).await;
    anonymous.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    let added = app.post("/api/v1/agencies", &unit).await;
    assert_eq!(added.status, StatusCode::CREATED, "{:#}", added.body);
    assert_eq!(
        app.get("/api/v1/agencies/G01.H29.09").await.body["name"],
        "Phòng Công chức, viên chức"
    );
    app.post("/api/v1/agencies", &unit)
        .await
        .assert_problem(StatusCode::CONFLICT, "already-exists");
    let mut orphan = unit.clone();
    orphan["code"] = json!("G77.H01");
    orphan["parent_code"] = json!("G77");
    let refused = app.post("/api/v1/agencies", &orphan).await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown-reference");
    assert_eq!(refused.problem_fields(), ["parent_code"]);
    let trail = app.store.audit_trail("agency", "G01.H29.09").await.unwrap();
    assert_eq!(trail.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["agency.created"]);
    // Loading the directory again (each start) keeps what the operator added.
    app.store.migrate().await.unwrap();
    assert_eq!(app.get("/api/v1/agencies/G01.H29.09").await.status, StatusCode::OK);
}

async fn employment_periods_name_agencies_of_the_directory(app: TestApp) {
    let unknown = app.post("/api/v1/officials", &at("G99.H01", "001185012345")).await;
    unknown.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown-reference");
    assert_eq!(unknown.problem_fields(), ["employment.agency_code"]);
    // Hà Nam's People's Committee ended with the province on 2025-06-30: an open period from
    // 2020 cannot be there; one that ends by then can.
    let merged = app.post("/api/v1/officials", &at("T35", "001185012345")).await;
    merged.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rule-violated");
    assert_eq!(merged.problem_fields(), ["employment.agency_code"]);
    let mut before_the_merger = at("T35", "001185012345");
    before_the_merger["employment"]["valid_to"] = json!("2025-06-30");
    let official = app.register_official(&before_the_merger).await;
    let id = official["id"].as_str().unwrap();
    let mut merged_open = at_the_finance_department("2020-01-01");
    merged_open["agency_code"] = json!("T35");
    let added = app.post(&format!("/api/v1/officials/{id}/employments"), &merged_open).await;
    added.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rule-violated");
    assert_eq!(added.problem_fields(), ["agency_code"]);
    let after = app
        .post(
            &format!("/api/v1/officials/{id}/employments"),
            &at_the_finance_department("2025-07-01"),
        )
        .await;
    assert_eq!(after.status, StatusCode::CREATED, "{:#}", after.body);

    // A transfer and a correction check the directory too.
    let official = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let id = official["id"].as_str().unwrap();
    let period = official["employments"][0]["id"].as_str().unwrap();
    let mut next = at_the_finance_department("2025-07-01");
    next["agency_code"] = json!("G99.H01");
    let transfer = json!({ "employment_id": period, "employment": next });
    let moved = app.post(&format!("/api/v1/officials/{id}/transfers"), &transfer).await;
    moved.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown-reference");
    assert_eq!(moved.problem_fields(), ["employment.agency_code"]);
    let mut corrected = at_the_finance_department("2020-01-01");
    corrected["agency_code"] = json!("G99.H01");
    let uri = format!("/api/v1/officials/{id}/employments/{period}/correct");
    let answer = app.post(&uri, &corrected).await;
    answer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown-reference");
    assert_eq!(answer.problem_fields(), ["agency_code"]);
    let fine =
        json!({ "employment_id": period, "employment": at_the_finance_department("2025-07-01") });
    let moved = app.post(&format!("/api/v1/officials/{id}/transfers"), &fine).await;
    assert_eq!(moved.status, StatusCode::CREATED, "{:#}", moved.body);
}

async fn a_key_is_for_an_agency_of_the_directory_and_may_cover_its_subunits(app: TestApp) {
    let refused = app.post("/api/v1/agencies/G99/keys", &json!({ "label": "HR" })).await;
    refused.assert_problem(StatusCode::NOT_FOUND, "not-found");
    let unit = app.register_official(&at("G01.H29.03", "001185012345")).await;
    let unit_id = unit["id"].as_str().unwrap();
    let (_, own_only) = agency_key(&app, AGENCY).await;
    assert_eq!(seen_by(&app, &own_only, unit_id).await, UNSEEN);

    let body = json!({ "label": "HR, with units", "include_subunits": true });
    let created = app.post(&format!("/api/v1/agencies/{AGENCY}/keys"), &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
    assert_eq!(created.body["include_subunits"], true);
    let wide = created.body["token"].as_str().unwrap();
    let lookup = json!({ "national_id": "001185012345" });
    assert_eq!(app.post_as(wide, "/api/v1/officials/lookup", &lookup).await.status, StatusCode::OK);
    let record =
        app.request(Method::GET, &format!("/api/v1/officials/{unit_id}"), Some(wide), None).await;
    assert_eq!(record.status, StatusCode::OK, "{:#}", record.body);
    let search = app.post_as(wide, "/api/v1/officials/search", &json!({})).await;
    assert_eq!(search.body["items"][0]["id"], unit_id, "{:#}", search.body);
    let listed = app.get_as_admin(&format!("/api/v1/agencies/{AGENCY}/keys")).await.body;
    let flags: Vec<&Value> =
        listed.as_array().unwrap().iter().map(|k| &k["include_subunits"]).collect();
    assert_eq!(flags, [&json!(false), &json!(true)]);
    // The operator's search counts sub-units when asked to.
    let by_agency = json!({ "agency_code": AGENCY, "include_subunits": true });
    let found = app.post("/api/v1/officials/search", &by_agency).await;
    assert_eq!(found.body["items"][0]["id"], unit_id, "{:#}", found.body);
    let found = app.post("/api/v1/officials/search", &json!({ "agency_code": AGENCY })).await;
    assert_eq!(found.body["items"], json!([]));
    // A key of a sub-unit reads nothing of its parent's staff.
    let staff = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    let (_, unit_key) = agency_key(&app, "G01.H29.03").await;
    assert_eq!(seen_by(&app, &unit_key, staff["id"].as_str().unwrap()).await, UNSEEN);
}

on_both_backends!(
    the_directory_is_public_and_the_operator_adds_to_it,
    employment_periods_name_agencies_of_the_directory,
    a_key_is_for_an_agency_of_the_directory_and_may_cover_its_subunits,
    an_hr_key_reads_its_own_staff_and_nobody_else,
    a_transferred_official_is_invisible_to_the_agency_they_left,
    an_official_who_moved_today_in_vietnam_is_read_by_the_new_agency_only,
    an_agency_reads_its_official_until_the_last_day,
    an_hr_key_writes_nothing,
    an_agency_code_is_checked,
);
