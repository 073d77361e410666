//! `hocba import completions`: a spreadsheet export posted as an institution, against a real
//! registry over HTTP; every line's outcome in a results file; a run after fixing some lines
//! reports the lines recorded before as already recorded.

use std::path::{Path, PathBuf};
use std::process::Command;

use axum::http::StatusCode;
use serde_json::json;

use crate::completions::{completion, setting};
use crate::helpers::{TestApp, official_body};

/// An institution's client credentials and the registry's URL, for the CLI.
struct Import {
    work: PathBuf,
    registry: String,
    client_id: String,
    client_secret: String,
}

/// What a run printed and how it ended.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Import {
    /// Runs `hocba import completions FILE …` in the work directory, off the runtime's thread
    /// (the registry is served on it).
    async fn run(&self, file: &str, extra: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hocba"));
        command
            .current_dir(&self.work)
            .args(["import", "completions", file, "--registry", &self.registry])
            .args(["--client-id", &self.client_id, "--client-secret", &self.client_secret])
            .args(extra);
        let output = tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap();
        Run {
            ok: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// The results file as (line, status, certificate number, code, field, reason) per line.
fn results(path: &Path) -> Vec<[String; 6]> {
    let bytes = std::fs::read(path).unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a byte order mark, for Excel");
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|header| header == name).unwrap();
    let columns = ["line", "status", "certificate_number", "code", "field", "reason"].map(at);
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            columns.map(|column| record[column].to_owned())
        })
        .collect()
}

async fn an_import_explains_every_line_and_a_fixed_run_records_the_rest(app: TestApp) {
    let address = app.serve(hocba_api::ConnectionLimits::default()).await;
    let s = setting(&app).await;
    for (national_id, name) in [("001085000777", "Phạm Văn Long"), ("001085000888", "Lê Văn Cường")]
    {
        app.register_official(&official_body(national_id, name)).await;
    }
    let school = s.school["id"].as_str().unwrap();
    let client = app
        .post(&format!("/api/v1/institutions/{school}/clients"), &json!({ "label": "import" }))
        .await;
    // Nguyễn Văn An's completion was posted before, from the LMS.
    let earlier = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    let an = earlier.body["certificate"]["number"].as_str().unwrap();
    let work = tempfile::tempdir().unwrap();
    let import = Import {
        work: work.path().to_owned(),
        registry: format!("http://{address}"),
        client_id: client.body["client_id"].as_str().unwrap().to_owned(),
        client_secret: client.body["client_secret"].as_str().unwrap().to_owned(),
    };
    // As Excel saves "CSV UTF-8" under Vietnamese settings: a BOM, semicolons, day-first dates
    // and decimal commas.
    let class = s.class["id"].as_str().unwrap();
    let file = |long: &str, days: &str| {
        format!(
            "\u{feff}national_id;full_name;date_of_birth;class_id;duration_days;outcome;score\r\n\
             001085012345;Nguyễn Văn An;14/03/1985;{class};40;passed;\r\n\
             001085000777;{long};14/03/1985;{class};40;passed;\r\n\
             001085000888;Lê Văn Cường;14/03/1985;{class};{days};good;8,5\r\n\
             001185000999;Trần Thị Hà;14/03/1985;{class};40;fair;7,25\r\n"
        )
    };
    std::fs::write(work.path().join("class.csv"), file("Phạm Văn Lâm", "bốn mươi")).unwrap();
    app.register_official(&json!({
        "national_id": "001185000999", "full_name": "Trần Thị Hà", "date_of_birth": "1985-03-14",
        "gender": "female", "employment": official_body("", "")["employment"]
    }))
    .await;

    let first = import.run("class.csv", &[]).await;
    assert!(!first.ok, "rejected lines fail the import: {}", first.stdout);
    assert!(
        first
            .stdout
            .contains("line 3: identity-mismatch national_id: with full_name and date_of_birth, "),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains("line 4: malformed duration_days: column 5: expected a whole number of days"),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("1 accepted, 1 already recorded, 2 rejected, 4 lines"),
        "{}",
        first.stdout
    );
    let written = results(&work.path().join("class.results.csv"));
    let statuses: Vec<&str> = written.iter().map(|line| line[1].as_str()).collect();
    assert_eq!(statuses, ["already_recorded", "rejected", "rejected", "accepted"]);
    assert_eq!(
        written.iter().map(|line| line[0].as_str()).collect::<Vec<_>>(),
        ["2", "3", "4", "5"]
    );
    assert_eq!(written[0][2], an, "the number of the certificate issued before");
    assert_eq!(
        (written[1][3].as_str(), written[1][4].as_str()),
        ("identity-mismatch", "national_id")
    );
    assert_eq!((written[2][3].as_str(), written[2][4].as_str()), ("malformed", "duration_days"));
    for rejected in &written[1..3] {
        assert!(!rejected[5].is_empty(), "a reason in words: {rejected:?}");
        assert_eq!(rejected[2], "");
    }
    let ha = written[3][2].clone();
    assert!(ha.starts_with("HB-"), "{ha}");
    let shown = app.get(&format!("/api/v1/certificates/{ha}")).await.body;
    let outcomes = shown["credential"]["credentialSubject"]["result"].as_array().unwrap();
    let score = outcomes.iter().find(|result| {
        result["resultDescription"].as_str().is_some_and(|about| about.ends_with("#score"))
    });
    assert_eq!(score.map(|score| &score["value"]), Some(&serde_json::json!("7.25")), "{shown:#}");

    // The same file again replays the registry's answers: nothing is recorded twice.
    let replayed = import.run("class.csv", &[]).await;
    assert_eq!(replayed.stdout, first.stdout);

    // Fixed, imported again, in batches of two: the lines recorded before say so, with their
    // numbers, and the import succeeds.
    std::fs::write(work.path().join("class.csv"), file("Phạm Văn Long", "40")).unwrap();
    let fixed = import.run("class.csv", &["--results", "again.csv", "--batch-lines", "2"]).await;
    assert!(fixed.ok, "{}{}", fixed.stdout, fixed.stderr);
    assert!(
        fixed.stdout.contains("2 accepted, 2 already recorded, 0 rejected, 4 lines"),
        "{}",
        fixed.stdout
    );
    assert!(fixed.stderr.contains("batch 2/2 posted (4 of 4 lines)"), "{}", fixed.stderr);
    let written = results(&work.path().join("again.csv"));
    let statuses: Vec<&str> = written.iter().map(|line| line[1].as_str()).collect();
    assert_eq!(statuses, ["already_recorded", "accepted", "accepted", "already_recorded"]);
    assert_eq!((written[0][2].as_str(), written[3][2].as_str()), (an, ha.as_str()));
    assert_eq!(written[3][3], "duplicate-completion");
    let official = s.official["id"].as_str().unwrap();
    let listed = app.get_as_admin(&format!("/api/v1/officials/{official}/certificates")).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
}

async fn a_duplicate_completion_names_the_institutions_own_certificate(app: TestApp) {
    let s = setting(&app).await;
    let first = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:#}", first.body);
    let again = app.post_as(&s.token, "/api/v1/completions", &completion(&s.class)).await;
    again.assert_problem(StatusCode::CONFLICT, "duplicate-completion");
    assert_eq!(again.body["existing_certificate"], first.body["certificate"]["number"]);
    // In a batch too, and for a row repeated within the batch (the number it was just given).
    let rows = json!({ "rows": [completion(&s.class)] });
    let batch = app.post_as(&s.token, "/api/v1/completions/batch", &rows).await;
    let problem = &batch.body["rows"][0]["problem"];
    assert_eq!(problem["existing_certificate"], first.body["certificate"]["number"]);
}

on_both_backends!(
    an_import_explains_every_line_and_a_fixed_run_records_the_rest,
    a_duplicate_completion_names_the_institutions_own_certificate,
);

/// A registry that is not there is named as such, not as a refusal of the credentials.
#[tokio::test]
async fn an_unreachable_registry_is_reported_as_unreachable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("class.csv"),
        "national_id,full_name,date_of_birth,class_id,duration_days,outcome\n\
         001085012345,Nguyễn Văn An,1985-03-14,0193,40,passed\n",
    )
    .unwrap();
    let import = Import {
        work: work.path().to_owned(),
        registry: format!("http://{closed}"),
        client_id: "id".to_owned(),
        client_secret: "secret".to_owned(),
    };
    let run = import.run("class.csv", &[]).await;
    assert!(!run.ok);
    let expected = format!("cannot reach the registry at http://{closed}");
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    assert!(!run.stderr.contains("refused the client credentials"), "{}", run.stderr);
}
