//! `hocba import completions FILE.csv --registry URL`: an institution posts a class from a
//! spreadsheet export, in batches, each with an Idempotency-Key derived from the file, so that
//! running the import again after any failure records nothing twice. Every line's outcome is
//! written to a results file beside the input; a line the registry already holds (an earlier
//! run of the file, before some lines were fixed) is reported as already recorded, with its
//! certificate number.

mod spreadsheet;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use spreadsheet::{Reason, Spreadsheet};

/// What to import.
#[derive(Debug, clap::Subcommand)]
pub enum ImportWhat {
    /// Completions: one per line, with the columns of `POST /api/v1/completions`
    /// (national_id, full_name, date_of_birth, class_id or program_code + started_on + ended_on,
    /// duration_days, outcome, score).
    Completions(ImportArgs),
}

/// Arguments of `hocba import completions`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The CSV file: a header row, comma or semicolon separated, UTF-8 (with or without BOM),
    /// dates as YYYY-MM-DD or dd/mm/yyyy, scores as 8.5 or 8,5.
    file: PathBuf,
    /// Where to write every line's outcome [default: FILE with `.results.csv` for `.csv`].
    #[arg(long)]
    results: Option<PathBuf>,
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
    /// Lines per request (the registry takes up to 5,000).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u16).range(1..=5000))]
    batch_lines: u16,
}

/// What became of one line.
#[derive(Debug, Clone)]
enum Outcome {
    /// Recorded now, with this certificate.
    Accepted(String),
    /// Recorded before (an earlier run), with this certificate.
    AlreadyRecorded(String, Reason),
    /// Not recorded, for these reasons.
    Rejected(Vec<Reason>),
}

impl Outcome {
    fn status(&self) -> &'static str {
        match self {
            Outcome::Accepted(_) => "accepted",
            Outcome::AlreadyRecorded(..) => "already_recorded",
            Outcome::Rejected(_) => "rejected",
        }
    }
}

pub fn run(args: &ImportArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let input = spreadsheet::read(&bytes)
        .with_context(|| format!("cannot import {}", args.file.display()))?;
    if input.lines.is_empty() {
        bail!("{} has no lines under its header", args.file.display());
    }
    let results = args.results.clone().unwrap_or_else(|| results_beside(&args.file));
    let mut outcomes: Vec<Option<Outcome>> = input
        .lines
        .iter()
        .map(|line| line.row.as_ref().err().map(|reasons| Outcome::Rejected(reasons.clone())))
        .collect();
    let postable: Vec<(usize, Value)> = input
        .lines
        .iter()
        .enumerate()
        .filter_map(|(index, line)| line.row.as_ref().ok().map(|row| (index, json!(row))))
        .collect();
    if !postable.is_empty() {
        let file_digest: String =
            Sha256::digest(&bytes).iter().take(12).map(|b| format!("{b:02x}")).collect();
        let registry = Registry::sign_in(args)?;
        let mode = if args.all_or_nothing { "all_or_nothing" } else { "per_row" };
        let batch_lines = usize::from(args.batch_lines);
        let batches = postable.len().div_ceil(batch_lines);
        let progress = Progress::new(postable.len(), batches);
        let mut posted = 0;
        for (batch, chunk) in postable.chunks(batch_lines).enumerate() {
            // The same file, batch and mode always carry the same key: re-running replays.
            let key = format!("import-{file_digest}-{batch}-{mode}");
            let rows: Vec<&Value> = chunk.iter().map(|(_, row)| row).collect();
            let report = registry.post_batch(&key, &json!({ "mode": mode, "rows": rows }))?;
            for result in report["rows"].as_array().into_iter().flatten() {
                let position = result["row"].as_u64().and_then(|row| usize::try_from(row).ok());
                if let Some((line, _)) = position.and_then(|position| chunk.get(position)) {
                    outcomes[*line] = Some(outcome(result));
                }
            }
            posted += chunk.len();
            progress.batch_done(batch, posted);
        }
        progress.finish();
    }
    let no_answer = || {
        Outcome::Rejected(vec![Reason {
            code: "no-answer".to_owned(),
            field: String::new(),
            sentence: "the registry's answer did not mention this line; import the file again"
                .to_owned(),
        }])
    };
    let outcomes: Vec<Outcome> =
        outcomes.into_iter().map(|outcome| outcome.unwrap_or_else(no_answer)).collect();
    write_results(&results, &input, &outcomes)
        .with_context(|| format!("cannot write {}", results.display()))?;
    report(&input, &outcomes, &results)
}

/// `class.csv` → `class.results.csv`; any other name gets `.results.csv` added.
fn results_beside(input: &Path) -> PathBuf {
    let name =
        input.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = name.strip_suffix(".csv").or_else(|| name.strip_suffix(".CSV")).unwrap_or(&name);
    input.with_file_name(format!("{stem}.results.csv"))
}

/// One row of the registry's batch answer as a line's outcome.
fn outcome(result: &Value) -> Outcome {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    match result["status"].as_str() {
        Some("accepted") => Outcome::Accepted(text(&result["certificate_number"])),
        Some("not_written") => Outcome::Rejected(vec![Reason {
            code: "not-written".to_owned(),
            field: String::new(),
            sentence: "valid, but not recorded: another line of its batch was rejected \
                       (--all-or-nothing)"
                .to_owned(),
        }]),
        _ => {
            let problem = &result["problem"];
            if problem["code"] == "duplicate-completion"
                && let Some(number) = problem["existing_certificate"].as_str()
            {
                let reason = Reason {
                    code: "duplicate-completion".to_owned(),
                    field: String::new(),
                    sentence: "recorded before, by an earlier import or post".to_owned(),
                };
                return Outcome::AlreadyRecorded(number.to_owned(), reason);
            }
            Outcome::Rejected(reasons(problem))
        }
    }
}

/// A problem document's reasons: one per invalid field, or the problem itself; never blank.
fn reasons(problem: &Value) -> Vec<Reason> {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let fields: Vec<Reason> = problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|error| Reason {
            code: text(&error["code"]),
            field: text(&error["field"]),
            sentence: text(&error["reason"]),
        })
        .collect();
    if !fields.is_empty() {
        return fields;
    }
    let sentence = [&problem["detail"], &problem["title"]]
        .into_iter()
        .filter_map(Value::as_str)
        .find(|sentence| !sentence.is_empty())
        .unwrap_or("the registry refused this line without saying why")
        .to_owned();
    let code = problem["code"].as_str().filter(|code| !code.is_empty()).unwrap_or("refused");
    vec![Reason { code: code.to_owned(), field: String::new(), sentence }]
}

/// The input's columns and cells, then each line's number, status, certificate number and
/// reasons (several joined by ` | `, in the same order in each column); with a byte order mark
/// and the input's delimiter, so that Excel opens it as it opened the input.
fn write_results(path: &Path, input: &Spreadsheet, outcomes: &[Outcome]) -> anyhow::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    file.write_all(b"\xEF\xBB\xBF")?;
    let mut writer = csv::WriterBuilder::new().delimiter(input.delimiter).from_writer(file);
    let added = ["line", "status", "certificate_number", "code", "field", "reason"];
    writer.write_record(input.headers.iter().map(String::as_str).chain(added))?;
    for (line, outcome) in input.lines.iter().zip(outcomes) {
        let mut cells = line.cells.clone();
        cells.resize(input.headers.len(), String::new());
        let (number, reasons): (&str, &[Reason]) = match outcome {
            Outcome::Accepted(number) => (number, &[]),
            Outcome::AlreadyRecorded(number, reason) => (number, std::slice::from_ref(reason)),
            Outcome::Rejected(reasons) => ("", reasons),
        };
        let joined =
            |part: fn(&Reason) -> &str| reasons.iter().map(part).collect::<Vec<_>>().join(" | ");
        cells.extend([
            line.number.to_string(),
            outcome.status().to_owned(),
            number.to_owned(),
            joined(|reason| &reason.code),
            joined(|reason| &reason.field),
            joined(|reason| &reason.sentence),
        ]);
        writer.write_record(&cells)?;
    }
    writer.flush()?;
    Ok(())
}

/// Prints each rejected line and the totals; fails when a line is not recorded.
fn report(input: &Spreadsheet, outcomes: &[Outcome], results: &Path) -> anyhow::Result<()> {
    let count = |status: &str| outcomes.iter().filter(|o| o.status() == status).count();
    for (line, outcome) in input.lines.iter().zip(outcomes) {
        if let Outcome::Rejected(reasons) = outcome {
            for reason in reasons {
                let field = if reason.field.is_empty() {
                    String::new()
                } else {
                    format!(" {}", reason.field)
                };
                println!("line {}: {}{field}: {}", line.number, reason.code, reason.sentence);
            }
        }
    }
    let rejected = count("rejected");
    println!(
        "{} accepted, {} already recorded, {rejected} rejected, {} lines; results in {}",
        count("accepted"),
        count("already_recorded"),
        outcomes.len(),
        results.display()
    );
    if rejected > 0 {
        bail!("{rejected} lines were not recorded; fix them and import the file again")
    }
    Ok(())
}

/// The registry, signed in to as the institution.
struct Registry {
    url: String,
    token: String,
}

impl Registry {
    /// Exchanges the client credentials for an access token.
    fn sign_in(args: &ImportArgs) -> anyhow::Result<Registry> {
        let url = args.registry.trim_end_matches('/').to_owned();
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", args.client_id.as_str()),
            ("client_secret", args.client_secret.as_str()),
        ];
        let mut response = ureq::post(&format!("{url}/oauth/token"))
            .config()
            .http_status_as_error(false)
            .build()
            .send_form(form)
            .map_err(|error| unreachable(&url, error))?;
        let status = response.status();
        let answer: Value =
            serde_json::from_str(&response.body_mut().read_to_string()?).unwrap_or(Value::Null);
        if status == 400 || status == 401 {
            bail!("the registry at {url} refused the client credentials: {}", said(&answer));
        }
        if !status.is_success() {
            bail!("the registry at {url} answered {status}: {}", said(&answer));
        }
        let token = answer["access_token"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("the registry at {url} gave no access token"))?;
        Ok(Registry { url, token })
    }

    /// Posts one batch; returns the report, with a result per row.
    fn post_batch(&self, key: &str, body: &Value) -> anyhow::Result<Value> {
        let url = &self.url;
        let mut response = ureq::post(&format!("{url}/api/v1/completions/batch"))
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Idempotency-Key", key)
            .content_type("application/json")
            .config()
            .http_status_as_error(false)
            .build()
            .send(body.to_string())
            .map_err(|error| unreachable(url, error))?;
        let status = response.status();
        let report: Value =
            serde_json::from_str(&response.body_mut().read_to_string()?).unwrap_or(Value::Null);
        if report.get("rows").is_none() {
            bail!("the registry at {url} refused a batch ({status}): {}", said(&report));
        }
        Ok(report)
    }
}

/// A request that got no answer: the registry is down, mistyped or behind a firewall.
fn unreachable(url: &str, error: ureq::Error) -> anyhow::Error {
    anyhow::anyhow!("cannot reach the registry at {url}: {error}")
}

/// What a problem document says, for a message.
fn said(problem: &Value) -> String {
    reasons(problem)
        .into_iter()
        .map(|reason| format!("{} {}", reason.code, reason.sentence))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Progress through more than one batch: a bar on a terminal, a line per batch otherwise.
enum Progress {
    Quiet,
    Lines { batches: usize, total: usize },
    Bar(indicatif::ProgressBar),
}

impl Progress {
    fn new(rows: usize, batches: usize) -> Progress {
        if batches < 2 {
            return Progress::Quiet;
        }
        if !std::io::stderr().is_terminal() {
            return Progress::Lines { batches, total: rows };
        }
        let bar = indicatif::ProgressBar::new(rows as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} lines posted ({eta})")
        {
            bar.set_style(style);
        }
        Progress::Bar(bar)
    }

    /// Batch `batch` (from 0) is posted, and with it `posted` lines in all.
    fn batch_done(&self, batch: usize, posted: usize) {
        match self {
            Progress::Quiet => {}
            Progress::Lines { batches, total } => {
                eprintln!("batch {}/{batches} posted ({posted} of {total} lines)", batch + 1);
            }
            Progress::Bar(bar) => bar.set_position(posted as u64),
        }
    }

    fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
