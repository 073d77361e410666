// A JSON-LD document loader that never touches the network. Verifiers that fetch contexts or DID
// documents at verification time can be steered by whoever controls those URLs; Hocba verifies
// against the exact bytes it bundles, so this loader serves only:
//   - the contexts in ../crates/hocba-credentials/contexts/ listed in MANIFEST.tsv (each file's
//     SHA-256 is checked at startup, so a stale or edited copy fails loudly instead of silently
//     changing what a signature covers), plus Hocba's own context;
//   - did:key DIDs and their key fragments, built from the identifier itself (Ed25519 only);
//   - did:web (or any other) DID documents the caller hands over, e.g. from --did FILE.
// Anything else throws.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bs58 from 'bs58';

export const CONTEXTS_DIR = fileURLToPath(new URL('../crates/hocba-credentials/contexts/', import.meta.url));
export const DID_CONTEXT = 'https://www.w3.org/ns/did/v1';
export const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';
// Project-owned and edited with the Rust code, so it has no pinned hash in the manifest.
export const HOCBA_CONTEXT = 'https://hocba.gov.vn/contexts/v1.jsonld';

/** Reads MANIFEST.tsv: [{url, file, source, path, sha256}], skipping comments and the header. */
export function readManifest(dir = CONTEXTS_DIR) {
  const rows = readFileSync(join(dir, 'MANIFEST.tsv'), 'utf8').split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.split('\t'));
  const [header, ...body] = rows;
  if (header.join(',') !== 'url,file,source,path,sha256') {
    throw new Error(`MANIFEST.tsv: unexpected header ${header.join(',')}`);
  }
  return body.map(([url, file, source, path, sha256]) => ({ url, file, source, path, sha256 }));
}

/** URL -> parsed context, after checking every manifest file against its recorded SHA-256. */
export function loadContexts(dir = CONTEXTS_DIR) {
  const contexts = new Map();
  for (const { url, file, sha256 } of readManifest(dir)) {
    const bytes = readFileSync(join(dir, file));
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) {
      throw new Error(`context ${file}: SHA-256 ${actual} differs from MANIFEST.tsv ${sha256}`);
    }
    contexts.set(url, JSON.parse(bytes.toString('utf8')));
  }
  contexts.set(HOCBA_CONTEXT, JSON.parse(readFileSync(join(dir, 'hocba-v1.jsonld'), 'utf8')));
  return contexts;
}

/**
 * The DID document of an Ed25519 did:key, with the key in every verification relationship (as the
 * did:key method specifies). The multicodec prefix is checked here because Ed25519Multikey does
 * not check it: an X25519 did:key (also 32 bytes) would otherwise pass as a signing key.
 */
export async function didKeyDocument(did) {
  const fingerprint = did.slice('did:key:'.length);
  let bytes;
  try {
    bytes = fingerprint.startsWith('z') ? bs58.decode(fingerprint.slice(1)) : null;
  } catch {
    bytes = null;
  }
  if (!bytes || bytes.length !== 34 || bytes[0] !== 0xed || bytes[1] !== 0x01) {
    throw new Error(`${did} is not an Ed25519 did:key`);
  }
  const id = `${did}#${fingerprint}`;
  return {
    '@context': [DID_CONTEXT, MULTIKEY_CONTEXT],
    id: did,
    verificationMethod: [{ id, type: 'Multikey', controller: did, publicKeyMultibase: fingerprint }],
    assertionMethod: [id],
    authentication: [id],
    capabilityInvocation: [id],
    capabilityDelegation: [id],
  };
}

// A verification method is served on its own with the Multikey context, which is what
// Ed25519Multikey.from (inside the cryptosuites) requires of it.
function findVerificationMethod(didDocument, url) {
  const did = didDocument.id;
  const vm = (didDocument.verificationMethod ?? []).find(
    (m) => m.id === url || (m.id?.startsWith('#') && did + m.id === url));
  if (!vm) throw new Error(`${url}: no such verification method in the DID document of ${did}`);
  return { '@context': MULTIKEY_CONTEXT, ...vm, id: url };
}

/**
 * documentLoader(url) for jsonld / jsonld-signatures. `didDocuments` are DID documents (objects)
 * to serve by their `id`, for did:web issuers.
 */
export function createDocumentLoader({ didDocuments = [], contexts = loadContexts() } = {}) {
  const dids = new Map(didDocuments.map((doc) => [doc.id, doc]));
  const answer = (url, document) => ({ contextUrl: null, documentUrl: url, document: structuredClone(document) });
  return async function documentLoader(url) {
    if (contexts.has(url)) return answer(url, contexts.get(url));
    const [did, fragment] = url.split('#');
    let didDocument = dids.get(did);
    if (!didDocument && did.startsWith('did:key:z')) didDocument = await didKeyDocument(did);
    if (didDocument) {
      return answer(url, fragment === undefined ? didDocument : findVerificationMethod(didDocument, url));
    }
    throw new Error(`documentLoader: ${url} is not bundled (no network access, by design)`);
  };
}
