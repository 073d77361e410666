//! `hocba import completions FILE.csv --registry URL`: an institution posts a class from a
//! spreadsheet export, in batches, each with an Idempotency-Key derived from the file, so that
//! running the import again after any failure records nothing twice.

use std::path::PathBuf;

use anyhow::{Context, bail};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// Rows per request (the registry accepts up to 5,000).
const BATCH: usize = 1000;

/// What to import.
#[derive(Debug, clap::Subcommand)]
pub enum ImportWhat {
    /// Completions: one per row, with the columns of `POST /api/v1/completions`
    /// (national_id, full_name, date_of_birth, class_id or program_code + started_on + ended_on,
    /// duration_days, outcome, score).
    Completions(ImportArgs),
}

/// Arguments of `hocba import completions`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The CSV file (UTF-8, a header row).
    file: PathBuf,
    /// The registry (`https://hocba.gov.vn`).
    #[arg(long, env = "HOCBA_REGISTRY")]
    registry: String,
    /// The institution's API client id.
    #[arg(long, env = "HOCBA_CLIENT_ID")]
    client_id: String,
    /// The institution's API client secret.
    #[arg(long, env = "HOCBA_CLIENT_SECRET", hide_env_values = true)]
    client_secret: String,
    /// Record nothing unless every row of a batch is valid.
    #[arg(long)]
    all_or_nothing: bool,
}

/// One CSV row as the JSON object the API takes: empty cells are absent, numbers are numbers.
fn row_object(headers: &csv::StringRecord, record: &csv::StringRecord) -> Map<String, Value> {
    headers
        .iter()
        .zip(record.iter())
        .filter(|(_, cell)| !cell.trim().is_empty())
        .map(|(header, cell)| {
            let cell = cell.trim();
            let value = match header.trim() {
                "duration_days" | "score" => serde_json::from_str::<serde_json::Number>(cell)
                    .map_or_else(|_| json!(cell), Value::Number),
                _ => json!(cell),
            };
            (header.trim().to_owned(), value)
        })
        .collect()
}

pub fn run(args: &ImportArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let file_digest: String =
        Sha256::digest(&bytes).iter().take(12).map(|b| format!("{b:02x}")).collect();
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let headers = reader.headers().context("the CSV file has no header row")?.clone();
    let rows: Vec<Value> = reader
        .records()
        .map(|record| record.map(|record| Value::Object(row_object(&headers, &record))))
        .collect::<Result<_, _>>()
        .context("the CSV file is malformed")?;
    if rows.is_empty() {
        bail!("the CSV file has no rows");
    }
    let registry = args.registry.trim_end_matches('/');
    let token = access_token(registry, args)?;
    let mode = if args.all_or_nothing { "all_or_nothing" } else { "per_row" };
    let (mut accepted, mut rejected) = (0, 0);
    for (batch, chunk) in rows.chunks(BATCH).enumerate() {
        // The same file, batch and mode always carry the same key: re-running replays.
        let key = format!("import-{file_digest}-{batch}-{mode}");
        let body = json!({ "mode": mode, "rows": chunk });
        let mut response = ureq::post(&format!("{registry}/api/v1/completions/batch"))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Idempotency-Key", &key)
            .content_type("application/json")
            .config()
            .http_status_as_error(false)
            .build()
            .send(body.to_string())
            .with_context(|| format!("cannot reach {registry}"))?;
        let status = response.status().as_u16();
        let report: Value = serde_json::from_str(&response.body_mut().read_to_string()?)
            .with_context(|| format!("the registry answered {status} without a report"))?;
        if report.get("rows").is_none() {
            bail!("the registry refused batch {}: {report}", batch + 1);
        }
        for row in report["rows"].as_array().into_iter().flatten() {
            let line = batch * BATCH + row["row"].as_u64().unwrap_or_default() as usize + 2;
            match row["status"].as_str() {
                Some("accepted") => accepted += 1,
                Some("rejected") => {
                    rejected += 1;
                    let problem = &row["problem"];
                    let fields: Vec<String> = problem["errors"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|error| {
                            format!(
                                "{}: {}",
                                error["field"].as_str().unwrap_or("?"),
                                error["reason"].as_str().unwrap_or("")
                            )
                        })
                        .collect();
                    println!(
                        "line {line}: {} {}",
                        problem["code"].as_str().unwrap_or(""),
                        fields.join("; ")
                    );
                }
                _ => {}
            }
        }
    }
    println!("{accepted} accepted, {rejected} rejected, {} rows", rows.len());
    if rejected > 0 { bail!("{rejected} rows were rejected") } else { Ok(()) }
}

fn access_token(registry: &str, args: &ImportArgs) -> anyhow::Result<String> {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", args.client_id.as_str()),
        ("client_secret", args.client_secret.as_str()),
    ];
    let mut response = ureq::post(&format!("{registry}/oauth/token"))
        .send_form(form)
        .with_context(|| format!("{registry} refused the client credentials"))?;
    let answer: Value = serde_json::from_str(&response.body_mut().read_to_string()?)?;
    answer["access_token"].as_str().map(str::to_owned).context("no access token in the answer")
}
