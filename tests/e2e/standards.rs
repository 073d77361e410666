//! Training standards: the rules, public; an official's compliance as of a date, read like the
//! record (the official, HR for its staff, the operator) and logged.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::agencies::agency_key;
use crate::completions::{completion, setting};
use crate::helpers::TestApp;
use crate::signin::id_token;

/// The official's requirement under `rule` in a compliance answer.
fn requirement<'a>(compliance: &'a Value, rule: &str) -> &'a Value {
    compliance["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|requirement| requirement["rule"]["id"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {compliance:#}"))
}

async fn the_rules_are_public_with_their_legal_basis(app: TestApp) {
    let rules = app.get("/api/v1/rules").await;
    assert_eq!(rules.status, StatusCode::OK, "{:#}", rules.body);
    let r145 = rules.body.as_array().unwrap().iter().find(|rule| rule["id"] == "R145-N3").unwrap();
    assert_eq!(
        (&r145["kind"], &r145["minimum_days"], &r145["any_of"], &r145["valid_from"]),
        (&json!("refresher"), &json!(7), &json!(["CNKT-145-N3"]), &json!("2024-05-10"))
    );
    assert!(r145["legal_basis"].as_str().unwrap().contains("Regulation 145-QĐ/TW"));
}

async fn compliance_counts_live_certificates_known_on_the_date(app: TestApp) {
    let s = setting(&app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    let id = s.official["id"].as_str().unwrap();
    let compliance = |as_of: &'static str| {
        let app = &app;
        async move {
            let uri = format!("/api/v1/officials/{id}/compliance?as_of={as_of}");
            let answer = app.get_as_admin(&uri).await;
            assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
            answer.body
        }
    };

    // A chuyên viên (01.003) needs the rank's state-management certificate from 2021-08-01;
    // the class ended on 2025-04-25.
    let before = compliance("2025-04-01").await;
    assert_eq!(requirement(&before, "RANK-CV")["status"], "missing");
    assert_eq!(before["all_met"], false);
    let after = compliance("2025-05-01").await;
    let rank = requirement(&after, "RANK-CV");
    assert_eq!(rank["status"], "met");
    assert_eq!(rank["satisfied_by"], json!([posted.body["completion"]["id"]]));
    assert_eq!(rank["days_counted"], 40);
    assert_eq!(after["all_met"], true);
    // Decree 171/2025 replaced the rank standard on 2025-07-01: no rule applies any more.
    assert_eq!(compliance("2025-08-01").await["requirements"], json!([]));

    // A correction stands in for the completion it supersedes, which no longer counts.
    let old_id = posted.body["completion"]["id"].as_str().unwrap();
    let correct = format!("/api/v1/completions/{old_id}/correct");
    let corrected = app.post_as(&s.token, &correct, &completion(&s.class)).await;
    assert_eq!(corrected.status, StatusCode::CREATED, "{:#}", corrected.body);
    let after_correction = compliance("2025-05-01").await;
    let rank = requirement(&after_correction, "RANK-CV");
    assert_eq!(rank["status"], "met");
    assert_eq!(rank["satisfied_by"], json!([corrected.body["completion"]["id"]]));
    assert_eq!(rank["days_counted"], 40, "the correction counted, the superseded one not");

    let number = corrected.body["certificate"]["number"].as_str().unwrap();
    app.revoke(number, json!({ "reason": "fraud" })).await;
    let revoked = compliance("2025-05-01").await;
    assert_eq!(requirement(&revoked, "RANK-CV")["status"], "missing");
    assert_eq!(requirement(&revoked, "RANK-CV")["satisfied_by"], json!([]));
}

async fn compliance_is_read_like_the_record_and_logged(app: TestApp) {
    let s = setting(&app).await;
    let id = s.official["id"].as_str().unwrap();
    let uri = format!("/api/v1/officials/{id}/compliance?as_of=2025-05-01");
    let (_, own_hr) = agency_key(&app, "G01.H29").await;
    let (_, other_hr) = agency_key(&app, "G01.H30").await;
    let as_official = id_token("001085012345");
    let stranger = app
        .register_official(&crate::helpers::official_body("001085054321", "Trần Văn Bình"))
        .await;
    let stranger_token = id_token("001085054321");
    let status = |token: Option<String>| {
        let (app, uri) = (&app, uri.clone());
        async move { app.request(Method::GET, &uri, token.as_deref(), None).await.status }
    };
    assert_eq!(status(Some(own_hr)).await, StatusCode::OK);
    assert_eq!(status(Some(as_official)).await, StatusCode::OK);
    assert_eq!(app.get_as_admin(&uri).await.status, StatusCode::OK);
    assert_eq!(status(Some(other_hr)).await, StatusCode::NOT_FOUND);
    assert_eq!(status(Some(stranger_token)).await, StatusCode::NOT_FOUND);
    assert_eq!(status(None).await, StatusCode::UNAUTHORIZED);
    assert!(stranger["id"].is_string());

    let reads = app.get_as_admin(&format!("/api/v1/officials/{id}/reads")).await;
    let purposes: Vec<&str> =
        reads.body.as_array().unwrap().iter().filter_map(|read| read["purpose"].as_str()).collect();
    let logged = purposes.iter().filter(|p| **p == "GET /api/v1/officials/{id}/compliance");
    assert_eq!(logged.count(), 3, "{purposes:?}");

    let bad = app.get_as_admin(&format!("/api/v1/officials/{id}/compliance?as_of=May")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{:#}", bad.body);
    assert!(bad.body.to_string().contains("as_of"), "{:#}", bad.body);
}

async fn a_change_of_law_is_a_new_rule_and_earlier_dates_keep_the_old_one(app: TestApp) {
    let mut body = crate::helpers::official_body("001085012345", "Nguyễn Văn An");
    body["employment"]["leadership_group"] = json!("N3");
    let official = app.register_official(&body).await;
    let id = official["id"].as_str().unwrap();
    // Regulation 145's 7 days become yearly from 2026-07-01: the term rule ends, a new one starts.
    let text = "R145-N3,refresher,group:N3,CNKT-145-N3,7,5y@2025-01-01,2024-05-10,2026-06-30,Reg. 145\n\
                R145-N3-Y,refresher,group:N3,CNKT-145-N3,7,1y@2026-01-01,2026-07-01,,Reg. 145";
    let rules = hocba_domain::parse_rules(text).unwrap();
    let loaded = app.store.load_rules(&hocba_store::Actor::System, &rules).await.unwrap();
    assert_eq!((loaded.added, loaded.updated), (1, 1));
    let listed = app.get("/api/v1/rules").await;
    let ended =
        listed.body.as_array().unwrap().iter().find(|rule| rule["id"] == "R145-N3").unwrap();
    assert_eq!(ended["valid_to"], "2026-06-30");

    let at = |as_of: &'static str| {
        let app = &app;
        async move {
            let uri = format!("/api/v1/officials/{id}/compliance?as_of={as_of}");
            app.get_as_admin(&uri).await.body
        }
    };
    let then = at("2026-03-01").await;
    assert_eq!(requirement(&then, "R145-N3")["period_to"], "2029-12-31");
    let now = at("2026-12-05").await;
    let yearly = requirement(&now, "R145-N3-Y");
    assert_eq!((&yearly["status"], &yearly["deadline"]), (&json!("due"), &json!("2026-12-31")));
    assert_eq!(yearly["days_needed"], 7);
    assert!(now["requirements"].as_array().unwrap().iter().all(|r| r["rule"]["id"] != "R145-N3"));
}

/// Each `hocba serve` process keeps the compliance it evaluated while the records are unchanged:
/// a completion posted, a certificate revoked, a transfer made or a rule changed through another
/// process on the same database shows in the next answer, and a kept answer is still read only
/// by those who may read the official today, each read logged.
async fn a_kept_answer_changes_at_once_with_a_change_through_another_process(app: TestApp) {
    let other = app.second_process().await;
    let s = setting(&app).await;
    let id = s.official["id"].as_str().unwrap();
    let uri = format!("/api/v1/officials/{id}/compliance?as_of=2025-05-01");
    async fn rank(app: &TestApp, uri: &str) -> String {
        let answer = app.get_as_admin(uri).await;
        assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
        requirement(&answer.body, "RANK-CV")["status"].as_str().unwrap().to_owned()
    }
    for _ in 0..2 {
        assert_eq!([rank(&app, &uri).await, rank(&other, &uri).await], ["missing", "missing"]);
    }
    let served = |app: &TestApp| {
        let served = &app.state.compliance.served;
        [served.kept(), served.fresh()]
    };
    assert_eq!([served(&app), served(&other)], [[1, 1], [1, 1]], "the second answer is kept");

    let posted = other.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    assert_eq!(rank(&app, &uri).await, "met", "posted through the other process");
    assert_eq!([rank(&app, &uri).await, rank(&other, &uri).await], ["met", "met"]);
    assert_eq!([served(&app), served(&other)], [[2, 2], [1, 2]], "afresh once, then kept");
    app.revoke(
        posted.body["certificate"]["number"].as_str().unwrap(),
        json!({ "reason": "fraud" }),
    )
    .await;
    assert_eq!(rank(&other, &uri).await, "missing", "revoked through the first process");

    let (_, old_hr) = agency_key(&app, "G01.H29").await;
    let (_, new_hr) = agency_key(&app, "G01.H30").await;
    let read_as = |token: &str| {
        let (app, uri, token) = (&app, uri.clone(), token.to_owned());
        async move { app.request(Method::GET, &uri, Some(&token), None).await.status }
    };
    assert_eq!(read_as(&old_hr).await, StatusCode::OK);
    assert_eq!(read_as(&new_hr).await, StatusCode::NOT_FOUND, "not on its staff, kept or not");
    let mut next =
        crate::helpers::official_body("001085012345", "Nguyễn Văn An")["employment"].clone();
    next["agency_code"] = json!("G01.H30");
    next["valid_from"] = json!("2024-01-01");
    let period = s.official["employments"][0]["id"].clone();
    let transfer = json!({ "employment_id": period, "valid_to": "2023-10-31", "employment": next });
    let moved = other.post(&format!("/api/v1/officials/{id}/transfers"), &transfer).await;
    assert_eq!(moved.status, StatusCode::CREATED, "{:#}", moved.body);
    assert_eq!(read_as(&old_hr).await, StatusCode::NOT_FOUND, "transferred away");
    assert_eq!(read_as(&new_hr).await, StatusCode::OK);

    // A rule changed in place by a rules file loaded through the other process (its days, its
    // dates: here the rank standard ends before the day asked about).
    let shipped = hocba_domain::parse_rules(hocba_domain::RULES_FILE).unwrap();
    let mut ended = shipped.into_iter().find(|rule| rule.id == "RANK-CV").unwrap();
    ended.validity.to = Some(time::macros::date!(2025 - 04 - 30));
    other.store.load_rules(&hocba_store::Actor::System, &[ended]).await.unwrap();
    let answer = app.get_as_admin(&uri).await.body;
    let rules: Vec<&Value> = answer["requirements"].as_array().unwrap().iter().collect();
    assert!(rules.iter().all(|r| r["rule"]["id"] != "RANK-CV"), "{answer:#}");

    let reads = app.get_as_admin(&format!("/api/v1/officials/{id}/reads")).await;
    let purposes = reads.body.as_array().unwrap().iter().map(|read| &read["purpose"]);
    let logged = purposes.filter(|p| *p == "GET /api/v1/officials/{id}/compliance").count();
    assert_eq!(logged, 4 + 3 + 1 + 2 + 1, "every answer given is logged, kept or not");
}

/// The records' epoch, under which each process keeps compliance answers: a read, though logged,
/// leaves it as it is; a change of a record moves it on, and so does a rule that a new release
/// ships, which the release adds at its start without an audit event.
async fn the_records_epoch_moves_with_a_change_not_with_a_read(app: TestApp) {
    let s = setting(&app).await;
    let id = s.official["id"].as_str().unwrap();
    let before = app.store.records_epoch().await.unwrap();
    let answer = app.get_as_admin(&format!("/api/v1/officials/{id}/compliance")).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    assert_eq!(app.store.records_epoch().await.unwrap(), before, "a read changes no record");

    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    let posted = app.store.records_epoch().await.unwrap();
    assert_ne!(posted, before);

    // A release that ships R145-N3 finds it missing: its start adds it back, with no event.
    let db = sea_orm::Database::connect(app.database_url()).await.unwrap();
    let forgotten = "DELETE FROM requirement_rules WHERE id = 'R145-N3'";
    sea_orm::ConnectionTrait::execute_unprepared(&db, forgotten).await.unwrap();
    let without = app.store.records_epoch().await.unwrap();
    app.store.migrate().await.unwrap();
    let rules = app.get("/api/v1/rules").await.body;
    assert!(rules.as_array().unwrap().iter().any(|rule| rule["id"] == "R145-N3"));
    assert_ne!(app.store.records_epoch().await.unwrap(), without);
}

on_both_backends!(
    the_records_epoch_moves_with_a_change_not_with_a_read,
    a_kept_answer_changes_at_once_with_a_change_through_another_process,
    a_change_of_law_is_a_new_rule_and_earlier_dates_keep_the_old_one,
    the_rules_are_public_with_their_legal_basis,
    compliance_counts_live_certificates_known_on_the_date,
    compliance_is_read_like_the_record_and_logged,
);
