#!/usr/bin/env node
// Self-test of verify.mjs: the W3C eddsa-jcs-2022 test vector (vectors/, from w3c/vc-di-eddsa),
// tampering, DID-document key resolution, and the JWS path with a fresh key signed by jose;
// then db-selftest.mjs (the Digital Bazaar harness and the eddsa-rdfc-2022 vector).
// Run: node interop/selftest.mjs   (prints "N passed, N failed"; exits 1 on any failure)

import { createHash, createPrivateKey, generateKeyPairSync, sign as edSign } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bs58 from 'bs58';
import canonicalize from 'canonicalize';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { decodeEd25519Multikey, decodeMultibaseBase58btc, verifyCredential, verifyJws } from './verify.mjs';
import { runDbSelftest } from './db-selftest.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const vector = (name) => JSON.parse(readFileSync(join(here, 'vectors', name), 'utf8'));
const clone = (v) => structuredClone(v);
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const sha256hex = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

let passed = 0;
let failed = 0;
function check(name, condition, detail = '') {
  if (condition) {
    passed += 1;
    console.log(`ok    ${name}`);
  } else {
    failed += 1;
    console.log(`FAIL  ${name}${detail ? ` -- ${detail}` : ''}`);
  }
}
const show = (r) => JSON.stringify({ verified: r.verified, error: r.error });
async function expectCredential(name, credential, options, expected, errorIncludes) {
  const r = await verifyCredential(credential, options);
  const errorOk = errorIncludes === undefined || (r.error ?? '').includes(errorIncludes);
  check(name, r.verified === expected && errorOk, show(r));
  return r;
}
async function expectJws(name, jws, options, expected, errorIncludes) {
  const r = await verifyJws(jws, options);
  const errorOk = errorIncludes === undefined || (r.error ?? '').includes(errorIncludes);
  check(name, r.verified === expected && errorOk, show(r));
  return r;
}

// ---- 1. The W3C vector: every intermediate value, then verify.mjs on the signed credential ----

const keyPair = vector('keyPair.json');
const unsigned = vector('unsigned.json');
const proofConfig = vector('proofConfigJCS.json');
const signed = vector('signedJCS.json');
const expected = vector('intermediatesJCS.json');

const canonDoc = canonicalize(unsigned);
check('vector: JCS(unsigned credential) = canonDocJCS', canonDoc === expected.canonDocJCS);
check('vector: SHA-256 of it = docHashJCS', sha256hex(canonDoc) === expected.docHashJCS);
const canonProof = canonicalize(proofConfig);
check('vector: JCS(proof options) = proofCanonJCS', canonProof === expected.proofCanonJCS);
check('vector: SHA-256 of it = proofHashJCS', sha256hex(canonProof) === expected.proofHashJCS);
const hashData = Buffer.concat([createHash('sha256').update(canonProof).digest(), createHash('sha256').update(canonDoc).digest()]);
check('vector: proofHash || docHash = combinedHashJCS', hex(hashData) === expected.combinedHashJCS);

// The secret key multibase is multicodec ed25519-priv (0x1300, varint 0x80 0x26) + 32-byte seed.
const secret = decodeMultibaseBase58btc(keyPair.privateKeyMultibase);
check('vector: secret key is ed25519-priv multicodec', secret.length === 34 && secret[0] === 0x80 && secret[1] === 0x26);
const vectorPublic = decodeEd25519Multikey(keyPair.publicKeyMultibase);
const vectorPrivateKey = createPrivateKey({
  key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(secret.slice(2)).toString('base64url'), x: Buffer.from(vectorPublic).toString('base64url') },
  format: 'jwk',
});
const signature = edSign(null, hashData, vectorPrivateKey); // Ed25519 is deterministic
check('vector: Ed25519 signature of combined hash = sigHexJCS', hex(signature) === expected.sigHexJCS);
check('vector: base58btc of it = sigBTC58JCS', `z${bs58.encode(signature)}` === expected.sigBTC58JCS);
const assembled = { ...unsigned, proof: { ...proofConfig, proofValue: `z${bs58.encode(signature)}` } };
check('vector: assembled credential = signedJCS', canonicalize(assembled) === canonicalize(signed));

// The vector's issuer (https://vc.example/issuers/5678) is not its did:key, so issuer binding is off here.
const vectorOptions = { skipIssuerBinding: true };
const accepted = await expectCredential('vector: verify.mjs accepts signedJCS', signed, vectorOptions, true);
check('vector: the report has the signature check and the skipped issuer binding',
  accepted.checks.some((c) => c.check === 'proof[0].signature' && c.status === 'pass')
  && accepted.checks.some((c) => c.check === 'proof[0].issuerBinding' && c.status === 'skip'));
await expectCredential('vector: issuer binding on (default) rejects it', signed, {}, false, 'issuerBinding');

// ---- 2. Tampering with the signed vector ----

const tamper = (edit) => { const doc = clone(signed); edit(doc); return doc; };
await expectCredential('tamper: one character of credentialSubject.alumniOf', tamper((d) => { d.credentialSubject.alumniOf = 'The School of Examplez'; }), vectorOptions, false, 'signature');
await expectCredential('tamper: one character of credentialSubject.id', tamper((d) => { d.credentialSubject.id = 'did:example:abcdefgi'; }), vectorOptions, false, 'signature');
await expectCredential('tamper: a property added to credentialSubject', tamper((d) => { d.credentialSubject.degree = 'PhD'; }), vectorOptions, false, 'signature');
await expectCredential('tamper: proof.created changed', tamper((d) => { d.proof.created = '2023-02-24T23:36:39Z'; }), vectorOptions, false, 'signature');
await expectCredential('tamper: proofValue one character changed', tamper((d) => { d.proof.proofValue = d.proof.proofValue.replace(/X$/, 'Y'); }), vectorOptions, false);
await expectCredential('tamper: proofValue without multibase prefix', tamper((d) => { d.proof.proofValue = d.proof.proofValue.slice(1); }), vectorOptions, false, 'proofValue');
await expectCredential('tamper: document @context not starting with the proof @context', tamper((d) => { d['@context'] = [d['@context'][0]]; }), vectorOptions, false, '@context');
await expectCredential('tamper: verificationMethod fragment is another key', tamper((d) => { d.proof.verificationMethod = d.proof.verificationMethod.replace(/#.*/, '#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'); }), vectorOptions, false, 'didKey');
await expectCredential('tamper: proofPurpose authentication', tamper((d) => { d.proof.proofPurpose = 'authentication'; }), vectorOptions, false, 'proofPurpose');
await expectCredential('reject: no proof at all', tamper((d) => { delete d.proof; }), vectorOptions, false);
await expectCredential('reject: only a proof of another cryptosuite', tamper((d) => { d.proof.cryptosuite = 'eddsa-rdfc-2022'; }), vectorOptions, false, 'no eddsa-jcs-2022 proof');
await expectCredential('reject: eddsa-jcs-2022 with a type other than DataIntegrityProof', tamper((d) => { d.proof.type = 'Ed25519Signature2020'; }), vectorOptions, false, 'type');
await expectCredential('reject: validUntil in the past', tamper((d) => { d.validUntil = '2024-01-01T00:00:00Z'; }), vectorOptions, false, 'validUntil');
const other = { type: 'DataIntegrityProof', cryptosuite: 'ecdsa-rdfc-2019', proofValue: 'zxyz' };
const set = await expectCredential('proof set: eddsa-jcs-2022 proof plus an ignored other suite', tamper((d) => { d.proof = [other, d.proof]; }), vectorOptions, true);
check('proof set: the other suite is reported as skipped', set.checks.some((c) => c.check === 'proof[0]' && c.status === 'skip'));
await expectCredential('proof set: a second, tampered eddsa-jcs-2022 proof fails the set', tamper((d) => { d.proof = [d.proof, { ...d.proof, created: '2024-01-01T00:00:00Z' }]; }), vectorOptions, false, 'proof[1].signature');

// ---- 3. A Hocba-like credential signed with a fresh key and resolved through a DID document ----

function signJcs(credential, proofOptions, privateKey) {
  const doc = { ...credential, '@context': proofOptions['@context'] ?? credential['@context'] };
  delete doc.proof;
  const data = Buffer.concat([createHash('sha256').update(canonicalize(proofOptions)).digest(), createHash('sha256').update(canonicalize(doc)).digest()]);
  return { ...credential, proof: { ...proofOptions, proofValue: `z${bs58.encode(edSign(null, data, privateKey))}` } };
}
const multikey = (publicKey) => {
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  return `z${bs58.encode(Buffer.concat([Buffer.from([0xed, 0x01]), raw]))}`;
};

const did = 'did:web:hocba.example';
const vmId = `${did}#key-1`;
const fresh = generateKeyPairSync('ed25519');
const didDocument = {
  '@context': ['https://www.w3.org/ns/did/v1', 'https://www.w3.org/ns/cid/v1'],
  id: did,
  verificationMethod: [{ id: vmId, type: 'Multikey', controller: did, publicKeyMultibase: multikey(fresh.publicKey) }],
  assertionMethod: [vmId],
};
const hocbaCredential = {
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  id: 'urn:uuid:0b3f8d1e-6a57-4c1c-9a0e-8c9f0f6a2d11',
  type: ['VerifiableCredential', 'TrainingRecordCredential'],
  issuer: { id: did, name: 'Hocba' },
  validFrom: '2025-01-01T00:00:00Z',
  credentialSubject: { id: 'urn:hocba:official:1', name: 'Trần Thị Bình', course: 'Quản lý nhà nước ngạch chuyên viên' },
};
const hocbaProof = { type: 'DataIntegrityProof', cryptosuite: 'eddsa-jcs-2022', created: '2025-06-01T08:00:00Z', verificationMethod: vmId, proofPurpose: 'assertionMethod' };
const hocbaSigned = signJcs(hocbaCredential, hocbaProof, fresh.privateKey);
const withDid = { didDocument };
await expectCredential('did doc: fresh credential verifies via the DID document', hocbaSigned, withDid, true);
await expectCredential('did doc: relative verification method ids resolve', hocbaSigned,
  { didDocument: { ...didDocument, verificationMethod: [{ ...didDocument.verificationMethod[0], id: '#key-1' }], assertionMethod: ['#key-1'] } }, true);
const withProofContext = signJcs(hocbaCredential, { ...hocbaProof, '@context': hocbaCredential['@context'] }, fresh.privateKey);
await expectCredential('did doc: proof carrying @context verifies', withProofContext, withDid, true);
await expectCredential('did doc: one character of credentialSubject.name changed', { ...hocbaSigned, credentialSubject: { ...hocbaSigned.credentialSubject, name: 'Trần Thị Bính' } }, withDid, false, 'signature');
await expectCredential('did doc: no DID document given', hocbaSigned, {}, false, 'no DID document');
await expectCredential('did doc: verification method absent', hocbaSigned, { didDocument: { ...didDocument, verificationMethod: [] } }, false, 'not in the DID document');
await expectCredential('did doc: verification method revoked', hocbaSigned,
  { didDocument: { ...didDocument, verificationMethod: [{ ...didDocument.verificationMethod[0], revoked: '2025-07-01T00:00:00Z' }] } }, false, 'notRevoked');
await expectCredential('did doc: key not in assertionMethod', hocbaSigned, { didDocument: { ...didDocument, assertionMethod: [] } }, false, 'relationship');
await expectCredential('did doc: DID document of another DID', hocbaSigned, { didDocument: { ...didDocument, id: 'did:web:other.example' } }, false, 'didDocument.id');
await expectCredential('did doc: DID document with another key', hocbaSigned,
  { didDocument: { ...didDocument, verificationMethod: [{ ...didDocument.verificationMethod[0], publicKeyMultibase: keyPair.publicKeyMultibase }] } }, false, 'signature');
await expectCredential('did doc: issuer that is not the key controller', signJcs({ ...hocbaCredential, issuer: 'did:web:someone.else' }, hocbaProof, fresh.privateKey), withDid, false, 'issuerBinding');
await expectCredential('did doc: validFrom in the future', signJcs({ ...hocbaCredential, validFrom: '2999-01-01T00:00:00Z' }, hocbaProof, fresh.privateKey), withDid, false, 'validFrom');

// ---- 4. JWS (VC-JOSE-COSE) signed by jose with a fresh key ----

const { publicKey: jwsPublic, privateKey: jwsPrivate } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
const jwk = await exportJWK(jwsPublic);
const jwks = { keys: [{ ...jwk, kid: 'key-1', alg: 'EdDSA', use: 'sig' }] };
const jwsDidDocument = {
  ...didDocument,
  verificationMethod: [{ id: vmId, type: 'Multikey', controller: did, publicKeyMultibase: `z${bs58.encode(Buffer.concat([Buffer.from([0xed, 0x01]), Buffer.from(jwk.x, 'base64url')]))}` }],
};
const sign = (payload, header = {}) => new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
  .setProtectedHeader({ alg: 'EdDSA', typ: 'vc+jwt', kid: vmId, ...header }).sign(jwsPrivate);
const jws = await sign(hocbaCredential);
await expectJws('jws: verifies with the JWKS (kid matched on its fragment)', jws, { jwks }, true);
await expectJws('jws: verifies with the JWKS (full kid)', jws, { jwks: { keys: [{ ...jwk, kid: vmId }] } }, true);
await expectJws('jws: verifies with the DID document', jws, { didDocument: jwsDidDocument }, true);
const [h, p, s] = jws.split('.');
const otherPayload = Buffer.from(JSON.stringify({ ...hocbaCredential, credentialSubject: { ...hocbaCredential.credentialSubject, name: 'Trần Thị Bính' } })).toString('base64url');
await expectJws('jws: payload swapped', `${h}.${otherPayload}.${s}`, { jwks }, false, 'jws.signature');
await expectJws('jws: signature one character changed', `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`, { jwks }, false, 'jws.signature');
await expectJws('jws: another key in the JWKS', jws, { jwks: { keys: [{ ...(await exportJWK((await generateKeyPair('EdDSA', { crv: 'Ed25519' })).publicKey)), kid: 'key-1' }] } }, false, 'jws.signature');
await expectJws('jws: kid not in the JWKS', jws, { jwks: { keys: [{ ...jwk, kid: 'key-2' }] } }, false, 'jwks.kid');
await expectJws('jws: typ JWT instead of vc+jwt', await sign(hocbaCredential, { typ: 'JWT' }), { jwks }, false, 'jws.typ');
await expectJws('jws: typ application/vc+jwt is the same media type', await sign(hocbaCredential, { typ: 'application/vc+jwt' }), { jwks }, true);
await expectJws('jws: a JWKS key of another curve', jws, { jwks: { keys: [{ ...jwk, crv: 'Ed448', kid: 'key-1' }] } }, false, 'jwks.key');
await expectJws('jws: payload without VerifiableCredential type', await sign({ ...hocbaCredential, type: ['Other'] }), { jwks }, false, 'credential.type');
await expectJws('jws: payload that is not a JSON object', await sign(['not', 'an', 'object']), { jwks }, false, 'jws.payload');
await expectJws('jws: issuer that is not the kid controller', await sign({ ...hocbaCredential, issuer: 'did:web:someone.else' }), { jwks }, false, 'issuerBinding');
await expectJws('jws: revoked key in the DID document', jws,
  { didDocument: { ...jwsDidDocument, verificationMethod: [{ ...jwsDidDocument.verificationMethod[0], revoked: '2025-01-01T00:00:00Z' }] } }, false, 'notRevoked');

// ---- 5. The CLI: one line of JSON on stdout, exit codes 0 / 1 / 2 ----

const dir = mkdtempSync(join(tmpdir(), 'hocba-interop-'));
try {
  const file = (name, content) => { const path = join(dir, name); writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content)); return path; };
  const cli = (...args) => spawnSync(process.execPath, [join(here, 'verify.mjs'), ...args], { encoding: 'utf8' });
  const expectCli = (name, args, status, verified) => {
    const r = cli(...args);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    let out;
    try { out = JSON.parse(lines[0]); } catch { out = undefined; }
    const shapeOk = lines.length === 1 && out !== undefined && Object.keys(out).join() === 'verified,checks,error'
      && out.verified === verified && Array.isArray(out.checks) && (verified ? out.error === null : typeof out.error === 'string');
    check(`cli: ${name} -> exit ${status}`, r.status === status && shapeOk, `exit ${r.status}, stdout ${r.stdout.trim()}, stderr ${r.stderr.trim()}`);
  };
  const didPath = file('did.json', didDocument);
  expectCli('W3C vector', ['--credential', file('signed.json', signed), '--no-issuer-binding'], 0, true);
  expectCli('W3C vector, tampered', ['--credential', file('tampered.json', tamper((d) => { d.credentialSubject.alumniOf = 'The School of Examplez'; })), '--no-issuer-binding'], 1, false);
  expectCli('Hocba-like credential with --did', ['--did', didPath, '--credential', file('hocba.json', hocbaSigned)], 0, true);
  expectCli('credential before its validFrom (--now)', ['--did', didPath, '--credential', join(dir, 'hocba.json'), '--now', '2024-12-31T23:59:59Z'], 1, false);
  expectCli('JWS with --jwks', ['--jwks', file('jwks.json', jwks), '--jws', file('vc.jwt', `${jws}\n`)], 0, true);
  expectCli('JWS with --did', ['--did', file('did-jws.json', jwsDidDocument), '--jws', join(dir, 'vc.jwt')], 0, true);
  expectCli('credential file that is not JSON', ['--credential', file('junk.json', '{not json')], 1, false);
  expectCli('no arguments', [], 2, false);
  expectCli('both --credential and --jws', ['--credential', join(dir, 'hocba.json'), '--jws', join(dir, 'vc.jwt')], 2, false);
  expectCli('missing file', ['--credential', join(dir, 'absent.json')], 2, false);
  expectCli('unknown flag', ['--credential', join(dir, 'hocba.json'), '--frobnicate'], 2, false);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// ---- 6. The Digital Bazaar harness (db-issue.mjs, db-verify.mjs, contexts.mjs): db-selftest.mjs ----

await runDbSelftest(check);

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
