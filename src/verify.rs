//! `hocba verify FILE`: the same verifier as the API, offline, from the registry's published DID
//! document and status lists.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use hocba_credentials::verify::{Presented, Trust, Verifier};
use hocba_credentials::{Bitstring, KeySet, status};
use serde_json::{Map, Value};

/// Arguments of `hocba verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The certificate: its JSON credential, or its compact JWS.
    file: PathBuf,
    /// The registry's DID document (`/.well-known/did.json`), downloaded beforehand.
    #[arg(long)]
    keys: PathBuf,
    /// Status list credentials (`/status-lists/N`), downloaded beforehand; repeat for several.
    #[arg(long)]
    status: Vec<PathBuf>,
}

fn read_json(path: &PathBuf) -> anyhow::Result<Map<String, Value>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    match serde_json::from_str(&text) {
        Ok(Value::Object(object)) => Ok(object),
        _ => bail!("{} is not a JSON object", path.display()),
    }
}

pub fn run(args: &VerifyArgs) -> anyhow::Result<()> {
    let keys = KeySet::from_did_document(&Value::Object(read_json(&args.keys)?))
        .context("the --keys file is not a DID document")?;
    let now = time::OffsetDateTime::now_utc();
    let no_lists = HashMap::new();
    // A status list counts only if it is itself a valid credential of the same registry.
    let mut lists: HashMap<String, Bitstring> = HashMap::new();
    for path in &args.status {
        let list = read_json(path)?;
        let report = Verifier { keys: &keys, status: &no_lists, now, trust: Trust::RegistryOnly }
            .verify(&Presented::Credential(list.clone()));
        let proof_ok = report.checks.iter().filter(|c| c.check != "status").all(|c| c.passed);
        if !proof_ok {
            bail!("the status list {} does not verify", path.display());
        }
        let url = list.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        lists.insert(url, status::bits_of(&list)?);
    }
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let presented = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(credential)) => Presented::Credential(credential),
        _ => Presented::Jws(text.trim().to_owned()),
    };
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
    if report.verified {
        println!("verified");
        Ok(())
    } else {
        bail!("not verified")
    }
}
