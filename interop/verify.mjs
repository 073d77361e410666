#!/usr/bin/env node
// Independent verifier for Hocba's W3C Verifiable Credentials 2.0 (not the Rust code).
//
//   node interop/verify.mjs [--did DID_DOCUMENT.json] [--jwks JWKS.json]
//                           (--credential FILE | --jws FILE)
//                           [--now ISO_DATETIME] [--no-issuer-binding]
//
// --credential: Data Integrity proofs with cryptosuite eddsa-jcs-2022, verified as in
//   W3C "Data Integrity EdDSA Cryptosuites v1.0" §3.3.2 (Verify Proof, eddsa-jcs-2022);
//   the key is found as in W3C "Controlled Identifiers v1.0" §3.3 (Retrieve Verification Method).
// --jws: a VC-JOSE-COSE compact JWS (alg EdDSA, typ vc+jwt), verified with jose.
//
// Prints one line of JSON: {"verified":bool,"checks":[{"check","status","detail"}],"error":string|null}
// and exits 0 when verified, 1 when not, 2 on a usage error.

import { createHash, createPublicKey, verify as edVerify } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import bs58 from 'bs58';
import canonicalize from 'canonicalize';
import { compactVerify, decodeProtectedHeader } from 'jose';

const VC_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
const EXPECTED_PROOF_PURPOSE = 'assertionMethod'; // what an issuer's proof on a credential is for
// XML Schema dateTime; a dateTimeStamp (required for validFrom/validUntil) also has a time zone.
const XSD_DATETIME = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;
const XSD_DATETIMESTAMP = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

class VerificationError extends Error {}

// Collects the checks; fail() stops verification of the current credential or proof.
class Report {
  checks = [];
  pass(check, detail) { this.checks.push(detail ? { check, status: 'pass', detail } : { check, status: 'pass' }); }
  skip(check, detail) { this.checks.push({ check, status: 'skip', detail }); }
  fail(check, detail) {
    this.checks.push({ check, status: 'fail', detail });
    throw new VerificationError(`${check}: ${detail}`);
  }
  require(condition, check, detail) {
    if (condition) this.pass(check); else this.fail(check, detail);
  }
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const asArray = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest();
const sameJson = (a, b) => canonicalize(a) === canonicalize(b);

// ---- keys -------------------------------------------------------------------------------

// A multibase base58btc string ('z' prefix) to bytes.
export function decodeMultibaseBase58btc(value) {
  if (typeof value !== 'string' || !value.startsWith('z')) {
    throw new VerificationError('not a multibase base58btc value (no "z" prefix)');
  }
  return Uint8Array.from(bs58.decode(value.slice(1)));
}

// An Ed25519 Multikey publicKeyMultibase (z6Mk…: 0xed 0x01 + 32 key bytes) to the raw key.
export function decodeEd25519Multikey(publicKeyMultibase) {
  const bytes = decodeMultibaseBase58btc(publicKeyMultibase);
  if (bytes.length !== 34 || bytes[0] !== 0xed || bytes[1] !== 0x01) {
    throw new VerificationError('not an Ed25519 Multikey (multicodec 0xed01 + 32 bytes)');
  }
  return bytes.slice(2);
}

export function ed25519PublicKey(raw32) {
  if (raw32.length !== 32) throw new VerificationError('an Ed25519 public key has 32 bytes');
  const x = Buffer.from(raw32).toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

function splitDidUrl(vmId) {
  const hash = vmId.indexOf('#');
  return hash < 0 ? [vmId, ''] : [vmId.slice(0, hash), vmId.slice(hash + 1)];
}

function checkDateTimeStamp(report, check, value) {
  if (typeof value !== 'string' || !XSD_DATETIMESTAMP.test(value) || Number.isNaN(Date.parse(value))) {
    report.fail(check, `not an XML Schema dateTimeStamp: ${JSON.stringify(value)}`);
  }
  return Date.parse(value);
}

// CID v1.0 §3.3 "Retrieve Verification Method", for did:key (the key is in the DID) and for
// a DID document given on the command line. Returns the raw 32-byte Ed25519 public key.
export function resolveVerificationMethod(vmId, relationship, didDocument, now, report, prefix) {
  const c = (name) => `${prefix}.${name}`;
  if (typeof vmId !== 'string' || vmId === '') report.fail(c('verificationMethod'), 'missing');
  const [controllerUrl, fragment] = splitDidUrl(vmId);
  if (fragment === '') report.fail(c('verificationMethod'), `no fragment in ${vmId}`);

  if (controllerUrl.startsWith('did:key:')) {
    // did:key's document lists its one key, id DID#<multibase>, in every relationship.
    const multibase = controllerUrl.slice('did:key:'.length);
    report.require(fragment === multibase, c('verificationMethod.didKey'),
      `fragment ${fragment} is not the did:key's own key ${multibase}`);
    let raw;
    try { raw = decodeEd25519Multikey(multibase); } catch (e) { report.fail(c('verificationMethod.key'), e.message); }
    report.pass(c('verificationMethod.key'), `did:key Ed25519 key ${vmId}`);
    return raw;
  }

  if (!isObject(didDocument)) report.fail(c('verificationMethod'), `${vmId} is not a did:key and no DID document was given (--did)`);
  report.require(didDocument.id === controllerUrl, c('didDocument.id'),
    `DID document id ${JSON.stringify(didDocument.id)} is not the verification method's controller document ${controllerUrl}`);

  const absolute = (id) => (typeof id === 'string' && id.startsWith('#') ? didDocument.id + id : id);
  // Verification methods may be listed in verificationMethod or embedded in a relationship.
  const embedded = ['verificationMethod', 'authentication', 'assertionMethod', 'keyAgreement',
    'capabilityInvocation', 'capabilityDelegation'].flatMap((k) => asArray(didDocument[k])).filter(isObject);
  const found = embedded.filter((m) => absolute(m.id) === vmId);
  if (found.length === 0) report.fail(c('verificationMethod.found'), `${vmId} is not in the DID document`);
  if (!found.every((m) => sameJson(m, found[0]))) report.fail(c('verificationMethod.found'), `${vmId} is defined more than once, differently`);
  const vm = found[0];
  report.pass(c('verificationMethod.found'), vmId);

  report.require(absolute(vm.controller) === controllerUrl, c('verificationMethod.controller'),
    `controller ${JSON.stringify(vm.controller)} is not ${controllerUrl}`);
  report.require(!('revoked' in vm), c('verificationMethod.notRevoked'), `revoked ${JSON.stringify(vm.revoked)}`);
  if ('expires' in vm) {
    const expires = checkDateTimeStamp(report, c('verificationMethod.notExpired'), vm.expires);
    report.require(now < expires, c('verificationMethod.notExpired'), `expired at ${vm.expires}`);
  }
  const related = asArray(didDocument[relationship]).some((r) => absolute(isObject(r) ? r.id : r) === vmId);
  report.require(related, c('verificationMethod.relationship'), `${vmId} is not listed in the DID document's ${relationship}`);
  report.require(vm.type === 'Multikey', c('verificationMethod.type'), `type ${JSON.stringify(vm.type)} is not Multikey`);
  let raw;
  try { raw = decodeEd25519Multikey(vm.publicKeyMultibase); } catch (e) { report.fail(c('verificationMethod.key'), e.message); }
  report.pass(c('verificationMethod.key'), `Ed25519 Multikey ${vm.publicKeyMultibase}`);
  return raw;
}

// ---- credential checks shared by both paths --------------------------------------------------

function issuerId(credential) {
  return typeof credential.issuer === 'string' ? credential.issuer : isObject(credential.issuer) ? credential.issuer.id : undefined;
}

function checkCredentialShape(credential, report) {
  const context = asArray(credential['@context']);
  report.require(context[0] === VC_V2_CONTEXT, 'credential.@context', `first @context is not ${VC_V2_CONTEXT}`);
  report.require(asArray(credential.type).includes('VerifiableCredential'), 'credential.type', 'type does not contain VerifiableCredential');
  report.require(typeof issuerId(credential) === 'string', 'credential.issuer', 'no issuer id');
}

function checkValidityPeriod(credential, now, report) {
  if ('validFrom' in credential) {
    const from = checkDateTimeStamp(report, 'credential.validFrom', credential.validFrom);
    report.require(from <= now, 'credential.validFrom', `not valid before ${credential.validFrom}`);
  }
  if ('validUntil' in credential) {
    const until = checkDateTimeStamp(report, 'credential.validUntil', credential.validUntil);
    report.require(now < until, 'credential.validUntil', `expired at ${credential.validUntil}`);
  }
}

// The issuer must be the controller of the signing key (the DID part of its id).
function checkIssuerBinding(credential, vmId, options, report, check) {
  const [controllerUrl] = splitDidUrl(vmId);
  if (options.skipIssuerBinding) {
    report.skip(check, `not checked (--no-issuer-binding): issuer ${issuerId(credential)}, key controller ${controllerUrl}`);
    return;
  }
  report.require(issuerId(credential) === controllerUrl, check,
    `issuer ${issuerId(credential)} is not the key's controller ${controllerUrl}`);
}

function result(report, error) {
  return { verified: error === null, checks: report.checks, error };
}

async function run(body) {
  const report = new Report();
  try {
    await body(report);
    return result(report, null);
  } catch (e) {
    if (e instanceof VerificationError) return result(report, e.message);
    report.checks.push({ check: 'internal', status: 'fail', detail: String(e?.message ?? e) });
    return result(report, `internal: ${e?.message ?? e}`);
  }
}

// ---- Data Integrity, eddsa-jcs-2022 ----------------------------------------------------------

// vc-di-eddsa §3.3.2 Verify Proof (eddsa-jcs-2022) for one proof of a proof set; the
// secured document with every proof removed is what each proof of a set signs.
function verifyJcsProof(securedDocument, proof, prefix, options, report) {
  const c = (name) => `${prefix}.${name}`;
  for (const key of ['verificationMethod', 'proofPurpose', 'proofValue']) {
    if (typeof proof[key] !== 'string') report.fail(c(key), 'missing or not a string');
  }
  report.require(proof.proofPurpose === EXPECTED_PROOF_PURPOSE, c('proofPurpose'),
    `${proof.proofPurpose} is not ${EXPECTED_PROOF_PURPOSE}`);
  if ('previousProof' in proof) report.fail(c('previousProof'), 'proof chains are not supported by this verifier');
  if ('created' in proof) {
    // Proof Configuration step 3: created must be a valid XML Schema dateTime.
    const ok = typeof proof.created === 'string' && XSD_DATETIME.test(proof.created);
    report.require(ok, c('created'), `not an XML Schema dateTime: ${JSON.stringify(proof.created)}`);
  }
  if ('expires' in proof) {
    const expires = checkDateTimeStamp(report, c('expires'), proof.expires);
    report.require(options.now < expires, c('expires'), `proof expired at ${proof.expires}`);
  }

  // 1. unsecuredDocument = securedDocument without proof.
  const unsecuredDocument = { ...securedDocument };
  delete unsecuredDocument.proof;
  // 2. proofOptions = proof without proofValue.
  const proofOptions = { ...proof };
  delete proofOptions.proofValue;
  // 3. proofBytes = multibase base58btc decoded proofValue.
  let proofBytes;
  try { proofBytes = decodeMultibaseBase58btc(proof.proofValue); } catch (e) { report.fail(c('proofValue'), e.message); }
  report.require(proofBytes.length === 64, c('proofValue'), `${proofBytes.length} bytes, an Ed25519 signature has 64`);
  // 4. If proofOptions.@context exists, the document's @context must start with it, in order;
  //    then unsecuredDocument.@context = proofOptions.@context.
  if ('@context' in proofOptions) {
    const documentContext = asArray(securedDocument['@context']);
    const proofContext = asArray(proofOptions['@context']);
    const startsWith = proofContext.length <= documentContext.length
      && proofContext.every((value, i) => sameJson(value, documentContext[i]));
    report.require(startsWith, c('@context'), "the document's @context does not start with the proof's @context");
    unsecuredDocument['@context'] = proofOptions['@context'];
  }
  // 5. Transformation: type/cryptosuite checked, then JCS of the unsecured document.
  // 6. Proof Configuration: same type/cryptosuite check, then JCS of the proof options.
  report.require(proofOptions.type === 'DataIntegrityProof' && proofOptions.cryptosuite === 'eddsa-jcs-2022',
    c('type'), 'not a DataIntegrityProof with cryptosuite eddsa-jcs-2022');
  const transformedData = canonicalize(unsecuredDocument);
  const canonicalProofConfig = canonicalize(proofOptions);
  // 7. Hashing: hashData = SHA-256(proofConfig) || SHA-256(transformedDocument).
  const hashData = Buffer.concat([sha256(canonicalProofConfig), sha256(transformedData)]);
  // 8. Proof Verification: Ed25519 (pure EdDSA) over hashData with the verification method's key.
  const publicKey = resolveVerificationMethod(proof.verificationMethod, proof.proofPurpose,
    options.didDocument, options.now, report, prefix);
  report.require(edVerify(null, hashData, ed25519PublicKey(publicKey), proofBytes), c('signature'),
    'Ed25519 signature does not verify');
  checkIssuerBinding(securedDocument, proof.verificationMethod, options, report, c('issuerBinding'));
}

export async function verifyCredential(credential, options = {}) {
  const opts = { now: Date.now(), ...options };
  return run(async (report) => {
    if (!isObject(credential)) report.fail('credential', 'not a JSON object');
    checkCredentialShape(credential, report);
    checkValidityPeriod(credential, opts.now, report);
    if (!('proof' in credential)) report.fail('proof', 'the credential has no proof');
    const proofs = asArray(credential.proof);
    let verifiedCount = 0;
    proofs.forEach((proof, i) => {
      const prefix = `proof[${i}]`;
      if (!isObject(proof)) report.fail(prefix, 'not a JSON object');
      if (proof.cryptosuite !== 'eddsa-jcs-2022') {
        report.skip(prefix, `ignored: type ${JSON.stringify(proof.type)}, cryptosuite ${JSON.stringify(proof.cryptosuite)}`);
        return;
      }
      verifyJcsProof(credential, proof, prefix, opts, report);
      verifiedCount += 1;
    });
    report.require(verifiedCount > 0, 'proof', 'no eddsa-jcs-2022 proof');
  });
}

// ---- VC-JOSE-COSE compact JWS ----------------------------------------------------------------

function keyFromJwks(jwks, kid, report) {
  if (!isObject(jwks) || !Array.isArray(jwks.keys)) report.fail('jwks', 'not a JWK Set ({"keys":[...]})');
  const [, fragment] = splitDidUrl(kid);
  const matches = jwks.keys.filter((k) => isObject(k) && (k.kid === kid || (fragment !== '' && k.kid === fragment)));
  if (matches.length !== 1) report.fail('jwks.kid', `${matches.length} keys in the JWKS match kid ${kid}`);
  const jwk = matches[0];
  const ed25519 = jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string' && (jwk.alg === undefined || jwk.alg === 'EdDSA');
  report.require(ed25519, 'jwks.key', 'the matching JWK is not an OKP Ed25519 public key for EdDSA');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
}

export async function verifyJws(jws, options = {}) {
  const opts = { now: Date.now(), ...options };
  return run(async (report) => {
    const compact = String(jws).trim();
    let header;
    try { header = decodeProtectedHeader(compact); } catch (e) { report.fail('jws.header', e.message); }
    report.require(typeof header.kid === 'string' && header.kid !== '', 'jws.kid', 'no kid in the protected header');

    const key = opts.jwks !== undefined
      ? keyFromJwks(opts.jwks, header.kid, report)
      : ed25519PublicKey(resolveVerificationMethod(header.kid, EXPECTED_PROOF_PURPOSE, opts.didDocument, opts.now, report, 'jws'));

    let verified;
    try {
      verified = await compactVerify(compact, key, { algorithms: ['EdDSA'] });
    } catch (e) {
      report.fail('jws.signature', `${e.code ?? 'ERROR'}: ${e.message}`);
    }
    report.pass('jws.signature', 'EdDSA (Ed25519) signature verifies');
    report.require(verified.protectedHeader.alg === 'EdDSA', 'jws.alg', `alg ${verified.protectedHeader.alg} is not EdDSA`);
    // RFC 7515 §4.1.9: a typ without '/' means application/<typ>; media types ignore case.
    const typ = typeof verified.protectedHeader.typ === 'string' ? verified.protectedHeader.typ.toLowerCase() : '';
    report.require(typ === 'vc+jwt' || typ === 'application/vc+jwt', 'jws.typ',
      `typ ${JSON.stringify(verified.protectedHeader.typ)} is not vc+jwt`);

    let credential;
    try {
      credential = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(verified.payload));
    } catch (e) {
      report.fail('jws.payload', `not UTF-8 JSON: ${e.message}`);
    }
    report.require(isObject(credential) && '@context' in credential, 'jws.payload', 'not a JSON object with @context');
    checkCredentialShape(credential, report);
    checkValidityPeriod(credential, opts.now, report);
    // Optional JWT claims, if present, must agree with the credential and the clock.
    if ('iss' in credential) report.require(credential.iss === issuerId(credential), 'jws.iss', `iss ${credential.iss} is not the issuer`);
    if ('nbf' in credential) report.require(typeof credential.nbf === 'number' && credential.nbf * 1000 <= opts.now, 'jws.nbf', `not before ${credential.nbf}`);
    if ('exp' in credential) report.require(typeof credential.exp === 'number' && opts.now < credential.exp * 1000, 'jws.exp', `expired at ${credential.exp}`);
    checkIssuerBinding(credential, header.kid, opts, report, 'jws.issuerBinding');
  });
}

// ---- CLI -------------------------------------------------------------------------------------

const USAGE = 'usage: node interop/verify.mjs [--did DID_DOCUMENT.json] [--jwks JWKS.json] '
  + '(--credential FILE | --jws FILE) [--now ISO_DATETIME] [--no-issuer-binding]';

class UsageError extends Error {}

function parseArgs(argv) {
  const args = {};
  const withValue = new Set(['--did', '--jwks', '--credential', '--jws', '--now']);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--no-issuer-binding') { args.noIssuerBinding = true; continue; }
    if (!withValue.has(flag)) throw new UsageError(`unknown argument ${flag}`);
    if (i + 1 >= argv.length) throw new UsageError(`${flag} needs a value`);
    if (args[flag] !== undefined) throw new UsageError(`${flag} given twice`);
    args[flag] = argv[++i];
  }
  if ((args['--credential'] === undefined) === (args['--jws'] === undefined)) {
    throw new UsageError('give exactly one of --credential and --jws');
  }
  if (args['--now'] !== undefined && Number.isNaN(Date.parse(args['--now']))) throw new UsageError('--now is not a date');
  return args;
}

function readText(path) {
  try { return readFileSync(path, 'utf8'); } catch (e) { throw new UsageError(`cannot read ${path}: ${e.code ?? e.message}`); }
}

function readJson(path, what) {
  try { return JSON.parse(readText(path)); } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${what} ${path} is not JSON: ${e.message}`);
  }
}

export async function main(argv) {
  let outcome;
  try {
    const args = parseArgs(argv);
    const options = {
      didDocument: args['--did'] === undefined ? undefined : readJson(args['--did'], 'DID document'),
      jwks: args['--jwks'] === undefined ? undefined : readJson(args['--jwks'], 'JWKS'),
      now: args['--now'] === undefined ? Date.now() : Date.parse(args['--now']),
      skipIssuerBinding: args.noIssuerBinding === true,
    };
    if (args['--credential'] !== undefined) {
      const text = readText(args['--credential']);
      let credential;
      try { credential = JSON.parse(text); } catch (e) {
        outcome = { verified: false, checks: [{ check: 'credential', status: 'fail', detail: `not JSON: ${e.message}` }], error: `credential: not JSON: ${e.message}` };
      }
      outcome ??= await verifyCredential(credential, options);
    } else {
      outcome = await verifyJws(readText(args['--jws']), options);
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${USAGE}\n`);
    process.stdout.write(`${JSON.stringify({ verified: false, checks: [], error: `usage: ${e.message}` })}\n`);
    return 2;
  }
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  return outcome.verified ? 0 : 1;
}

const invokedDirectly = process.argv[1] !== undefined
  && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2));
}
