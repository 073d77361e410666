//! The audit log as a Merkle tree (RFC 6962 §2.1, the tree of C2SP `tlog-checkpoint`): leaf `i`
//! is `SHA-256(0x00 || canonical bytes of the i-th audit event)`, an interior node
//! `SHA-256(0x01 || left || right)`. A signed checkpoint (size and root) pins the log's history:
//! any later edit, deletion or reordering of the first `size` events changes that root.
//!
//! The hash of every complete subtree (`2^L` leaves, aligned) is stored when the event that
//! completes it is appended, as Go's `sumdb/tlog` stores its hashes: about two rows per event,
//! computed from the `log2(n)` hashes of the tree's right edge. Any root or proof then reads at
//! most `2·log2(n)` stored hashes per proof node, in one query, whatever the log's size. The
//! alternative, hashing every leaf on each request, costs a full read of the log per checkpoint.
//!
//! Leaves follow `seq` order, and each leaf names its event's `seq`: PostgreSQL sequences skip
//! values a rolled-back transaction took, so a leaf's index is not always `seq - 1`.

use std::collections::HashMap;

use ct_merkle::{ConsistencyProof, RootHash};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use sha2::{Digest, Sha256};

use crate::entities::{audit_event, audit_log_leaf, audit_log_node};
use crate::{Store, StoreError};

/// A SHA-256 hash of the tree: a leaf, a subtree or a root.
pub type TreeHash = [u8; 32];

/// Events read (and hashed) per query.
const BATCH: u64 = 1000;

/// The canonical bytes of an event: each of `seq` (decimal), `occurred_at` (RFC 3339, UTC),
/// `actor`, `action`, `subject_type`, `subject_id` and `details` (the JSON text as stored) as an
/// 8-byte little-endian length followed by its UTF-8 bytes, the encoding the hash chain uses.
/// `seq` is included so that swapping two events' places changes both leaves.
pub(crate) fn canonical_bytes(event: &audit_event::Model) -> Result<Vec<u8>, StoreError> {
    let seq = event.seq.to_string();
    let occurred_at = crate::audit::timestamp(event.occurred_at)?;
    let fields = [
        seq.as_str(),
        &occurred_at,
        &event.actor,
        &event.action,
        &event.subject_type,
        &event.subject_id,
        &event.details,
    ];
    let mut bytes = Vec::with_capacity(fields.iter().map(|field| 8 + field.len()).sum());
    for field in fields {
        bytes.extend_from_slice(&(field.len() as u64).to_le_bytes());
        bytes.extend_from_slice(field.as_bytes());
    }
    Ok(bytes)
}

/// `SHA-256(0x00 || bytes)`: the hash of a leaf.
pub fn leaf_hash(bytes: &[u8]) -> TreeHash {
    Sha256::new_with_prefix([0x00]).chain_update(bytes).finalize().into()
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node.
fn node_hash(left: &TreeHash, right: &TreeHash) -> TreeHash {
    Sha256::new_with_prefix([0x01]).chain_update(left).chain_update(right).finalize().into()
}

/// The root of the empty tree: `SHA-256()` (RFC 6962 §2.1).
fn empty_root() -> TreeHash {
    Sha256::digest(b"").into()
}

/// A complete subtree: leaves `position·2^level .. (position+1)·2^level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Subtree {
    level: u32,
    position: u64,
}

/// The complete subtrees that make up leaves `start..end`, left to right, largest first.
///
/// Holds for `0..n` and for every node of an RFC 6962 tree: `start` is a multiple of the largest
/// power of two not above `end - start`.
fn subtrees(start: u64, end: u64) -> Vec<Subtree> {
    let mut cursor = start;
    let mut out = Vec::new();
    while cursor < end {
        let level = (end - cursor).ilog2();
        out.push(Subtree { level, position: cursor >> level });
        cursor += 1 << level;
    }
    out
}

/// The hash of leaves `start..end` from the hashes of their [`subtrees`]: RFC 6962 splits at
/// the largest power of two below the size, so the tree over them folds from the right.
fn range_hash(
    start: u64,
    end: u64,
    known: &HashMap<Subtree, TreeHash>,
) -> Result<TreeHash, StoreError> {
    let mut hashes = subtrees(start, end).into_iter().rev().map(|subtree| {
        known.get(&subtree).copied().ok_or_else(|| {
            StoreError::corrupt(
                "audit_log_nodes",
                format!("no hash of level {} position {}", subtree.level, subtree.position),
            )
        })
    });
    let Some(last) = hashes.next() else { return Ok(empty_root()) };
    hashes.try_fold(last?, |right, left| Ok(node_hash(&left?, &right)))
}

/// The leaves under node `index` of a tree of `size` leaves, in the array layout of RFC 9420
/// §4.2 that `ct-merkle` numbers its proof nodes in (leaf `i` is node `2i`; a node at level `k`
/// has `k` trailing one bits).
fn node_leaves(index: u64, size: u64) -> (u64, u64) {
    let level = index.trailing_ones();
    let start = (index >> (level + 1)) << level;
    (start, start.saturating_add(1 << level).min(size))
}

/// The hashes of the right edge of a growing tree: one complete subtree per one bit of its size,
/// largest first.
#[derive(Debug, Default)]
struct Frontier {
    size: u64,
    edge: Vec<(u32, TreeHash)>,
}

impl Frontier {
    /// Appends a leaf; returns the subtrees of two leaves or more that it completes.
    fn push(&mut self, leaf: TreeHash) -> Vec<(Subtree, TreeHash)> {
        self.edge.push((0, leaf));
        self.size += 1;
        let mut completed = Vec::new();
        while let [.., (left_level, left), (right_level, right)] = self.edge[..] {
            if left_level != right_level {
                break;
            }
            let level = left_level + 1;
            let hash = node_hash(&left, &right);
            self.edge.truncate(self.edge.len() - 2);
            self.edge.push((level, hash));
            completed.push((Subtree { level, position: (self.size >> level) - 1 }, hash));
        }
        completed
    }

    /// The root of the tree so far.
    fn root(&self) -> TreeHash {
        let mut hashes = self.edge.iter().rev().map(|(_, hash)| *hash);
        let Some(last) = hashes.next() else { return empty_root() };
        hashes.fold(last, |right, left| node_hash(&left, &right))
    }
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn to_hash(table: &'static str, bytes: &[u8]) -> Result<TreeHash, StoreError> {
    bytes.try_into().map_err(|_| StoreError::corrupt(table, "a hash is not 32 bytes"))
}

/// The stored hashes of `wanted`, in at most two queries.
async fn stored_hashes(
    db: &impl ConnectionTrait,
    wanted: &[Subtree],
) -> Result<HashMap<Subtree, TreeHash>, StoreError> {
    let mut known = HashMap::with_capacity(wanted.len());
    let leaves: Vec<i64> =
        wanted.iter().filter(|s| s.level == 0).map(|s| to_i64(s.position)).collect();
    if !leaves.is_empty() {
        for leaf in audit_log_leaf::Entity::find()
            .filter(audit_log_leaf::Column::LeafIndex.is_in(leaves))
            .all(db)
            .await?
        {
            let subtree = Subtree { level: 0, position: leaf.leaf_index.unsigned_abs() };
            known.insert(subtree, to_hash("audit_log_leaves", &leaf.hash)?);
        }
    }
    let nodes = wanted.iter().filter(|s| s.level > 0).fold(Condition::any(), |any, s| {
        any.add(
            Condition::all()
                .add(audit_log_node::Column::Level.eq(i16::try_from(s.level).unwrap_or(i16::MAX)))
                .add(audit_log_node::Column::Position.eq(to_i64(s.position))),
        )
    });
    if !nodes.is_empty() {
        for node in audit_log_node::Entity::find().filter(nodes).all(db).await? {
            let subtree =
                Subtree { level: node.level.unsigned_abs().into(), position: node.position as u64 };
            known.insert(subtree, to_hash("audit_log_nodes", &node.hash)?);
        }
    }
    Ok(known)
}

/// The number of leaves, and the `seq` of the last one's event (0 when there is none).
async fn stored_size(db: &impl ConnectionTrait) -> Result<(u64, i64), StoreError> {
    let last = audit_log_leaf::Entity::find()
        .order_by_desc(audit_log_leaf::Column::LeafIndex)
        .one(db)
        .await?;
    Ok(last.map_or((0, 0), |leaf| (leaf.leaf_index.unsigned_abs() + 1, leaf.event_seq)))
}

/// Up to [`BATCH`] events after `seq`, in `seq` order (the tree's order).
async fn events_after(
    db: &impl ConnectionTrait,
    seq: i64,
) -> Result<Vec<audit_event::Model>, StoreError> {
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::Seq.gt(seq))
        .order_by_asc(audit_event::Column::Seq)
        .limit(BATCH)
        .all(db)
        .await?)
}

/// Makes each event not yet in the tree a leaf, in `seq` order, and stores the subtrees they
/// complete. Called under the audit chain's lock, by every append and at a server's start (which
/// brings in the events written before the tree existed).
pub(crate) async fn extend(txn: &DatabaseTransaction) -> Result<(), StoreError> {
    let (size, mut after) = stored_size(txn).await?;
    let edge = subtrees(0, size);
    let known = stored_hashes(txn, &edge).await?;
    let mut frontier = Frontier { size, edge: Vec::with_capacity(edge.len()) };
    for subtree in edge {
        let hash = known.get(&subtree).copied().ok_or_else(|| {
            StoreError::corrupt("audit_log_nodes", "a hash of the tree's right edge is missing")
        })?;
        frontier.edge.push((subtree.level, hash));
    }
    loop {
        let events = events_after(txn, after).await?;
        let Some(last) = events.last() else { return Ok(()) };
        after = last.seq;
        let mut leaves = Vec::with_capacity(events.len());
        let mut nodes = Vec::with_capacity(events.len());
        for event in &events {
            let hash = leaf_hash(&canonical_bytes(event)?);
            leaves.push(audit_log_leaf::ActiveModel {
                leaf_index: Set(to_i64(frontier.size)),
                event_seq: Set(event.seq),
                hash: Set(hash.to_vec()),
            });
            nodes.extend(frontier.push(hash).into_iter().map(|(subtree, hash)| {
                audit_log_node::ActiveModel {
                    level: Set(i16::try_from(subtree.level).unwrap_or(i16::MAX)),
                    position: Set(to_i64(subtree.position)),
                    hash: Set(hash.to_vec()),
                }
            }));
        }
        // Three bound values a row: well under SQLite's limit in chunks of `INSERT_CHUNK`.
        for chunk in leaves.chunks(crate::audit::INSERT_CHUNK) {
            audit_log_leaf::Entity::insert_many(chunk.to_vec()).exec(txn).await?;
        }
        for chunk in nodes.chunks(crate::audit::INSERT_CHUNK) {
            audit_log_node::Entity::insert_many(chunk.to_vec()).exec(txn).await?;
        }
        if events.len() < BATCH as usize {
            return Ok(());
        }
    }
}

/// An inclusion proof (RFC 6962 §2.1.1): the leaf's hash and its audit path, leaf side first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// Index of the leaf, from 0.
    pub index: u64,
    /// Size of the tree the proof leads to the root of.
    pub size: u64,
    /// `seq` of the event the leaf is.
    pub event_seq: i64,
    /// The leaf's hash.
    pub leaf_hash: TreeHash,
    /// The audit path.
    pub path: Vec<TreeHash>,
}

/// One leaf of the log with its event: what an operator needs to recompute the leaf hash.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// Index of the leaf, from 0.
    pub index: u64,
    /// The event.
    pub event: crate::AuditEvent,
    /// The event's canonical bytes, whose hash with the `0x00` prefix is the leaf.
    pub canonical: Vec<u8>,
    /// The leaf's hash.
    pub leaf_hash: TreeHash,
}

/// The tree recomputed from the events themselves, as `hocba audit verify --checkpoint` needs
/// it: nothing stored in the tree's own tables is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogCheck {
    /// Events in the log now.
    pub events: u64,
    /// Root of the tree of the first `old_size` events; `None` when there are fewer events.
    pub old_root: Option<TreeHash>,
    /// Root of the tree of every event.
    pub root: TreeHash,
    /// The first leaf the registry's stored tree has otherwise than the events give (another
    /// hash or event, or a leaf too many or too few), with its `seq` when an event is there.
    pub first_unlike_stored: Option<(u64, Option<i64>)>,
}

/// Whether `proof` shows the tree of `old_size` leaves with root `old_root` to be a prefix of
/// the tree of `new_size` leaves with root `new_root` (RFC 6962 §2.1.2).
pub fn consistency_holds(
    (old_size, old_root): (u64, &TreeHash),
    (new_size, new_root): (u64, &TreeHash),
    proof: &[TreeHash],
) -> bool {
    if old_size == 0 || old_size > new_size {
        return old_size == 0 && proof.is_empty();
    }
    let old = RootHash::<Sha256>::new((*old_root).into(), old_size);
    let new = RootHash::<Sha256>::new((*new_root).into(), new_size);
    let Ok(proof) = ConsistencyProof::<Sha256>::try_from_bytes(proof.concat()) else {
        return false;
    };
    new.verify_consistency(&old, &proof).is_ok()
}

fn refuse(field: &'static str, reason: String) -> StoreError {
    StoreError::Rule { field, reason }
}

impl Store {
    /// Brings every audit event into the tree (those written before it existed, on a registry's
    /// first start with it).
    pub async fn sync_audit_log(&self) -> Result<(), StoreError> {
        let txn = self.write().await?;
        crate::serialize_on(&txn, crate::audit::CHAIN_LOCK).await?;
        extend(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The number of leaves in the tree.
    pub async fn audit_log_size(&self) -> Result<u64, StoreError> {
        Ok(stored_size(&self.db).await?.0)
    }

    async fn within_log(&self, field: &'static str, size: u64) -> Result<(), StoreError> {
        let current = self.audit_log_size().await?;
        if size > current {
            return Err(refuse(field, format!("the log has {current} events, fewer than {size}")));
        }
        Ok(())
    }

    /// The root of the tree of the first `size` leaves.
    pub async fn audit_log_root(&self, size: u64) -> Result<TreeHash, StoreError> {
        self.within_log("size", size).await?;
        let known = stored_hashes(&self.db, &subtrees(0, size)).await?;
        range_hash(0, size, &known)
    }

    /// The hashes of nodes of the tree of `size` leaves (numbered as [`node_leaves`] says).
    async fn node_hashes(&self, nodes: &[u64], size: u64) -> Result<Vec<TreeHash>, StoreError> {
        let ranges: Vec<_> = nodes.iter().map(|&node| node_leaves(node, size)).collect();
        let wanted: Vec<_> = ranges.iter().flat_map(|&(start, end)| subtrees(start, end)).collect();
        let known = stored_hashes(&self.db, &wanted).await?;
        ranges.into_iter().map(|(start, end)| range_hash(start, end, &known)).collect()
    }

    /// The proof that leaf `index` is in the tree of `size` leaves.
    pub async fn audit_inclusion_proof(
        &self,
        index: u64,
        size: u64,
    ) -> Result<InclusionProof, StoreError> {
        if index >= size {
            return Err(refuse("index", format!("must be below the tree size {size}")));
        }
        self.within_log("size", size).await?;
        let leaf = audit_log_leaf::Entity::find_by_id(to_i64(index))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound { entity: "audit log leaf" })?;
        let path =
            self.node_hashes(&ct_merkle::indices_for_inclusion_proof(size, index), size).await?;
        Ok(InclusionProof {
            index,
            size,
            event_seq: leaf.event_seq,
            leaf_hash: to_hash("audit_log_leaves", &leaf.hash)?,
            path,
        })
    }

    /// The proof that the tree of `old` leaves is a prefix of the tree of `new` leaves.
    pub async fn audit_consistency_proof(
        &self,
        old: u64,
        new: u64,
    ) -> Result<Vec<TreeHash>, StoreError> {
        if old == 0 || old > new {
            return Err(refuse("old", format!("must be from 1 to new ({new})")));
        }
        self.within_log("new", new).await?;
        let nodes = ct_merkle::indices_for_consistency_proof(old, new - old);
        self.node_hashes(&nodes, new).await
    }

    /// Up to `limit` leaves with their events, from leaf `from` (for the operator).
    pub async fn audit_log_entries(
        &self,
        from: u64,
        limit: u64,
    ) -> Result<Vec<LogEntry>, StoreError> {
        let leaves = audit_log_leaf::Entity::find()
            .filter(audit_log_leaf::Column::LeafIndex.gte(to_i64(from)))
            .order_by_asc(audit_log_leaf::Column::LeafIndex)
            .limit(limit)
            .all(&self.db)
            .await?;
        let seqs: Vec<i64> = leaves.iter().map(|leaf| leaf.event_seq).collect();
        let mut events: HashMap<i64, audit_event::Model> = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.is_in(seqs))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|event| (event.seq, event))
            .collect();
        leaves
            .into_iter()
            .map(|leaf| {
                let event = events
                    .remove(&leaf.event_seq)
                    .ok_or_else(|| StoreError::corrupt("audit_events", "a leaf's event is gone"))?;
                Ok(LogEntry {
                    index: leaf.leaf_index.unsigned_abs(),
                    canonical: canonical_bytes(&event)?,
                    event: crate::audit::into_event(event)?,
                    leaf_hash: to_hash("audit_log_leaves", &leaf.hash)?,
                })
            })
            .collect()
    }

    /// Recomputes the tree from every event, in `seq` order, and compares it with the stored
    /// one; `old_size` is the size of the checkpoint being checked.
    pub async fn check_audit_log(&self, old_size: u64) -> Result<LogCheck, StoreError> {
        let mut frontier = Frontier::default();
        let mut old_root = (old_size == 0).then(empty_root);
        let mut first_unlike_stored = None;
        let mut after = 0;
        loop {
            let events = events_after(&self.db, after).await?;
            let Some(last) = events.last() else { break };
            after = last.seq;
            let first = frontier.size;
            let stored: HashMap<u64, audit_log_leaf::Model> = audit_log_leaf::Entity::find()
                .filter(audit_log_leaf::Column::LeafIndex.gte(to_i64(first)))
                .filter(audit_log_leaf::Column::LeafIndex.lt(to_i64(first + events.len() as u64)))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|leaf| (leaf.leaf_index.unsigned_abs(), leaf))
                .collect();
            for event in &events {
                let hash = leaf_hash(&canonical_bytes(event)?);
                let index = frontier.size;
                let same = stored.get(&index).is_some_and(|leaf| {
                    leaf.event_seq == event.seq && leaf.hash.as_slice() == hash.as_slice()
                });
                if !same && first_unlike_stored.is_none() {
                    first_unlike_stored = Some((index, Some(event.seq)));
                }
                frontier.push(hash);
                if frontier.size == old_size {
                    old_root = Some(frontier.root());
                }
            }
        }
        if first_unlike_stored.is_none() && self.audit_log_size().await? > frontier.size {
            first_unlike_stored = Some((frontier.size, None));
        }
        Ok(LogCheck { events: frontier.size, old_root, root: frontier.root(), first_unlike_stored })
    }
}

#[cfg(test)]
mod tests {
    use ct_merkle::mem_backed_tree::MemoryBackedTree;
    use proptest::prelude::*;

    use super::*;

    /// Every subtree hash of `leaves`, as the store would hold them.
    fn grown(leaves: &[Vec<u8>]) -> (Frontier, HashMap<Subtree, TreeHash>) {
        let mut frontier = Frontier::default();
        let mut known = HashMap::new();
        for (index, leaf) in leaves.iter().enumerate() {
            let hash = leaf_hash(leaf);
            known.insert(Subtree { level: 0, position: index as u64 }, hash);
            known.extend(frontier.push(hash));
        }
        (frontier, known)
    }

    fn reference(leaves: &[Vec<u8>]) -> MemoryBackedTree<Sha256, Vec<u8>> {
        let mut tree = MemoryBackedTree::new();
        for leaf in leaves {
            tree.push(leaf.clone());
        }
        tree
    }

    fn hashes_of(bytes: &[u8]) -> Vec<TreeHash> {
        bytes.chunks(32).map(|chunk| chunk.try_into().unwrap()).collect()
    }

    fn node_hashes(nodes: &[u64], size: u64, known: &HashMap<Subtree, TreeHash>) -> Vec<TreeHash> {
        nodes
            .iter()
            .map(|&node| {
                let (start, end) = node_leaves(node, size);
                range_hash(start, end, known).unwrap()
            })
            .collect()
    }

    #[test]
    fn the_empty_tree_has_the_rfc_6962_root() {
        // SHA-256 of nothing (RFC 6962 §2.1; the C2SP test vectors' size-0 root).
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let hex: String = Frontier::default().root().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, empty);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Roots and proofs built from stored subtree hashes equal those of `ct-merkle`'s
        /// in-memory tree, which holds every node.
        #[test]
        fn stored_subtrees_give_the_reference_roots_and_proofs(
            leaves in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..8), 1..70),
            pick in any::<prop::sample::Index>(),
            old in any::<prop::sample::Index>(),
        ) {
            let (frontier, known) = grown(&leaves);
            let size = leaves.len() as u64;
            let tree = reference(&leaves);
            let reference_root: TreeHash = (*tree.root().as_bytes()).into();
            prop_assert_eq!(frontier.root(), reference_root);
            prop_assert_eq!(range_hash(0, size, &known).unwrap(), frontier.root());

            let index = pick.index(leaves.len());
            let path = node_hashes(
                &ct_merkle::indices_for_inclusion_proof(size, index as u64), size, &known);
            prop_assert_eq!(path, hashes_of(tree.prove_inclusion(index).as_bytes()));

            let old = old.index(leaves.len()) as u64 + 1;
            let proof = node_hashes(
                &ct_merkle::indices_for_consistency_proof(old, size - old), size, &known);
            prop_assert_eq!(&proof, &hashes_of(tree.prove_consistency((size - old) as usize).as_bytes()));
            let old_root = range_hash(0, old, &known).unwrap();
            prop_assert!(consistency_holds((old, &old_root), (size, &frontier.root()), &proof));
            prop_assert!(!consistency_holds((old, &[7; 32]), (size, &frontier.root()), &proof));
        }
    }
}
