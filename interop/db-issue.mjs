#!/usr/bin/env node
// Signs a credential with the Digital Bazaar stack, so that Hocba's Rust verifier can be tested on
// credentials it did not make (the other half of the cross-verification).
//
//   node interop/db-issue.mjs --seed HEX32 --credential UNSIGNED.json
//        [--suite eddsa-rdfc-2022|eddsa-jcs-2022|both] [--created DATETIME|none]
//
// The key is the Ed25519 key whose 32-byte seed is given; its verification method is
// did:key:z6Mk…#z6Mk…, resolvable offline by anyone. The credential is signed as given (its
// issuer is left alone: bind it to the key by making the issuer that did:key). `both` (the
// default) adds a proof set: an eddsa-rdfc-2022 and an eddsa-jcs-2022 proof over the same
// document. `--created` fixes the proofs' `created` (default: now), making the output
// reproducible, since Ed25519 signatures are deterministic; `none` leaves it out.
// Prints the signed credential, and nothing else, on stdout; exit 2 on usage error.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { createSignCryptosuite as createJcsSignSuite } from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import { cryptosuite as rdfcSuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import { createDocumentLoader } from './contexts.mjs';

const SIGN_SUITES = {
  'eddsa-rdfc-2022': () => rdfcSuite,
  'eddsa-jcs-2022': () => createJcsSignSuite(),
};

/**
 * The Ed25519 key pair of a 32-byte seed. Its verification method is did:key:K#K unless `id` and
 * `controller` are given (the self-test signs as a did:web key that way).
 */
export async function keyFromSeed(seed, { id, controller } = {}) {
  const { publicKeyMultibase } = await Ed25519Multikey.generate({ seed });
  const did = controller ?? `did:key:${publicKeyMultibase}`;
  const key = await Ed25519Multikey.generate({ seed, controller: did, id });
  return { key, did, verificationMethod: key.id, publicKeyMultibase };
}

/**
 * Returns a copy of `credential` with one proof per entry of `suites`, each over the credential
 * without the others (jsonld-signatures sets existing proofs aside while signing).
 * `created`: undefined = now, null = no `created`, else a dateTime string.
 * `key`: optional {id, controller} for the verification method (default: the did:key).
 */
export async function dbIssueCredential(credential, { seed, suites, created, documentLoader, key: keyIds }) {
  const { key } = await keyFromSeed(seed, keyIds);
  const loader = documentLoader ?? createDocumentLoader();
  let signed = structuredClone(credential);
  for (const name of suites) {
    const suite = new DataIntegrityProof({
      signer: key.signer(), date: created, cryptosuite: SIGN_SUITES[name](),
    });
    signed = await vc.issue({ credential: signed, suite, documentLoader: loader });
  }
  return signed;
}

function parseArgs(argv) {
  const args = { suite: 'both' };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === '--seed') args.seed = value();
    else if (flag === '--credential') args.credential = value();
    else if (flag === '--suite') args.suite = value();
    else if (flag === '--created') args.created = value();
    else throw new Error(`unknown argument ${flag}`);
  }
  if (!/^[0-9a-fA-F]{64}$/.test(args.seed ?? '')) throw new Error('--seed must be 64 hex digits');
  if (!args.credential) throw new Error('--credential FILE is required');
  if (args.suite !== 'both' && !SIGN_SUITES[args.suite]) throw new Error(`unknown --suite ${args.suite}`);
  return args;
}

export async function main(argv) {
  let args;
  let credential;
  try {
    args = parseArgs(argv);
    credential = JSON.parse(readFileSync(args.credential, 'utf8'));
  } catch (error) {
    console.error(`db-issue: ${error.message}`);
    return 2;
  }
  try {
    const signed = await dbIssueCredential(credential, {
      seed: Uint8Array.from(Buffer.from(args.seed, 'hex')),
      suites: args.suite === 'both' ? Object.keys(SIGN_SUITES) : [args.suite],
      created: args.created === 'none' ? null : args.created,
    });
    console.log(JSON.stringify(signed, null, 2));
    return 0;
  } catch (error) {
    console.error(`db-issue: ${error.message}`);
    return 1;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
