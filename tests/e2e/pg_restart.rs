//! PostgreSQL restarted under load: while the database is down, a server answers every request
//! 503 with Retry-After (problem+json, or an HTML page for a page), within a bound; once it is
//! back, the same server answers 200 again, and no write was half done.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::crash::{ADMIN, free_port, start_on};
use crate::pg_cluster::Cluster;
use crate::replica::school;

const OFFICIALS: usize = 60;
/// Longer than the server waits for a connection (5 s), so that requests do meet the outage.
const DOWN_FOR: Duration = Duration::from_secs(8);
/// The longest a request may take, outage or not.
const ANSWER_WITHIN: Duration = Duration::from_secs(15);

fn national_id(n: usize) -> String {
    format!("001085{:06}", 400_000 + n)
}

/// One request's answer: when it was sent, how long it took, its status, content type and
/// Retry-After header.
#[derive(Debug)]
struct Answer {
    sent: Instant,
    took: Duration,
    status: u16,
    content_type: String,
    retry_after: Option<String>,
    body: Value,
}

fn send(base: &str, token: &str, path: &str, body: &Value, key: Option<&str>) -> Answer {
    let sent = Instant::now();
    let url = format!("{base}{path}");
    // A 503 is an answer to record, not an error.
    let mut request = ureq::post(&url).config().http_status_as_error(false).build();
    request = request.header("Authorization", &format!("Bearer {token}"));
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.content_type("application/json").send(body.to_string()).unwrap();
    answer(sent, response)
}

/// A page, as a browser asks for it.
fn open_page(base: &str, path: &str) -> Answer {
    let sent = Instant::now();
    let request = ureq::get(&format!("{base}{path}")).config().http_status_as_error(false).build();
    answer(sent, request.header("Accept", "text/html").call().unwrap())
}

fn answer(sent: Instant, mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let header = |name: &str| {
        response.headers().get(name).and_then(|value| value.to_str().ok()).map(str::to_owned)
    };
    let (content_type, retry_after) =
        (header("content-type").unwrap_or_default(), header("retry-after"));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer { sent, took: sent.elapsed(), status, content_type, retry_after, body }
}

fn post_one(base: &str, token: &str, class: &Value, n: usize) -> Answer {
    let row = json!({ "national_id": national_id(n), "full_name": "Le Van Ha", "date_of_birth": "1985-03-14", "class_id": class["id"], "duration_days": 20, "outcome": "passed" });
    let key = format!("restart-{n}");
    send(base, token, "/api/v1/completions/batch", &json!({ "rows": [row] }), Some(&key))
}

#[test]
fn a_server_answers_503_while_postgres_restarts_and_200_after_without_a_restart() {
    let Some(cluster) = Cluster::primary() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = start_on(&cluster.url(), dir.path(), free_port());
    let base = server.base.clone();
    let program = json!({ "code": "QLNN-CV-2024", "title_vi": "QLNN", "category_code": "QLNN-CV", "min_days": 5 });
    let (_, program) = crate::crash::call(&base, ADMIN, "/api/v1/programs", &program, None);
    let school = school(&base, 0, &program);
    for n in 0..OFFICIALS {
        let official = crate::helpers::official_body(&national_id(n), "Lê Văn Hà");
        let (status, body) = crate::crash::call(&base, ADMIN, "/api/v1/officials", &official, None);
        assert_eq!(status, 201, "{body}");
    }
    let first = post_one(&base, &school.token, &school.class, 0);
    assert_eq!(first.status, 200, "{}", first.body);
    let number = first.body["rows"][0]["certificate_number"].clone();
    let link = format!("/v/{}", number.as_str().unwrap());

    // A steady stream: a post of the next official, then a verification by number (a read).
    let answers: Mutex<Vec<(usize, Answer)>> = Mutex::new(Vec::new());
    // And beside it, the certificate's public page, as an HR officer who scanned its QR code
    // opens it.
    let pages: Mutex<Vec<Answer>> = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let restarted = std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut n = 1;
            while !stop.load(Ordering::Relaxed) {
                if n < OFFICIALS {
                    let posted = post_one(&base, &school.token, &school.class, n);
                    answers.lock().unwrap().push((n, posted));
                    n += 1;
                }
                let verified = send(
                    &base,
                    &school.token,
                    "/api/v1/verify",
                    &json!({ "number": number }),
                    None,
                );
                answers.lock().unwrap().push((0, verified));
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                pages.lock().unwrap().push(open_page(&base, &link));
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        std::thread::sleep(Duration::from_secs(1));
        cluster.stop();
        // However the streams are scheduled on a busy machine, one read and one page are sent
        // while the database is certainly down: it starts again only once they are answered.
        pages.lock().unwrap().push(open_page(&base, &link));
        let verified =
            send(&base, &school.token, "/api/v1/verify", &json!({ "number": number }), None);
        answers.lock().unwrap().push((0, verified));
        std::thread::sleep(DOWN_FOR);
        cluster.start();
        let restarted = Instant::now();
        // Until the stream has had three answers sent after the restart.
        let deadline = restarted + Duration::from_secs(60);
        while answers.lock().unwrap().iter().filter(|(_, a)| a.sent > restarted).count() < 3 {
            assert!(Instant::now() < deadline, "no answer after the restart");
            std::thread::sleep(Duration::from_millis(100));
        }
        stop.store(true, Ordering::Relaxed);
        restarted
    });

    let answers = answers.into_inner().unwrap();
    let mut unavailable = 0;
    for (_, answer) in &answers {
        assert!(answer.took < ANSWER_WITHIN, "an answer took {:?}", answer.took);
        match answer.status {
            200 => {}
            503 => {
                unavailable += 1;
                assert_eq!(answer.content_type, "application/problem+json", "{}", answer.body);
                assert_eq!(answer.body["code"], "database-unavailable", "{}", answer.body);
                assert!(answer.retry_after.is_some(), "503 without Retry-After");
            }
            other => panic!("{other} while the database restarted: {}", answer.body),
        }
    }
    assert!(unavailable > 0, "no request met the outage");
    // The page says so in HTML, and tells a script that fetched it when to try again.
    let pages = pages.into_inner().unwrap();
    let mut pages_unavailable = 0;
    for page in &pages {
        assert!(page.took < ANSWER_WITHIN, "a page took {:?}", page.took);
        match page.status {
            200 => assert!(page.content_type.starts_with("text/html"), "{page:?}"),
            503 => {
                pages_unavailable += 1;
                assert!(page.content_type.starts_with("text/html"), "{page:?}");
                assert!(page.retry_after.is_some(), "a page's 503 without Retry-After");
            }
            other => panic!("page {other} while the database restarted"),
        }
    }
    assert!(pages_unavailable > 0, "no page met the outage");
    let pages_after: Vec<_> = pages.iter().filter(|p| p.sent > restarted).collect();
    assert!(pages_after.iter().all(|p| p.status == 200), "after the restart: {pages_after:?}");
    let after: Vec<_> = answers.iter().filter(|(_, a)| a.sent > restarted).collect();
    assert!(after.iter().all(|(_, a)| a.status == 200), "after the restart: {after:?}");

    // Each post that was refused is sent again with its key; then every official posted holds
    // exactly one certificate: none was half written, none written twice.
    let posted: Vec<usize> = answers.iter().map(|(n, _)| *n).filter(|n| *n > 0).collect();
    for (n, answer) in &answers {
        if *n > 0 && answer.status != 200 {
            let again = post_one(&base, &school.token, &school.class, *n);
            assert_eq!(again.status, 200, "{}", again.body);
        }
    }
    drop(server);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = hocba_store::Store::connect(&cluster.url()).await.unwrap();
        let reader = hocba_store::Actor::System;
        for n in std::iter::once(0).chain(posted) {
            let national = hocba_domain::NationalId::parse_format(&national_id(n)).unwrap();
            let official = store.lookup_official(&reader, "test", &national).await.unwrap();
            let held = store.certificates_of(&reader, "test", official.id).await.unwrap();
            assert_eq!(held.len(), 1, "official {n}");
        }
    });
}
