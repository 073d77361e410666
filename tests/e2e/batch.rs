//! A class posted at once: a result per row, per-row or all-or-nothing.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::completions::{completion, program_completion, setting};
use crate::helpers::{TestApp, official_body};

/// Registers `count` more officials born on 14 March 1985 and returns their national IDs.
async fn classmates(app: &TestApp, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..count {
        let national_id = format!("001085{:06}", 100_000 + n);
        app.register_official(&official_body(&national_id, "Trần Văn Bình")).await;
        ids.push(national_id);
    }
    ids
}

fn row(class: &Value, national_id: &str, name: &str) -> Value {
    let mut row = completion(class);
    row["national_id"] = json!(national_id);
    row["full_name"] = json!(name);
    row
}

async fn a_batch_reports_every_row_and_records_the_valid_ones(app: TestApp) {
    let s = setting(&app).await;
    let ids = classmates(&app, 30).await;
    let mut rows: Vec<Value> = ids.iter().map(|id| row(&s.class, id, "Tran Van Binh")).collect();
    rows[3]["full_name"] = json!("Trần Văn Bảo"); // not the registered name
    rows[7]["duration_days"] = json!("forty"); // malformed, twice over
    rows[7]["outcome"] = json!(7);
    rows.push(row(&s.class, &ids[0], "Trần Văn Bình")); // the same completion twice
    let answer = app.post_as(&s.token, "/api/v1/completions/batch", &json!({ "rows": rows })).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    assert_eq!(answer.body["accepted"], 28);
    assert_eq!(answer.body["rejected"], 3);
    let results = answer.body["rows"].as_array().unwrap();
    assert_eq!(results.len(), 31);
    assert_eq!(results[0]["status"], "accepted");
    assert!(results[0]["certificate_number"].as_str().unwrap().starts_with("HB-"));
    assert_eq!(results[3]["status"], "rejected");
    assert_eq!(results[3]["problem"]["code"], "identity-mismatch");
    assert_eq!(results[3]["problem"]["errors"][0]["field"], "national_id");
    let fields: Vec<&Value> =
        results[7]["problem"]["errors"].as_array().unwrap().iter().map(|e| &e["field"]).collect();
    assert_eq!(fields, [&json!("duration_days"), &json!("outcome")], "every shape error of a row");
    assert_eq!(results[30]["problem"]["code"], "duplicate-completion");
    // Every accepted row has its own certificate number and status slot.
    let numbers: std::collections::HashSet<_> =
        results.iter().filter_map(|r| r["certificate_number"].as_str()).collect();
    assert_eq!(numbers.len(), 28);
    // The class is one write, one audit event, naming each completion and certificate in order.
    let school = s.school["id"].as_str().unwrap();
    let trail = app.store.audit_trail("institution", school).await.unwrap();
    let posted: Vec<_> = trail.iter().filter(|e| e.action == "completions.posted").collect();
    assert_eq!(posted.len(), 1);
    let listed = posted[0].details["completions"].as_array().unwrap();
    let accepted: Vec<&Value> = results.iter().filter(|r| r["status"] == "accepted").collect();
    assert_eq!(listed.len(), accepted.len());
    for (event, result) in listed.iter().zip(&accepted) {
        assert_eq!(event["completion_id"], result["completion_id"]);
        assert_eq!(event["certificate"], result["certificate_number"]);
    }
    assert_eq!(app.store.verify_audit_chain().await.unwrap().first_broken, None);
    let verified =
        app.post("/api/v1/verify", &json!({ "number": results[29]["certificate_number"] })).await;
    assert_eq!(verified.body["verified"], true);
    // A class is signed with eddsa-jcs-2022 at posting; the eddsa-rdfc-2022 proof the
    // education wallets check is added when the certificate is served, the same every time.
    let path = format!("/api/v1/certificates/{}/credential", results[0]["certificate_number"]);
    let path = path.replace('"', "");
    let served = app.get(&path).await.body;
    let suites: Vec<&Value> =
        served["proof"].as_array().unwrap().iter().map(|proof| &proof["cryptosuite"]).collect();
    assert_eq!(suites, [&json!("eddsa-rdfc-2022"), &json!("eddsa-jcs-2022")]);
    assert_eq!(app.get(&path).await.body, served);
    let checked = app.post("/api/v1/verify", &json!({ "credential": served })).await.body;
    let proofs_passed = checked["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|check| {
            check["check"].as_str().unwrap().starts_with("proof ") && check["passed"] == true
        })
        .count();
    assert_eq!((checked["verified"].clone(), proofs_passed), (json!(true), 2), "{checked:#}");
}

async fn a_class_certificate_gets_its_jws_when_served_unless_its_key_was_revoked(app: TestApp) {
    let s = setting(&app).await;
    let ids = classmates(&app, 2).await;
    let rows: Vec<Value> = ids.iter().map(|id| row(&s.class, id, "Tran Van Binh")).collect();
    let answer = app.post_as(&s.token, "/api/v1/completions/batch", &json!({ "rows": rows })).await;
    assert_eq!(answer.body["accepted"], 2, "{:#}", answer.body);
    let number = |row: usize| answer.body["rows"][row]["certificate_number"].as_str().unwrap();
    // Not stored at posting: made from the stored credential, the same every time.
    let stored = app.store.certificate(&number(0).parse().unwrap()).await.unwrap();
    assert_eq!(stored.jws, None);
    let shown = app.get(&format!("/api/v1/certificates/{}", number(0))).await.body;
    let jws = shown["jws"].as_str().unwrap();
    let again = app.get(&format!("/api/v1/certificates/{}", number(0))).await.body;
    assert_eq!(again["jws"], jws);
    let report = app.post("/api/v1/verify", &json!({ "jws": jws })).await.body;
    assert_eq!(report["verified"], true, "{report:#}");
    let raw = app.get(&format!("/api/v1/certificates/{}/jws", number(0))).await;
    assert_eq!((raw.status, raw.content_type.as_str()), (StatusCode::OK, "application/vc+jwt"));
    // A stored credential that lacks its JWS keeps the migration that allows it (the sixth)
    // from reverting.
    let jws_on_demand = "m20261130_000006_derive_jws_on_demand";
    assert!(app.store.migrate_down_through(jws_on_demand).await.is_err());
    app.store.migrate().await.expect("the later ones again");

    // A revoked key signs nothing more, not even what it would have signed the same way.
    app.revoke_first_signing_key().await;
    let gone = app.get(&format!("/api/v1/certificates/{}/jws", number(1))).await;
    gone.assert_problem(StatusCode::GONE, "jws-unavailable");
    let shown = app.get(&format!("/api/v1/certificates/{}", number(1))).await.body;
    assert_eq!(shown["jws"], Value::Null);
    assert_eq!(shown["credential"]["proof"]["cryptosuite"], "eddsa-jcs-2022");
}

async fn all_or_nothing_writes_nothing_when_one_row_is_refused(app: TestApp) {
    let s = setting(&app).await;
    let ids = classmates(&app, 5).await;
    let mut rows: Vec<Value> = ids.iter().map(|id| row(&s.class, id, "Trần Văn Bình")).collect();
    rows[4]["date_of_birth"] = json!("1990-01-01");
    let body = json!({ "mode": "all_or_nothing", "rows": rows });
    let answer = app.post_as(&s.token, "/api/v1/completions/batch", &body).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{:#}", answer.body);
    assert_eq!(answer.body["accepted"], 0);
    assert_eq!(answer.body["rows"][0]["status"], "not_written");
    assert_eq!(answer.body["rows"][4]["problem"]["code"], "identity-mismatch");

    // Fixed, the same batch goes through: nothing of the first attempt was left behind.
    rows[4]["date_of_birth"] = json!("1985-03-14");
    let body = json!({ "mode": "all_or_nothing", "rows": rows });
    let answer = app.post_as(&s.token, "/api/v1/completions/batch", &body).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    assert_eq!(answer.body["accepted"], 5);
}

/// A batch naming several programmes: each row is a duplicate only of an earlier completion of
/// its own programme and dates, and a row of an unknown programme is refused on its own.
async fn each_row_of_a_batch_is_checked_against_earlier_completions_of_its_programme(app: TestApp) {
    let s = setting(&app).await;
    app.program("QLNN-CV-2025", "QLNN-CV").await;
    let first = json!({ "rows": [
        program_completion("QLNN-CV-2024", "2025-09-01", "2025-10-24"),
        program_completion("QLNN-CV-2025", "2025-09-01", "2025-10-24"),
    ] });
    let answer = app.post_as(&s.token, "/api/v1/completions/batch", &first).await;
    assert_eq!(answer.body["accepted"], 2, "the same dates, two programmes: {:#}", answer.body);

    let second = json!({ "rows": [
        program_completion("QLNN-CV-2025", "2025-09-01", "2025-10-24"),
        program_completion("QLNN-CV-2025", "2026-03-02", "2026-04-24"),
        program_completion("QLNN-CV-2099", "2025-09-01", "2025-10-24"),
        program_completion("QLNN-CV-2024", "2025-09-01", "2025-10-24"),
        program_completion("QLNN-CV-2024", "2026-03-02", "2026-04-24"),
    ] });
    let answer = app.post_as(&s.token, "/api/v1/completions/batch", &second).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    let outcomes: Vec<&Value> = answer.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| match row["status"].as_str() {
            Some("accepted") => &row["status"],
            _ => &row["problem"]["code"],
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            "duplicate-completion",
            "accepted",
            "unknown-reference",
            "duplicate-completion",
            "accepted"
        ],
        "{:#}",
        answer.body
    );
    let uri = format!("/api/v1/officials/{}/record", s.official["id"].as_str().unwrap());
    let record = app.get_as_admin(&uri).await;
    let recorded = &record.body["categories"][0]["completions"];
    assert_eq!(recorded.as_array().unwrap().len(), 4, "{:#}", record.body);
}

async fn a_batch_has_a_row_limit_and_needs_an_institution(app: TestApp) {
    let s = setting(&app).await;
    let rows: Vec<Value> = (0..5001).map(|_| completion(&s.class)).collect();
    let answer = app.post_as(&s.token, "/api/v1/completions/batch", &json!({ "rows": rows })).await;
    answer.assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
    assert_eq!(answer.problem_fields(), ["rows"]);
    let empty = app.post_as(&s.token, "/api/v1/completions/batch", &json!({ "rows": [] })).await;
    empty.assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
    let operator =
        app.post("/api/v1/completions/batch", &json!({ "rows": [completion(&s.class)] })).await;
    operator.assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

on_both_backends!(
    a_batch_reports_every_row_and_records_the_valid_ones,
    a_class_certificate_gets_its_jws_when_served_unless_its_key_was_revoked,
    all_or_nothing_writes_nothing_when_one_row_is_refused,
    each_row_of_a_batch_is_checked_against_earlier_completions_of_its_programme,
    a_batch_has_a_row_limit_and_needs_an_institution,
);
