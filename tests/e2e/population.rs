//! A generated population (`hocba demo generate`): what the registry would hold had it been
//! posted, on both stores; the same seed gives the same people and training.

use axum::http::StatusCode;
use hocba_api::AppState;
use hocba_api::population::{Options, Summary, generate};
use hocba_domain::{CompletionStatus, OfficialId};
use hocba_store::Actor;
use serde_json::{Value, json};
use time::macros::date;

use crate::helpers::TestApp;

const OFFICIALS: u32 = 150;

async fn generated(app: &TestApp, seed: u64) -> Summary {
    let state = AppState::new(app.store.clone(), app.authority.clone(), 100);
    let options = Options {
        officials: OFFICIALS,
        seed,
        completions: 6,
        today: date!(2026 - 12 - 05),
        batch: 60,
    };
    let mut progress = Vec::new();
    let summary = generate(&state, &options, |written| progress.push(written)).await.unwrap();
    assert_eq!(progress, [60, 120, 150], "one report per transaction");
    summary
}

/// An official's facts a seed decides: who they are, their periods and their training.
async fn facts(app: &TestApp, id: OfficialId) -> Value {
    let official = app.store.read_official(&Actor::System, "test", id).await.unwrap();
    let periods: Vec<Value> = official
        .employments
        .iter()
        .map(|period| {
            let e = &period.employment;
            json!([
                e.agency_code.as_str(),
                e.level.as_str(),
                e.rank.as_ref().map(|r| r.as_str()),
                e.leadership_level.map(|l| l.as_str()),
                e.validity.from.to_string(),
                e.validity.to.map(|d| d.to_string())
            ])
        })
        .collect();
    let record = app.store.official_record(&Actor::System, "test", id).await.unwrap();
    let mut training: Vec<Value> = record
        .entries
        .iter()
        .map(|entry| {
            let c = &entry.completion;
            json!([
                entry.program_code,
                c.started_on.to_string(),
                c.ended_on.to_string(),
                c.duration_days,
                c.outcome.as_str(),
                format!("{:?}", entry.status)
            ])
        })
        .collect();
    // A correction and the completion it supersedes share their dates: order them by content.
    training.sort_by_key(ToString::to_string);
    json!({
        "national_id": official.national_id.expose(),
        "name": official.full_name.as_str(),
        "born": official.date_of_birth.to_string(),
        "gender": official.gender.as_str(),
        "ethnicity": official.ethnicity_code,
        "periods": periods,
        "training": training,
    })
}

async fn a_generated_population_holds_what_posting_would_have_written(app: TestApp) {
    let summary = generated(&app, 5).await;
    assert_eq!(summary.ids.len(), OFFICIALS as usize);
    assert!(summary.completions > u64::from(OFFICIALS) * 3, "{summary:?}");
    assert_eq!(summary.certificates, summary.completions);
    assert!(summary.revocations > 0, "some certificates are revoked or superseded: {summary:?}");

    let (mut standing, mut revoked, mut superseded) = (None, 0, 0);
    for id in &summary.ids {
        let record = app.store.official_record(&Actor::System, "test", *id).await.unwrap();
        for entry in &record.entries {
            // Taught by an institution accredited, on its last day, for the programme's category.
            let completion = &entry.completion;
            let institution = app.store.institution(completion.institution_id).await.unwrap();
            assert!(entry.category.deliverable_by(institution.kind), "{entry:?}");
            let covered = institution.scopes.iter().any(|granted| {
                granted.scope.category == entry.category
                    && granted.scope.validity.covers(completion.ended_on)
            });
            assert!(
                covered,
                "{} outside the accreditation of {}",
                entry.program_code,
                institution.code.as_str()
            );
            assert!(completion.ended_on < date!(2026 - 12 - 05));
            assert_eq!(entry.certificates.len(), 1, "one certificate a completion");
            match entry.status {
                CompletionStatus::Superseded => superseded += 1,
                CompletionStatus::Revoked => revoked += 1,
                CompletionStatus::Live => {
                    standing.get_or_insert_with(|| entry.certificates[0].number.to_string());
                }
            }
        }
    }
    assert!(revoked + superseded > 0);

    // A generated certificate is a signed one: it verifies as any posted certificate does.
    let number = standing.expect("a standing certificate");
    let answer = app.post("/api/v1/verify", &json!({ "number": number })).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    assert_eq!(answer.body["verified"], true, "{:#}", answer.body);

    // Reports count it: officials in every status, nationally and in a province.
    for uri in [
        "/api/v1/reports/RPT-STD?as_of=2026-12-05",
        "/api/v1/reports/RPT-STD?as_of=2026-12-05&agency_code=T01",
        "/api/v1/reports/RPT-LAW?as_of=2026-12-05",
    ] {
        let report = app.get_as_admin(uri).await;
        assert_eq!(report.status, StatusCode::OK, "{uri}: {:#}", report.body);
        let rows = report.body["rows"].as_array().unwrap();
        assert!(!rows.is_empty(), "{uri}: {:#}", report.body);
        assert!(rows[0]["officials"]["value"].as_u64().unwrap_or(0) > 0, "{uri}: {:#}", rows[0]);
    }
    let national = app.get_as_admin("/api/v1/reports/RPT-STD?as_of=2026-12-05").await;
    let everyone = national.body["rows"][0]["officials"]["value"].as_u64().unwrap();
    assert_eq!(everyone, u64::from(OFFICIALS), "every official holds a post on the day");
    let met: u64 = national.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|row| row["met"]["value"].as_u64())
        .sum();
    assert!(met > 0, "{:#}", national.body);
    let compliance = app
        .get_as_admin(&format!("/api/v1/officials/{}/compliance?as_of=2026-12-05", summary.ids[0]))
        .await;
    assert_eq!(compliance.status, StatusCode::OK, "{:#}", compliance.body);

    let chain = app.store.verify_audit_chain().await.unwrap();
    assert_eq!(chain.first_broken, None);
}

async fn the_same_seed_gives_the_same_population(app: TestApp) {
    let twin = match format!("{:?}", app.store.backend()).as_str() {
        "Postgres" => TestApp::postgres().await.unwrap(),
        _ => TestApp::sqlite().await,
    };
    let (first, second) = (generated(&app, 9).await, generated(&twin, 9).await);
    for (a, b) in first.ids.iter().zip(&second.ids) {
        assert_eq!(facts(&app, *a).await, facts(&twin, *b).await);
    }
    let other = TestApp::sqlite().await;
    let third = generated(&other, 10).await;
    assert_ne!(facts(&app, first.ids[0]).await, facts(&other, third.ids[0]).await);
}

on_both_backends!(
    a_generated_population_holds_what_posting_would_have_written,
    the_same_seed_gives_the_same_population,
);
