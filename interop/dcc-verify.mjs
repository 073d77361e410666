#!/usr/bin/env node
// Verifies a credential with @digitalcredentials/verifier-core, the Digital Credentials
// Consortium library that VerifierPlus and the Learner Credential Wallet run: signature
// (eddsa-rdfc-2022 or Ed25519Signature2020; other proofs of a proof set are passed over),
// expiry, Bitstring Status List revocation, issuer registries, and a JSON Schema guess.
//
//   NODE_EXTRA_CA_CERTS=cert.pem node interop/dcc-verify.mjs --credential FILE
//
// It resolves did:web issuers and fetches status lists over https, as deployed; run the registry
// behind a TLS terminator (tls-terminator.mjs) on loopback. Nothing may leave this machine:
// every fetch (the library's HTTP client and its schema and registry lookups all use the global
// fetch) to a host other than localhost, 127.0.0.1 or ::1 is refused and listed in the output.
// No issuer registry is given (the library's known-registry list lives on the internet), so
// `registered_issuer` is false, which the library treats as a warning. The library's contexts
// are its own bundled copies (VC 1/2, Data Integrity, Open Badges 3.0, status lists, DIDs).
//
// Prints one JSON line
//   {"verified":bool,"log":[{"id","valid"|"error"}],"errors":[{"name","message"}],
//    "schema":…,"fetched":[url],"refused":[url]}
// where verified means: no fatal error, a valid signature, not expired, and, when the credential
// has a status, revocation_status checked and valid. Exit 0 verified, 1 not, 2 usage error.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const fetched = [];
const refused = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (resource, init) => {
  const url = new URL(resource instanceof Request ? resource.url : String(resource));
  if (!LOOPBACK.has(url.hostname)) {
    refused.push(url.href);
    throw new TypeError(`offline: refused to fetch ${url.href}`);
  }
  fetched.push(url.href);
  return realFetch(resource, init);
};

let args;
try {
  ({ values: args } = parseArgs({ options: { credential: { type: 'string' } } }));
  if (!args.credential) throw new Error('--credential FILE is required');
} catch (error) {
  process.stderr.write(`${error.message}\nusage: dcc-verify.mjs --credential FILE\n`);
  process.exit(2);
}

// Imported after the fetch guard is in place, so nothing it does at load time escapes it.
const { verifyCredential } = await import('@digitalcredentials/verifier-core');

// The library logs schema-fetch failures on stdout; keep stdout for the one answer line.
console.log = (...parts) => process.stderr.write(`${parts.join(' ')}\n`);

let credential;
try {
  credential = JSON.parse(readFileSync(args.credential, 'utf8'));
} catch (error) {
  process.stdout.write(`${JSON.stringify({ verified: false, errors: [{ name: 'unreadable', message: error.message }] })}\n`);
  process.exit(1);
}

const result = await verifyCredential({ credential, knownDIDRegistries: [] });
const log = (result.log ?? []).map(({ id, valid, error }) =>
  error ? { id, error: { name: error.name, message: error.message } } : { id, valid });
const errors = (result.errors ?? []).map(({ name, message }) => ({ name, message }));
const step = (id) => log.find((entry) => entry.id === id);
const statusChecked = !credential.credentialStatus || step('revocation_status')?.valid === true;
const verified = errors.length === 0 && step('valid_signature')?.valid === true
  && step('expiration')?.valid === true && statusChecked;
const schema = result.additionalInformation?.find((entry) => entry.id === 'schema_check')?.results;
process.stdout.write(`${JSON.stringify({ verified, log, errors, schema, fetched, refused })}\n`);
process.exit(verified ? 0 : 1);
