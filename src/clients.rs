//! `hocba clients`: machine clients (the National Public Service Portal, agencies' systems),
//! managed from the database directly like `hocba keys`, as the operator at the console.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use hocba_api::{AuthMethod, MachineClientBody, MachineClientView, register_machine_client};
use hocba_store::{Actor, Scope, Store};
use uuid::Uuid;

/// What to do with machine clients.
#[derive(Debug, Subcommand)]
pub enum ClientAction {
    /// Register a system; a client with a secret has it printed once.
    Add {
        /// The system's name.
        #[arg(long, value_parser = crate::free_text::<100>)]
        name: String,
        /// A scope its tokens may carry: records:read, events:read, webhooks:manage,
        /// completions:write (repeat the option for several).
        #[arg(long = "scope", required = true, value_parser = parse_scope)]
        scopes: Vec<Scope>,
        /// The agency it acts for: the HR rule of that agency applies to it.
        #[arg(long)]
        agency: Option<String>,
        /// With --agency: cover the staff of the agency's sub-units too.
        #[arg(long, requires = "agency")]
        include_subunits: bool,
        /// Authenticate with private_key_jwt, with the public key in this JWK file (Ed25519 or
        /// RSA of 2048 bits or more) instead of a secret.
        #[arg(long)]
        jwk: Option<PathBuf>,
    },
    /// List every client, revoked ones included.
    List,
    /// Revoke a client: it gets no more tokens, and its tokens stop working at once.
    Revoke {
        /// The client_id.
        client_id: Uuid,
    },
}

fn parse_scope(value: &str) -> Result<Scope, String> {
    value.parse().map_err(|error: hocba_store::UnknownScope| error.to_string())
}

pub async fn run(store: &Store, action: ClientAction) -> anyhow::Result<()> {
    let failed = |error: hocba_api::ApiError| anyhow::anyhow!("{error}");
    match action {
        ClientAction::Add { name, scopes, agency, include_subunits, jwk } => {
            let jwk = match jwk {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    Some(
                        serde_json::from_str(&text)
                            .with_context(|| format!("{} is not JSON", path.display()))?,
                    )
                }
                None => None,
            };
            let body = MachineClientBody {
                name,
                scopes,
                agency_code: agency,
                include_subunits,
                token_endpoint_auth_method: match jwk {
                    Some(_) => AuthMethod::PrivateKeyJwt,
                    None => AuthMethod::ClientSecret,
                },
                jwk,
            };
            let created =
                register_machine_client(store, &Actor::System, body).await.map_err(|error| {
                    match error.problem().errors.first() {
                        Some(field) => anyhow::anyhow!("{}: {}", field.field, field.reason),
                        None => failed(error),
                    }
                })?;
            println!("client_id: {}", created.client.client_id);
            if let Some(secret) = created.client_secret {
                println!("client_secret: {secret}");
                eprintln!("the secret is shown this once: hand it to the system's operator");
            }
        }
        ClientAction::List => {
            for client in store.machine_clients().await? {
                println!("{}", line(&client.into()));
            }
        }
        ClientAction::Revoke { client_id } => {
            let client = store.revoke_machine_client(&Actor::System, client_id).await?;
            println!("{}", line(&client.into()));
        }
    }
    Ok(())
}

/// One client on one line: id, state, method, scopes, agency, name.
fn line(client: &MachineClientView) -> String {
    let state = if client.revoked_at.is_some() { "revoked" } else { "active" };
    let method = match client.token_endpoint_auth_method {
        AuthMethod::ClientSecret => "client_secret",
        AuthMethod::PrivateKeyJwt => "private_key_jwt",
    };
    let scopes: Vec<_> = client.scopes.iter().map(|scope| scope.as_str()).collect();
    let agency = match (&client.agency_code, client.include_subunits) {
        (Some(code), true) => format!("{code}+subunits"),
        (Some(code), false) => code.clone(),
        (None, _) => "-".to_owned(),
    };
    format!(
        "{}  {state:<7}  {method:<15}  {}  {agency}  {}",
        client.client_id,
        scopes.join(","),
        client.name
    )
}
