//! `hocba keys`: the registry's identity (base URL, key directory) and key management.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use hocba_api::Authority;
use hocba_credentials::{KeyDir, KeyStatus, Registry};
use hocba_store::{Actor, Store};

/// Where the registry's keys live and under which URL it is published.
#[derive(Debug, clap::Args)]
pub struct IdentityArgs {
    /// Directory of the private signing keys (created mode 0700; files mode 0600).
    #[arg(long, env = "HOCBA_KEYS_DIR", default_value = "hocba-keys")]
    pub keys_dir: PathBuf,
    /// Public base URL of the registry: its DID is `did:web` of this URL, and status lists are
    /// published under it. Defaults to `http://` and the listening address.
    #[arg(long, env = "HOCBA_BASE_URL")]
    pub base_url: Option<String>,
}

impl IdentityArgs {
    /// The authority these arguments describe. Private keys are encrypted with
    /// `HOCBA_KEY_PASSPHRASE` when it is set (plain PEM files otherwise, for development).
    pub fn authority(&self, listen: Option<SocketAddr>) -> anyhow::Result<Authority> {
        let base_url = match (&self.base_url, listen) {
            (Some(url), _) => url.clone(),
            (None, Some(listen)) => format!("http://{listen}"),
            (None, None) => "http://127.0.0.1:8080".to_owned(),
        };
        let passphrase = std::env::var("HOCBA_KEY_PASSPHRASE").ok();
        if passphrase.is_none() {
            tracing::warn!(
                "HOCBA_KEY_PASSPHRASE is not set: new private keys are stored unencrypted"
            );
        }
        let key_dir = KeyDir::open(&self.keys_dir, passphrase).with_context(|| {
            format!("cannot open the key directory {}", self.keys_dir.display())
        })?;
        Ok(Authority::new(Registry::new(&base_url, "Hocba — national training registry"), key_dir))
    }
}

/// What to do with the keys.
#[derive(Debug, clap::Subcommand)]
pub enum KeyAction {
    /// List every key with its status.
    List,
    /// Generate a new active key; the current one is retired (it keeps verifying).
    Rotate,
    /// Stop a key from signing; what it signed still verifies.
    Retire {
        /// Key id.
        kid: String,
    },
    /// Declare a key compromised: everything it signed fails verification.
    Revoke {
        /// Key id.
        kid: String,
        /// Why (kept in the audit trail).
        #[arg(long, value_parser = crate::free_text::<500>)]
        note: Option<String>,
    },
}

pub async fn run(store: &Store, authority: &Authority, action: KeyAction) -> anyhow::Result<()> {
    let failed = |error: hocba_api::ApiError| anyhow::anyhow!("{error}");
    match action {
        KeyAction::List => {
            for key in store.signing_keys().await? {
                println!(
                    "{}  {:<8} created {}",
                    key.kid,
                    key.status.as_str(),
                    key.created_at.date()
                );
            }
        }
        KeyAction::Rotate => {
            let key = authority.rotate(store, &Actor::System).await.map_err(failed)?;
            println!("{}  active (running servers pick it up at their next signature)", key.kid);
        }
        KeyAction::Retire { kid } => {
            let key = store
                .set_signing_key_status(&Actor::System, &kid, KeyStatus::Retired, None)
                .await?;
            println!("{}  {}", key.kid, key.status.as_str());
        }
        KeyAction::Revoke { kid, note } => {
            let key = store
                .set_signing_key_status(&Actor::System, &kid, KeyStatus::Revoked, note.as_deref())
                .await?;
            println!(
                "{}  {}: certificates it signed now fail verification",
                key.kid,
                key.status.as_str()
            );
        }
    }
    Ok(())
}
