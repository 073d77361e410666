#!/usr/bin/env node
// Verifies a credential's Data Integrity proofs with the Digital Bazaar stack (@digitalbazaar/vc,
// data-integrity, eddsa-rdfc-2022 and eddsa-jcs-2022 cryptosuites): a second implementation,
// written by others, that Hocba's credentials must satisfy. Status is not checked.
//
//   node interop/db-verify.mjs --credential FILE [--did DID_DOCUMENT.json]...
//        [--suite eddsa-rdfc-2022|eddsa-jcs-2022|all] [--now DATETIME] [--no-issuer-binding]
//
// Prints one JSON line {"verified","proofs":[{"cryptosuite","verified","error"}],"error"};
// exit 0 verified, 1 not verified, 2 usage error.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { createVerifyCryptosuite as createJcsVerifySuite } from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import { cryptosuite as rdfcSuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import jsigs from 'jsonld-signatures';
import { createDocumentLoader } from './contexts.mjs';

export const SUITES = {
  'eddsa-rdfc-2022': () => rdfcSuite,
  'eddsa-jcs-2022': () => createJcsVerifySuite(),
};

// jsonld-signatures wraps per-proof failures in a VerificationError holding `errors`.
function message(error) {
  if (!error) return null;
  const inner = error.errors?.length ? error.errors : [error];
  return inner.map((e) => e.message ?? String(e)).join('; ');
}

/**
 * Verifies each selected proof on its own: a proof in a proof set signs the document without the
 * other proofs, so giving the verifier the document with just that proof is exactly the check a
 * single-suite verifier (the DCC wallet, say) makes, and it yields one answer per proof.
 *
 * options: didDocuments (for did:web), suite ('all' or a cryptosuite name), now,
 * issuerBinding (default true: the key's controller must be the issuer, as @digitalbazaar/vc
 * requires; false only proves the key signed, for test vectors whose issuer is not the key).
 */
export async function dbVerifyCredential(credential, options = {}) {
  const { didDocuments = [], suite = 'all', now, issuerBinding = true } = options;
  const documentLoader = options.documentLoader ?? createDocumentLoader({ didDocuments });
  const proofs = [credential?.proof ?? []].flat();
  const selected = proofs.filter((p) => suite === 'all' || p?.cryptosuite === suite);
  if (selected.length === 0) {
    const what = suite === 'all' ? 'no proof' : `no ${suite} proof`;
    return { verified: false, proofs: [], error: `the credential has ${what}` };
  }

  const results = [];
  for (const proof of selected) {
    const cryptosuite = proof?.cryptosuite ?? null;
    const entry = { cryptosuite, verified: false, error: null };
    results.push(entry);
    if (proof?.type !== 'DataIntegrityProof' || !SUITES[cryptosuite]) {
      entry.error = `unsupported proof ${proof?.type}/${cryptosuite}`;
      continue;
    }
    if (proof.previousProof !== undefined) {
      // Splitting a chain would verify each link without the proof it depends on.
      entry.error = 'proof chains (previousProof) are not supported';
      continue;
    }
    const r = await vc.verifyCredential({
      credential: { ...credential, proof },
      suite: new DataIntegrityProof({ cryptosuite: SUITES[cryptosuite]() }),
      purpose: issuerBinding ? undefined : new jsigs.purposes.AssertionProofPurpose(),
      documentLoader,
      now,
      checkStatus: async () => ({ verified: true }),
    });
    entry.verified = r.verified === true;
    if (!entry.verified) entry.error = message(r.error) ?? 'not verified';
  }
  const verified = results.every((r) => r.verified);
  return { verified, proofs: results, error: verified ? null : 'a proof did not verify' };
}

function parseArgs(argv) {
  const args = { dids: [], suite: 'all', issuerBinding: true };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === '--credential') args.credential = value();
    else if (flag === '--did') args.dids.push(value());
    else if (flag === '--suite') args.suite = value();
    else if (flag === '--now') args.now = value();
    else if (flag === '--no-issuer-binding') args.issuerBinding = false;
    else throw new Error(`unknown argument ${flag}`);
  }
  if (!args.credential) throw new Error('--credential FILE is required');
  if (args.suite !== 'all' && !SUITES[args.suite]) throw new Error(`unknown --suite ${args.suite}`);
  return args;
}

export async function main(argv) {
  const fail = (error) => ({ verified: false, proofs: [], error });
  let args;
  let texts;
  try {
    args = parseArgs(argv);
    texts = [args.credential, ...args.dids].map((f) => readFileSync(f, 'utf8'));
  } catch (error) {
    console.log(JSON.stringify(fail(`usage: ${error.message}`)));
    return 2;
  }
  // As in verify.mjs: a file that cannot be read is a usage error, one that is not JSON is
  // simply not a verifiable credential.
  const result = await (async () => {
    const [credential, ...didDocuments] = texts.map((t) => JSON.parse(t));
    return dbVerifyCredential(credential, { ...args, didDocuments });
  })().catch((error) => fail(error.message));
  console.log(JSON.stringify(result));
  return result.verified ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
