//! `hocba audit verify`: the audit chain, and the audit log against a checkpoint kept earlier.

use std::path::Path;

use anyhow::{Context, bail};
use hocba_credentials::checkpoint::Checkpoint;
use hocba_credentials::{KeyStatus, multikey};
use hocba_store::Store;
use hocba_store::audit_log::{self, TreeHash};

fn hex(hash: &TreeHash) -> String {
    hash.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Re-checks the audit chain and, given a checkpoint, the log against it; prints what it found
/// and fails when anything does not hold.
pub async fn verify(store: &Store, checkpoint: Option<&Path>) -> anyhow::Result<()> {
    let chain = chain_intact(store).await?;
    let log = match checkpoint {
        Some(file) => against_checkpoint(store, file).await,
        None => Ok(()),
    };
    match (chain, log) {
        (_, Err(error)) => Err(error),
        (Some(seq), Ok(())) => bail!("the audit chain is broken at event {seq}"),
        (None, Ok(())) => Ok(()),
    }
}

/// Prints the chain's report; the first broken event, if any.
async fn chain_intact(store: &Store) -> anyhow::Result<Option<i64>> {
    let report = store.verify_audit_chain().await?;
    println!("events: {}\nhead: {}", report.events, report.head);
    match report.first_broken {
        None => println!("intact: yes"),
        Some(seq) => println!("intact: no\nfirst broken event: {seq}"),
    }
    Ok(report.first_broken)
}

/// Checks the checkpoint in `file`: signed by a key of the registry that is not revoked; the
/// events of the log, hashed afresh, give its root at its size; and the registry's own tree,
/// from which it serves proofs, proves the log now consistent with it.
async fn against_checkpoint(store: &Store, file: &Path) -> anyhow::Result<()> {
    let note = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the checkpoint {}", file.display()))?;
    let mut keys = Vec::new();
    for key in store.signing_keys().await? {
        if key.status != KeyStatus::Revoked {
            keys.push(multikey::from_multikey(&key.public_key)?);
        }
    }
    let checkpoint = Checkpoint::open(&note, &keys)
        .with_context(|| format!("the checkpoint {} cannot be trusted", file.display()))?;
    println!(
        "checkpoint: {} events, root {}, signed by the registry",
        checkpoint.size,
        hex(&checkpoint.root_hash)
    );
    let check = store.check_audit_log(checkpoint.size).await?;
    println!("log now: {} events, root {}", check.events, hex(&check.root));
    let Some(old_root) = check.old_root else {
        bail!(
            "the log holds {} events, fewer than the {} of the checkpoint: events were deleted",
            check.events,
            checkpoint.size
        );
    };
    if old_root != checkpoint.root_hash {
        let hint = match check.first_unlike_stored {
            Some((index, Some(seq))) => {
                format!(" (the first event unlike the registry's tree: leaf {index}, seq {seq})")
            }
            _ => String::new(),
        };
        bail!(
            "the first {} events no longer hash to the checkpoint's root: events were altered, \
             deleted or reordered since it was signed{hint}",
            checkpoint.size
        );
    }
    if let Some((index, _)) = check.first_unlike_stored {
        bail!(
            "the registry's stored tree differs from its events from leaf {index}: its proofs cannot be trusted"
        );
    }
    let proof = store.audit_consistency_proof(checkpoint.size.max(1), check.events).await;
    let consistent = checkpoint.size == 0
        || proof.is_ok_and(|proof| {
            audit_log::consistency_holds(
                (checkpoint.size, &checkpoint.root_hash),
                (check.events, &check.root),
                &proof,
            )
        });
    if !consistent {
        bail!("the registry's consistency proof from the checkpoint to the log now does not hold");
    }
    println!("consistent with the checkpoint: yes");
    Ok(())
}
