//! The changes feed: every change publishes its events with it, in commit order.

use axum::http::StatusCode;
use hocba_domain::OfficialDraft;
use hocba_store::{Actor, EventCursor, EventType, OutboxEvent, Store, StoreError};
use serde_json::{Value, json};

use crate::completions::{completion, setting};
use crate::helpers::{TestApp, official_body};

/// Every event published so far, oldest first.
async fn all_events(app: &TestApp) -> Vec<OutboxEvent> {
    app.store.events_after(None, &[], 100_000).await.unwrap()
}

/// The events after the first `skip`, as (type, official, completion, certificate, key) in
/// text, for comparing with what the test did.
fn described(events: &[OutboxEvent], skip: usize) -> Vec<(EventType, [String; 4])> {
    let text = |value: Option<String>| value.unwrap_or_default();
    events
        .iter()
        .skip(skip)
        .map(|event| {
            let subject = &event.subject;
            (
                event.event_type,
                [
                    text(subject.official_id.map(|id| id.to_string())),
                    text(subject.completion_id.map(|id| id.to_string())),
                    text(subject.certificate_number.as_ref().map(|n| n.as_str().to_owned())),
                    text(subject.key_id.clone()),
                ],
            )
        })
        .collect()
}

fn ids(official: &Value, completion: &Value, certificate: &Value) -> [String; 4] {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    [text(official), text(completion), text(certificate), String::new()]
}

async fn every_change_publishes_its_events(app: TestApp) {
    let s = setting(&app).await;
    let official_id = &s.official["id"];
    let id = official_id.as_str().unwrap();
    let start = all_events(&app).await;
    // The registry's first key, then the official; institutions and programmes are not followed.
    let first_kid = app.store.signing_keys().await.unwrap()[0].kid.clone();
    assert_eq!(
        described(&start, 0),
        [
            (EventType::KeyActivated, [String::new(), String::new(), String::new(), first_kid]),
            (EventType::OfficialRegistered, ids(official_id, &Value::Null, &Value::Null)),
        ]
    );
    let mut expected = Vec::new();

    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    let first =
        ids(official_id, &posted.body["completion"]["id"], &posted.body["certificate"]["number"]);
    expected.push((EventType::CompletionRecorded, first.clone()));
    expected.push((EventType::CertificateIssued, first.clone()));
    // A refused posting (the same completion again) publishes nothing.
    let again = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:#}", again.body);

    let mut corrected = completion(&s.class);
    corrected["outcome"] = json!("excellent");
    let old = posted.body["completion"]["id"].as_str().unwrap();
    let answer =
        app.post_as(&s.token, &format!("/api/v1/completions/{old}/correct"), &corrected).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
    let second =
        ids(official_id, &answer.body["completion"]["id"], &answer.body["certificate"]["number"]);
    expected.push((EventType::CompletionCorrected, second.clone()));
    expected.push((EventType::CertificateIssued, second.clone()));
    expected.push((EventType::CertificateRevoked, first));

    let number = answer.body["certificate"]["number"].as_str().unwrap();
    app.revoke(number, json!({ "reason": "issued_in_error" })).await;
    expected.push((EventType::CertificateRevoked, second));

    let period = s.official["employments"][0]["id"].as_str().unwrap();
    let employment = official_body("001085012345", "Nguyễn Văn An")["employment"].clone();
    let mut later = employment.clone();
    later["valid_from"] = json!("2026-01-01");
    let changes = [
        (format!("/api/v1/officials/{id}/employments/{period}/correct"), employment.clone()),
        (format!("/api/v1/officials/{id}/employments"), later),
    ];
    for (uri, body) in &changes {
        let changed = app.post(uri, body).await;
        assert!(changed.status.is_success(), "{uri}: {:#}", changed.body);
        expected.push((EventType::EmploymentChanged, ids(official_id, &Value::Null, &Value::Null)));
    }

    let rotated = app.authority.rotate(&app.store, &Actor::System).await.unwrap();
    let key = |kid: &str| [String::new(), String::new(), String::new(), kid.to_owned()];
    let first_kid = &start.first().unwrap().subject.key_id.clone().unwrap();
    expected.push((EventType::KeyRetired, key(first_kid)));
    expected.push((EventType::KeyActivated, key(&rotated.kid)));
    app.revoke_first_signing_key().await;
    expected.push((EventType::KeyRevoked, key(first_kid)));

    let events = all_events(&app).await;
    assert_eq!(described(&events, start.len()), expected);
    // In commit order, each with its own id.
    assert!(events.windows(2).all(|pair| pair[0].cursor < pair[1].cursor));
    let unique: std::collections::HashSet<_> = events.iter().map(|event| event.id).collect();
    assert_eq!(unique.len(), events.len());
}

async fn a_refused_batch_publishes_nothing_and_a_posted_one_every_row(app: TestApp) {
    let s = setting(&app).await;
    let before = all_events(&app).await.len();
    let mut refused = completion(&s.class);
    refused["full_name"] = json!("Nguyễn Văn Bảo"); // not the registered name
    let rows = json!([completion(&s.class), refused]);
    let body = json!({ "mode": "all_or_nothing", "rows": rows });
    let answer = app.post_as(&s.token, "/api/v1/completions/batch", &body).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{:#}", answer.body);
    assert_eq!(all_events(&app).await.len(), before, "rolled back with the batch");

    let body = json!({ "mode": "per_row", "rows": rows });
    let answer = app.post_as(&s.token, "/api/v1/completions/batch", &body).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    let row = &answer.body["rows"][0];
    let posted = ids(&s.official["id"], &row["completion_id"], &row["certificate_number"]);
    assert_eq!(
        described(&all_events(&app).await, before),
        [(EventType::CompletionRecorded, posted.clone()), (EventType::CertificateIssued, posted)]
    );
}

async fn a_reader_pages_by_cursor_and_filters_by_type(app: TestApp) {
    for n in 0..5 {
        let national_id = format!("001085{:06}", 200_000 + n);
        app.register_official(&official_body(&national_id, "Trần Văn Bình")).await;
    }
    let events = all_events(&app).await;
    assert_eq!(events.len(), 6, "a key and five officials");
    let mut read = Vec::new();
    let mut cursor = None;
    loop {
        let page = app.store.events_after(cursor, &[], 2).await.unwrap();
        let Some(last) = page.last() else { break };
        cursor = Some(last.cursor);
        read.extend(page);
    }
    assert_eq!(read, events);
    let keys = app.store.events_after(None, &[EventType::KeyActivated], 10).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0], events[0]);
    assert_eq!(app.store.events_head().await.unwrap(), events[5].cursor);
}

async fn a_waiting_reader_wakes_when_an_event_is_committed(app: TestApp) {
    let head = app.store.events_head().await.unwrap();
    let store = app.store.clone();
    let waiting = tokio::spawn(async move {
        store
            .wait_for_events(Some(head), &[], 10, std::time::Duration::from_secs(600))
            .await
            .unwrap()
    });
    let official = app.register_official(&official_body("001085012345", "Nguyễn Văn An")).await;
    // It returns with the event: a wait of ten minutes that ran out would fail the timeout first.
    let woken = tokio::time::timeout(std::time::Duration::from_secs(60), waiting)
        .await
        .expect("woken by the commit")
        .unwrap();
    assert_eq!(woken.len(), 1);
    assert_eq!(woken[0].event_type, EventType::OfficialRegistered);
    assert_eq!(woken[0].subject.official_id.unwrap().to_string(), official["id"].as_str().unwrap());
}

async fn the_feed_pages_filters_and_refuses_what_it_cannot_read(app: TestApp) {
    let s = setting(&app).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    // A key, an official, a completion and its certificate: two pages of two.
    let first = app.get_as_admin("/api/v1/events?limit=2").await;
    assert_eq!(first.status, StatusCode::OK, "{:#}", first.body);
    let types: Vec<&str> = first.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["key.activated", "official.registered"]);
    assert_eq!(first.body["next_cursor"], first.body["events"][1]["cursor"]);
    let official = &first.body["events"][1];
    assert_eq!(official["official_id"], s.official["id"]);
    assert!(official.get("certificate_number").is_none(), "absent, not null: {official:#}");
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app.get_as_admin(&format!("/api/v1/events?limit=2&after={cursor}")).await;
    let issued = &second.body["events"][1];
    assert_eq!(issued["type"], "certificate.issued");
    assert_eq!(issued["certificate_number"], posted.body["certificate"]["number"]);
    assert_eq!(issued["completion_id"], posted.body["completion"]["id"]);
    // No personal data: only ids, types, times and cursors.
    let text = second.body.to_string();
    assert!(!text.contains("001085012345") && !text.contains("Nguyễn"), "{text}");
    // Caught up: an empty page keeps the cursor.
    let cursor = second.body["next_cursor"].as_str().unwrap();
    let empty = app.get_as_admin(&format!("/api/v1/events?after={cursor}")).await;
    assert_eq!(empty.body, json!({ "events": [], "next_cursor": cursor }));

    let filtered = app.get_as_admin("/api/v1/events?types=certificate.issued,key.activated").await;
    let types: Vec<&str> = filtered.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["key.activated", "certificate.issued"]);

    for (query, field) in [
        ("after=not-a-cursor", "after"),
        ("after=AAAAAAAAAAAA", "after"),
        ("types=certificate.issued,certificate.stolen", "types"),
        ("types=", "types"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("wait=31", "wait"),
        ("colour=red", "colour"),
    ] {
        let refused = app.get_as_admin(&format!("/api/v1/events?{query}")).await;
        refused.assert_problem(StatusCode::BAD_REQUEST, "bad-parameter");
        assert_eq!(refused.problem_fields(), [field], "{query}");
    }
}

async fn get_events_as(app: &TestApp, token: &str) -> crate::helpers::TestResponse {
    app.request(axum::http::Method::GET, "/api/v1/events", Some(token), None).await
}

async fn a_system_follows_the_feed_with_events_read_and_only_with_it(app: TestApp) {
    let s = setting(&app).await;
    let follower = app.machine_client(&["events:read"], None).await;
    let posted = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:#}", posted.body);
    let page = get_events_as(&app, &follower.token).await;
    assert_eq!(page.status, StatusCode::OK, "{:#}", page.body);
    assert_eq!(page.body["events"][1]["official_id"], s.official["id"]);
    // A certificate's number opens it to anyone: a system gets the completion, not the number,
    // and reads the certificate through the records it may read. The operator gets both.
    let issued = |page: &Value| -> Value {
        let events = page["events"].as_array().unwrap();
        events.iter().find(|event| event["type"] == "certificate.issued").unwrap().clone()
    };
    let for_system = issued(&page.body);
    assert_eq!(for_system["completion_id"], posted.body["completion"]["id"]);
    assert!(for_system.get("certificate_number").is_none(), "{for_system:#}");
    assert!(
        !page.body.to_string().contains(posted.body["certificate"]["number"].as_str().unwrap())
    );
    let for_operator = issued(&app.get_as_admin("/api/v1/events").await.body);
    assert_eq!(for_operator["certificate_number"], posted.body["certificate"]["number"]);
    let reader = app.machine_client(&["records:read", "webhooks:manage"], None).await;
    let refused = get_events_as(&app, &reader.token).await;
    refused.assert_problem(StatusCode::FORBIDDEN, "insufficient-scope");
    assert_eq!(refused.body["scope"], "events:read", "{:#}", refused.body);
    // An institution's token posts completions; it follows nothing.
    get_events_as(&app, &s.token).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.get("/api/v1/events").await.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn a_long_poll_answers_when_an_event_is_committed(app: TestApp) {
    let head = app.store.events_head().await.unwrap();
    let uri = format!("/api/v1/events?after={head}&wait=30");
    // The request waits (nothing follows the head) until the registration commits; if it were
    // answered before, it would find the event at once. Either way it carries the event.
    let body = official_body("001085012345", "Nguyễn Văn An");
    let (page, official) = tokio::join!(app.get_as_admin(&uri), app.register_official(&body));
    assert_eq!(page.status, StatusCode::OK, "{:#}", page.body);
    assert_eq!(page.body["events"][0]["type"], "official.registered");
    assert_eq!(page.body["events"][0]["official_id"], official["id"]);
}

/// Officials each of the two writers registers: 10,000 changes in all.
const PER_WRITER: usize = 5_000;

/// Registers [`PER_WRITER`] officials through the store, one transaction each, as writer
/// `writer` (0 or 1); returns their ids in the order they were committed.
async fn register_many(store: Store, writer: usize) -> Vec<String> {
    let today = time::OffsetDateTime::now_utc().date();
    let mut ids = Vec::with_capacity(PER_WRITER);
    for n in 0..PER_WRITER {
        let national_id = format!("001085{:06}", 300_000 + writer * 100_000 + n);
        let body = official_body(&national_id, "Trần Văn Bình");
        let draft: OfficialDraft = serde_json::from_value(body).unwrap();
        let official = store.create_official(&Actor::System, draft.parse(today).unwrap()).await;
        ids.push(official.unwrap().id.to_string());
    }
    ids
}

async fn two_writers_changes_are_read_in_commit_order_across_pages_and_a_restart(app: TestApp) {
    let start = app.store.events_head().await.unwrap();
    let writers: Vec<_> =
        (0..2).map(|writer| tokio::spawn(register_many(app.store.clone(), writer))).collect();
    // A reader follows the feed over HTTP while they write, a page at a time, and keeps only its
    // cursor across a restart of the server half-way.
    let mut app = app;
    let mut restarted = false;
    let mut cursor = start.to_string();
    let mut read: Vec<Value> = Vec::new();
    loop {
        if !restarted && read.len() >= PER_WRITER {
            app = app.restarted().await;
            restarted = true;
        }
        let writing = !writers.iter().all(tokio::task::JoinHandle::is_finished);
        let uri = format!("/api/v1/events?after={cursor}&limit=1000&wait=2");
        let page = app.get_as_admin(&uri).await;
        assert_eq!(page.status, StatusCode::OK, "{:#}", page.body);
        let events = page.body["events"].as_array().unwrap();
        if events.is_empty() && !writing {
            break;
        }
        read.extend(events.iter().cloned());
        cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    }
    assert!(restarted);
    let mut written = Vec::new();
    for writer in writers {
        written.push(writer.await.unwrap());
    }
    // Every change once, none skipped: the reader saw what the table holds, in its order.
    let stored = app.store.events_after(Some(start), &[], 100_000).await.unwrap();
    let read_ids: Vec<&str> = read.iter().map(|event| event["id"].as_str().unwrap()).collect();
    let stored_ids: Vec<String> = stored.iter().map(|event| event.id.to_string()).collect();
    assert_eq!(read_ids.len(), 2 * PER_WRITER);
    assert_eq!(read_ids, stored_ids);
    // In commit order: each writer's officials in the order its transactions committed.
    for officials in written {
        let mine: std::collections::HashSet<&str> = officials.iter().map(String::as_str).collect();
        let seen: Vec<&str> = read
            .iter()
            .map(|event| event["official_id"].as_str().unwrap())
            .filter(|id| mine.contains(id))
            .collect();
        assert_eq!(seen, officials.iter().map(String::as_str).collect::<Vec<_>>());
    }
}

async fn old_events_are_pruned_and_a_reader_left_behind_is_told(app: TestApp) {
    for n in 0..3 {
        let national_id = format!("001085{:06}", 300_000 + n);
        app.register_official(&official_body(&national_id, "Lê Thị Cúc")).await;
    }
    let events = all_events(&app).await;
    assert_eq!(events.len(), 4, "a key and three officials");
    let nothing = app.store.prune_events(events[0].occurred_at).await.unwrap();
    assert_eq!((nothing.events, nothing.through), (0, EventCursor::START));

    // Those older than the third event go, up to the first that is not.
    let older_than = events[2].occurred_at;
    let pruned = app.store.prune_events(older_than).await.unwrap();
    let gone = events.iter().take_while(|event| event.occurred_at < older_than).count();
    assert!(gone >= 1, "the key was activated before the officials were registered");
    assert_eq!(pruned.events, gone as u64);
    assert_eq!(pruned.through, events[gone - 1].cursor);
    assert_eq!(all_events(&app).await, events[gone..]);
    // A reader at the horizon reads on; one behind it is told, never handed a gap.
    let read_on = app.store.events_after(Some(pruned.through), &[], 10).await.unwrap();
    assert_eq!(read_on, events[gone..]);
    let behind = app.store.events_after(Some(EventCursor::START), &[], 10).await;
    assert!(
        matches!(behind, Err(StoreError::EventsPruned { through }) if through == pruned.through)
    );
    for cursor in [events[0].cursor.to_string(), EventCursor::START.to_string()] {
        let refused = app.get_as_admin(&format!("/api/v1/events?after={cursor}")).await;
        refused.assert_problem(StatusCode::GONE, "events-pruned");
        assert_eq!(refused.problem_fields(), ["after"]);
    }
    let from_the_oldest_kept = app.get_as_admin("/api/v1/events").await;
    assert_eq!(from_the_oldest_kept.body["events"][0]["cursor"], events[gone].cursor.to_string());

    // Never an event a webhook subscription has yet to have, however old.
    let subscribed = app.post("/api/v1/webhooks", &json!({ "url": "http://127.0.0.1:9/" })).await;
    assert_eq!(subscribed.status, StatusCode::CREATED, "{:#}", subscribed.body);
    let later = app.register_official(&official_body("001085300009", "Lê Thị Cúc")).await;
    let tomorrow = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let pruned = app.store.prune_events(tomorrow).await.unwrap();
    assert_eq!(pruned.events, (events.len() - gone) as u64);
    let kept = all_events(&app).await;
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].subject.official_id.unwrap().to_string(), later["id"].as_str().unwrap());
    // The horizon only moves forward.
    let again = app.store.prune_events(events[0].occurred_at).await.unwrap();
    assert_eq!((again.events, again.through), (0, pruned.through));
}

/// A prune larger than one transaction deletes every old event, chunk after chunk, and stops
/// at the first young one whether or not the old ones fill the last chunk exactly.
async fn a_prune_spans_several_transactions(app: TestApp) {
    for n in 0..8 {
        let national_id = format!("001085{:06}", 310_000 + n);
        app.register_official(&official_body(&national_id, "Lê Thị Cúc")).await;
    }
    let events = all_events(&app).await;
    assert_eq!(events.len(), 9, "a key and eight officials");
    let older_than = events[7].occurred_at;
    let gone = events.iter().take_while(|event| event.occurred_at < older_than).count();
    assert!(gone > 3, "more old events than a chunk holds: {gone}");

    let pruned = app.store.prune_events_in_chunks(older_than, 3).await.unwrap();
    assert_eq!((pruned.events, pruned.through), (gone as u64, events[gone - 1].cursor));
    assert_eq!(all_events(&app).await, events[gone..]);

    // What is left, in chunks that it fills exactly.
    let tomorrow = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let left = events.len() - gone;
    let pruned = app.store.prune_events_in_chunks(tomorrow, left as u64).await.unwrap();
    assert_eq!((pruned.events, pruned.through), (left as u64, events[events.len() - 1].cursor));
    assert_eq!(all_events(&app).await, []);
}

on_both_backends!(
    a_prune_spans_several_transactions,
    old_events_are_pruned_and_a_reader_left_behind_is_told,
    the_feed_pages_filters_and_refuses_what_it_cannot_read,
    a_system_follows_the_feed_with_events_read_and_only_with_it,
    a_long_poll_answers_when_an_event_is_committed,
    two_writers_changes_are_read_in_commit_order_across_pages_and_a_restart,
    every_change_publishes_its_events,
    a_refused_batch_publishes_nothing_and_a_posted_one_every_row,
    a_reader_pages_by_cursor_and_filters_by_type,
    a_waiting_reader_wakes_when_an_event_is_committed,
);
