//! `hocba verify FILE`: the same verifier as the API, from the registry's published DID document
//! and status lists: downloaded beforehand (`--keys`, `--status`: fully offline), or fetched from
//! the registry (`--registry`). With `--national-id`, it also says whether the person
//! presenting the certificate is its holder, by the salted hash the credential carries.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use hocba_credentials::certificate::holder_matches;
use hocba_credentials::verify::{Presented, Trust, Verifier};
use hocba_credentials::{Bitstring, KeySet, status};
use hocba_domain::NationalId;
use serde_json::{Map, Value};

/// Arguments of `hocba verify`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["keys", "registry"])))]
pub struct VerifyArgs {
    /// The certificate: its JSON credential, or its compact JWS.
    file: PathBuf,
    /// The registry's DID document (`/.well-known/did.json`), downloaded beforehand.
    #[arg(long)]
    keys: Option<PathBuf>,
    /// Status list credentials (`/status-lists/N`), downloaded beforehand; repeat for several.
    #[arg(long, requires = "keys")]
    status: Vec<PathBuf>,
    /// Fetch the DID document and the certificate's status list from this registry
    /// (`https://hocba.gov.vn`) instead.
    #[arg(long)]
    registry: Option<String>,
    /// The national ID number of the person presenting the certificate: says whether it is the
    /// holder's (by the credential's salted hash; the number is printed nowhere).
    #[arg(long, value_name = "NUMBER")]
    national_id: Option<String>,
}

fn object(text: &str, source: &str) -> anyhow::Result<Map<String, Value>> {
    match serde_json::from_str(text) {
        Ok(Value::Object(object)) => Ok(object),
        _ => bail!("{source} is not a JSON object"),
    }
}

fn read_json(path: &PathBuf) -> anyhow::Result<Map<String, Value>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    object(&text, &path.display().to_string())
}

fn fetch_json(url: &str) -> anyhow::Result<Map<String, Value>> {
    let text = ureq::get(url)
        .header("Accept", "application/json")
        .call()
        .and_then(|mut response| response.body_mut().read_to_string())
        .with_context(|| format!("cannot fetch {url}"))?;
    object(&text, url)
}

pub fn run(args: &VerifyArgs) -> anyhow::Result<()> {
    // The error says what is wrong with the number, never the number.
    let national_id = args
        .national_id
        .as_deref()
        .map(NationalId::parse_format)
        .transpose()
        .map_err(|error| anyhow::anyhow!("--national-id {error}"))?;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let presented = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(credential)) => Presented::Credential(credential),
        _ => Presented::Jws(text.trim().to_owned()),
    };
    let (did_document, status_lists) = match (&args.keys, &args.registry) {
        (Some(keys), _) => {
            let lists =
                args.status.iter().map(|path| Ok((path.display().to_string(), read_json(path)?)));
            (read_json(keys)?, lists.collect::<anyhow::Result<Vec<_>>>()?)
        }
        (None, Some(registry)) => fetch_from(registry, &presented)?,
        (None, None) => bail!("give --keys FILE or --registry URL"),
    };
    let keys = KeySet::from_did_document(&Value::Object(did_document))
        .context("the registry's keys are not a DID document")?;
    let now = time::OffsetDateTime::now_utc();
    let no_lists = HashMap::new();
    // A status list counts only if it is itself a valid credential of the same registry.
    let mut lists: HashMap<String, Bitstring> = HashMap::new();
    for (source, list) in status_lists {
        let report = Verifier { keys: &keys, status: &no_lists, now, trust: Trust::RegistryOnly }
            .verify(&Presented::Credential(list.clone()));
        let proof_ok = report.checks.iter().filter(|c| c.check != "status").all(|c| c.passed);
        if !proof_ok {
            bail!("the status list {source} does not verify");
        }
        let url = list.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        lists.insert(url, status::bits_of(&list)?);
    }
    let report = Verifier { keys: &keys, status: &lists, now, trust: Trust::RegistryOnly }
        .verify(&presented);
    for check in &report.checks {
        println!(
            "{}  {:<24} {}",
            if check.passed { "pass" } else { "FAIL" },
            check.check,
            check.reason
        );
    }
    let holder_match = national_id.as_ref().map(|national_id| {
        report.credential.as_ref().and_then(|credential| holder_matches(credential, national_id))
    });
    match holder_match {
        None => {}
        Some(None) => {
            println!("----  holder                   no hashed national ID number to compare")
        }
        Some(Some(true)) => {
            println!("pass  holder                   the national ID number matches")
        }
        Some(Some(false)) => {
            println!("FAIL  holder                   the national ID number does not match")
        }
    }
    if !report.verified {
        bail!("not verified")
    }
    println!("verified");
    if holder_match == Some(Some(false)) {
        bail!("the person presenting the certificate is not its holder");
    }
    Ok(())
}

/// Fetches the registry's DID document and the registry's status lists the certificate (or a
/// transcript and the certificates inside it) names. Nothing outside the registry is fetched.
#[allow(clippy::type_complexity)]
fn fetch_from(
    registry: &str,
    presented: &Presented,
) -> anyhow::Result<(Map<String, Value>, Vec<(String, Map<String, Value>)>)> {
    let registry = registry.trim_end_matches('/');
    let did_document = fetch_json(&format!("{registry}/.well-known/did.json"))?;
    let mut lists = Vec::new();
    // A transcript's certificates may name other lists than the transcript does.
    for (entry, _) in presented.status_entries() {
        let known = lists.iter().any(|(list, _)| *list == entry.list);
        if !known && entry.list.starts_with(&format!("{registry}/")) {
            let list = fetch_json(&entry.list)?;
            lists.push((entry.list, list));
        }
    }
    Ok((did_document, lists))
}
