//! Posting a class: every row checked, certificates signed on other threads while the rows
//! are written, in one transaction.

use hocba_domain::{InstitutionId, PostedCompletion};
use sea_orm::{DatabaseTransaction, EntityTrait};
use serde_json::json;
use std::collections::HashMap;

use time::Date;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::{certificate, completion};
use crate::idempotency::{Answer, IdempotencyKey, remember};
use crate::{Actor, Store, StoreError};

use super::issuing::{Checked, Issued, Signing, certify, ensure_active, institution_facts};
use super::posting::{Lookups, check_row, posted_details, posted_events};
use super::reads::latest_certificates;
use super::{BatchResults, Posted, Sign, into_completion};

/// Rows a signing thread signs before handing them to the writer: small enough that writing
/// starts soon, large enough that a multi-row insert stays worth it.
pub(super) const SIGNED_CHUNK: usize = 100;

impl Store {
    /// Posts a class's completions in one transaction. Per row (`all_or_nothing` false), each
    /// row is recorded or refused on its own (a refused row leaves no trace); all or nothing,
    /// the first refused row refuses the batch and nothing is written. Either way the answer has
    /// one result per row, in order.
    #[allow(clippy::too_many_arguments)]
    pub async fn post_completions(
        &self,
        actor: &Actor,
        institution_id: InstitutionId,
        rows: &[PostedCompletion],
        all_or_nothing: bool,
        keyed: Option<(&IdempotencyKey, Answer<'_, BatchResults>)>,
        kid: &str,
        sign: &Sign,
    ) -> Result<BatchResults, StoreError> {
        let txn = self.write().await?;
        ensure_active(&txn, kid).await?;
        let mut lookups = Lookups::new(&txn, self, institution_id, rows.len()).await?;
        lookups.prefetch(&txn, rows).await?;

        // 1. Check every row, reading only. Rows repeated within the batch are duplicates too.
        let mut verdicts: Vec<Result<usize, StoreError>> = Vec::with_capacity(rows.len());
        let mut checked: Vec<SlottedRow> = Vec::with_capacity(rows.len());
        let mut in_batch: HashMap<(Uuid, Uuid, Date, Date), Uuid> = HashMap::new();
        for posted in rows {
            match check_row(&txn, actor, &mut lookups, posted, None).await {
                Ok(row) => {
                    let completion = &row.completion;
                    let identity = (
                        completion.official_id,
                        completion.program_id,
                        completion.started_on,
                        completion.ended_on,
                    );
                    if let Some(first) = in_batch.get(&identity) {
                        verdicts.push(Err(StoreError::DuplicateCompletion {
                            completion_id: *first,
                            certificate: None,
                        }));
                        continue;
                    }
                    in_batch.insert(identity, completion.id);
                    verdicts.push(Ok(checked.len()));
                    let slot = lookups.slot(&txn).await?;
                    checked.push((row, slot));
                }
                Err(refused) if refused.is_refusal() => verdicts.push(Err(refused)),
                Err(failure) => return Err(failure),
            }
        }
        // 2. Sign on other threads, while this one writes the completions and then each chunk
        //    of certificates as it is signed.
        let completions: Vec<completion::ActiveModel> =
            checked.iter().map(|(row, _)| row.completion.clone().into()).collect();
        let mut chunks: Vec<Option<SignedRows>> =
            (0..checked.len().div_ceil(SIGNED_CHUNK)).map(|_| None).collect();
        let signing = Signing { kid, sign, serials: &lookups.serials };
        let mut signed = sign_in_background(checked, &lookups.institution, signing);
        for models in owned_chunks(completions, audit::INSERT_CHUNK) {
            completion::Entity::insert_many(models).exec(&txn).await?;
        }
        while let Some((index, rows)) = signed.recv().await {
            let rows = rows?;
            let models =
                rows.iter().map(|(_, issued)| certificate::ActiveModel::from(issued.row.clone()));
            certificate::Entity::insert_many(models)
                .exec(&txn)
                .await
                .map_err(StoreError::unique("number"))?;
            let slot = chunks.get_mut(index).ok_or_else(signing_panicked)?;
            *slot = Some(rows);
        }
        // A chunk that never came is one a signing thread dropped when it panicked.
        let checked: SignedRows = chunks
            .into_iter()
            .map(|chunk| chunk.ok_or_else(signing_panicked))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        let change = (!checked.is_empty()).then(|| class_posted_event(institution_id, &checked));
        let mut written: Vec<Option<Posted>> = Vec::with_capacity(checked.len());
        for (row, issued) in checked {
            written.push(Some((into_completion(row.completion)?, issued.into_certificate()?)));
        }
        let mut results: BatchResults = verdicts
            .into_iter()
            .map(|verdict| {
                verdict.and_then(|index| {
                    written
                        .get_mut(index)
                        .and_then(Option::take)
                        .ok_or_else(|| StoreError::corrupt("completions", "batch bookkeeping"))
                })
            })
            .collect();
        let rolled_back = all_or_nothing && results.iter().any(Result::is_err);
        name_existing_certificates(&txn, &mut results, !rolled_back).await?;
        if rolled_back {
            // Nothing written; a retry gets the same refusal, so nothing need be remembered.
            txn.rollback().await?;
        } else {
            // Rows not compared for want of identity refusals are answered again once the
            // day is over: the same batch sent then, with the same key, is checked anew.
            let not_compared = results
                .iter()
                .any(|row| matches!(row, Err(StoreError::IdentityRefusalsSpent { .. })));
            if let Some((key, answer)) = keyed.filter(|_| !not_compared) {
                remember(&txn, key, answer(&results)).await?;
            }
            // Last before the commit: from here until it, other postings wait for the chain.
            // One audit event for the class, but each completion's public events: a follower
            // of the feed fetches each certificate on its own.
            if let Some(change) = change {
                let events = results.iter().flatten().flat_map(posted_events).collect();
                audit::append_publishing(&txn, actor, change, events).await?;
            }
            self.commit_publishing(txn).await?;
        }
        Ok(results)
    }
}

/// The one event of a posted class: every completion recorded, in row order, as
/// `posting::posted_event` states one. One event rather than one per row, because each event of
/// the chain costs two inserts into indices of random hashes, as much as the rest of the row.
fn class_posted_event(institution_id: InstitutionId, rows: &SignedRows) -> Change {
    let completions: Vec<_> = rows
        .iter()
        .map(|(row, issued)| {
            let mut details = posted_details(&row.completion, &issued.row);
            details.insert("completion_id".into(), row.completion.id.to_string().into());
            serde_json::Value::Object(details)
        })
        .collect();
    Change {
        action: "completions.posted",
        subject_type: "institution",
        subject_id: institution_id.to_string(),
        details: json!({ "completions": completions }),
    }
}

/// A checked row and the status slot reserved for its certificate.
pub(super) type SlottedRow = (Checked, (i32, u32));

/// Checked rows with their signed certificates.
pub(super) type SignedRows = Vec<(Checked, Issued)>;

/// Signs the certificates of `rows` on every core, in chunks of [`SIGNED_CHUNK`], each sent as
/// soon as it is signed with its position among the chunks. Signing needs no I/O; the channel
/// closes when every chunk is sent (or a thread failed).
pub(super) fn sign_in_background(
    rows: Vec<SlottedRow>,
    institution: &crate::Institution,
    signing: Signing<'_>,
) -> tokio::sync::mpsc::UnboundedReceiver<(usize, Result<SignedRows, StoreError>)> {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let workers = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, 8);
    let mut shares: Vec<Vec<(usize, Vec<SlottedRow>)>> = (0..workers).map(|_| Vec::new()).collect();
    for (index, chunk) in owned_chunks(rows, SIGNED_CHUNK).enumerate() {
        shares[index % workers].push((index, chunk));
    }
    for share in shares.into_iter().filter(|share| !share.is_empty()) {
        let (sender, sign, kid, serials) =
            (sender.clone(), signing.sign.clone(), signing.kid.to_owned(), signing.serials.clone());
        let institution = institution_facts(institution);
        tokio::task::spawn_blocking(move || {
            let signing = Signing { kid: &kid, sign: &sign, serials: &serials };
            for (index, chunk) in share {
                let signed = chunk
                    .into_iter()
                    .map(|(row, slot)| {
                        let certificate = certify(&row, institution.clone(), slot, signing)?;
                        Ok((row, certificate))
                    })
                    .collect();
                if sender.send((index, signed)).is_err() {
                    return; // the writer gave up
                }
            }
        });
    }
    receiver
}

/// `items` in chunks of `size`, in order, moved rather than copied.
pub(super) fn owned_chunks<T>(items: Vec<T>, size: usize) -> impl Iterator<Item = Vec<T>> {
    let mut items = items.into_iter();
    std::iter::from_fn(move || {
        let chunk: Vec<T> = items.by_ref().take(size).collect();
        (!chunk.is_empty()).then_some(chunk)
    })
}

pub(super) fn signing_panicked() -> StoreError {
    StoreError::Signing { reason: "a signing thread panicked".to_owned() }
}

/// Names in each duplicate-completion refusal of a batch the certificate of the completion
/// already recorded: the latest stored one, or the one this batch issued (`written`: the batch
/// is committed) for a row repeated within it.
async fn name_existing_certificates(
    txn: &DatabaseTransaction,
    results: &mut BatchResults,
    written: bool,
) -> Result<(), StoreError> {
    let duplicates: Vec<Uuid> = results
        .iter()
        .filter_map(|result| match result {
            Err(StoreError::DuplicateCompletion { completion_id, .. }) => Some(*completion_id),
            _ => None,
        })
        .collect();
    if duplicates.is_empty() {
        return Ok(());
    }
    let mut numbers = latest_certificates(txn, &duplicates).await?;
    if written {
        numbers.extend(results.iter().flatten().map(|(completion, certificate)| {
            (completion.id.as_uuid(), certificate.number.clone())
        }));
    }
    for result in results.iter_mut() {
        if let Err(StoreError::DuplicateCompletion { completion_id, certificate }) = result {
            *certificate = numbers.get(completion_id).cloned();
        }
    }
    Ok(())
}
