//! `hocba rules`: the training standards' rules file.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use hocba_domain::{RULES_FILE, parse_rules};
use hocba_store::{Actor, Store};

/// What to do with the rules.
#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// Load a rules file (the shipped one when none is given): its rules are added or brought
    /// into line with it; rules it does not list stay, ended only by their valid_to.
    Load {
        /// The rules file (CSV, as crates/hocba-domain/data/rules-2026-01.csv).
        file: Option<PathBuf>,
    },
}

pub async fn run(store: &Store, action: RulesAction) -> anyhow::Result<()> {
    let RulesAction::Load { file } = action;
    let text = match &file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        None => RULES_FILE.to_owned(),
    };
    let rules = parse_rules(&text)?;
    let loaded = store.load_rules(&Actor::System, &rules).await?;
    eprintln!(
        "{} rules: {} added, {} updated, {} unchanged",
        rules.len(),
        loaded.added,
        loaded.updated,
        loaded.unchanged
    );
    Ok(())
}
