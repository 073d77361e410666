//! A certificate number is 50 random bits a year: over a national population two certificates
//! of one year draw the same bits now and then (about once in twenty populations of 10,000,000).
//! The write that drew a taken number is run again with new numbers; the institution never
//! hears of a conflict on a field it did not send, and nothing is half-written.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use hocba_store::Serials;
use serde_json::{Value, json};

use crate::completions::{Setting, completion, program_completion, setting};
use crate::helpers::{TestApp, official_body};

/// The serials the registry draws next, then random ones: the test says which number comes.
#[derive(Clone, Default)]
struct Script(Arc<Mutex<VecDeque<[u8; 7]>>>);

/// Serials whose numbers are all the same for one year.
const TAKEN: [u8; 7] = [0, 1, 2, 3, 4, 5, 6];

impl Script {
    fn then(&self, serial: [u8; 7], times: usize) {
        self.0.lock().unwrap().extend(std::iter::repeat_n(serial, times));
    }

    fn serials(&self) -> Serials {
        let script = self.clone();
        Serials::from_fn(move || script.0.lock().unwrap().pop_front().unwrap_or_else(rand::random))
    }
}

/// `app` restarted drawing its serials from a script that starts with [`TAKEN`] `times`, and
/// its first certificate, which takes that number.
async fn first_takes_the_number(app: TestApp, times: usize) -> (TestApp, Script, Setting, Value) {
    let script = Script::default();
    let serials = script.serials();
    let app = app.restarted_with(|store| store.drawing_serials_from(serials)).await;
    let s = setting(&app).await;
    script.then(TAKEN, times);
    let first = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:#}", first.body);
    (app, script, s, first.body)
}

fn number(posted: &Value) -> &str {
    posted["certificate"]["number"].as_str().unwrap()
}

async fn a_number_drawn_again_is_drawn_anew(app: TestApp) {
    // The next write's first draw is the number the first certificate took.
    let (app, script, s, first) = first_takes_the_number(app, 2).await;
    let by_program = program_completion("QLNN-CV-2024", "2025-09-01", "2025-10-24");
    let second = app.post_as(&s.token, "/api/v1/completions", &by_program).await;
    assert_eq!(second.status, StatusCode::CREATED, "{:#}", second.body);
    assert_ne!(number(&first), number(&second.body));

    // A class: one of its certificates draws the taken number, the whole class is written anew.
    let mut rows = Vec::new();
    for n in 0..3 {
        let national_id = format!("001085{:06}", 200_000 + n);
        app.register_official(&official_body(&national_id, "Trần Văn Bình")).await;
        let mut row = completion(&s.class);
        row["national_id"] = json!(national_id);
        row["full_name"] = json!("Trần Văn Bình");
        rows.push(row);
    }
    script.then(TAKEN, 1);
    let class = app.post_as(&s.token, "/api/v1/completions/batch", &json!({ "rows": rows })).await;
    assert_eq!(class.status, StatusCode::OK, "{:#}", class.body);
    assert_eq!(class.body["accepted"], 3, "{:#}", class.body);
    let mut numbers: HashSet<&str> = [number(&first), number(&second.body)].into();
    for row in class.body["rows"].as_array().unwrap() {
        assert!(numbers.insert(row["certificate_number"].as_str().unwrap()), "{row:#}");
    }
    assert!(script.0.lock().unwrap().is_empty(), "every scripted serial was drawn");
    for number in numbers {
        let verified = app.post("/api/v1/verify", &json!({ "number": number })).await;
        assert_eq!(verified.body["verified"], true, "{number}: {:#}", verified.body);
    }
}

async fn a_number_taken_at_both_draws_writes_nothing(app: TestApp) {
    // Both draws of the next write are the number the first certificate took.
    let (app, _, s, _) = first_takes_the_number(app, 3).await;
    let by_program = program_completion("QLNN-CV-2024", "2025-09-01", "2025-10-24");
    let refused = app.post_as(&s.token, "/api/v1/completions", &by_program).await;
    refused.assert_problem(StatusCode::CONFLICT, "already-exists");

    let official = s.official["id"].as_str().unwrap();
    let record = app.get_as_admin(&format!("/api/v1/officials/{official}/record")).await;
    let completions: Vec<&Value> = record.body["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|category| category["completions"].as_array().unwrap())
        .collect();
    assert_eq!(completions.len(), 1, "only the first completion: {:#}", record.body);

    // Sent again, it draws a free number.
    let again = app.post_as(&s.token, "/api/v1/completions", &by_program).await;
    assert_eq!(again.status, StatusCode::CREATED, "{:#}", again.body);
}

on_both_backends!(a_number_drawn_again_is_drawn_anew, a_number_taken_at_both_draws_writes_nothing);
