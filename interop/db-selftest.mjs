#!/usr/bin/env node
// Self-test of the Digital Bazaar harness (contexts.mjs, db-issue.mjs, db-verify.mjs): the bundled
// contexts reproduce the W3C eddsa-rdfc-2022 test vector, credentials issued by db-issue verify with
// db-verify for each suite and as a proof set, and tampering is caught. selftest.mjs runs it too;
// alone: node interop/db-selftest.mjs   (prints "N passed, N failed"; exits 1 on any failure)

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bs58 from 'bs58';
import jsonld from 'jsonld';
import { CONTEXTS_DIR, createDocumentLoader, loadContexts, readManifest } from './contexts.mjs';
import { dbIssueCredential, keyFromSeed } from './db-issue.mjs';
import { dbVerifyCredential } from './db-verify.mjs';
import { verifyCredential as jcsVerify } from './verify.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const vector = (name) => JSON.parse(readFileSync(join(here, 'vectors', name), 'utf8'));
const sha256hex = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
const RDFC = 'eddsa-rdfc-2022';
const JCS = 'eddsa-jcs-2022';
const BOTH = [RDFC, JCS];

export async function runDbSelftest(check) {
  const outcome = (r) => JSON.stringify(r);
  async function expectDb(name, credential, options, expected, errorIncludes) {
    const r = await dbVerifyCredential(credential, options);
    const errors = [r.error, ...r.proofs.map((p) => p.error)].join(' | ');
    check(name, r.verified === expected && (errorIncludes === undefined || errors.includes(errorIncludes)), outcome(r));
    return r;
  }
  async function expectThrows(name, promise, includes) {
    try {
      await promise;
      check(name, false, 'no error');
    } catch (e) {
      check(name, String(e?.message).includes(includes), e?.message);
    }
  }

  // ---- 1. The bundled contexts and the offline loader ----

  const urls = readManifest().map((row) => row.url);
  check('contexts: MANIFEST.tsv lists the contexts a Hocba or W3C-suite credential needs', [
    'https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2',
    'https://w3id.org/security/data-integrity/v2', 'https://w3id.org/security/multikey/v1',
    'https://www.w3.org/ns/did/v1', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
  ].every((u) => urls.includes(u)), urls.join(' '));
  check('contexts: every file matches its SHA-256 in MANIFEST.tsv', loadContexts().size === urls.length + 1);
  const scratch = mkdtempSync(join(tmpdir(), 'hocba-contexts-'));
  try {
    for (const f of ['MANIFEST.tsv', 'hocba-v1.jsonld', ...readManifest().map((r) => r.file)]) copyFileSync(join(CONTEXTS_DIR, f), join(scratch, f));
    writeFileSync(join(scratch, 'did-v1.jsonld'), `${readFileSync(join(scratch, 'did-v1.jsonld'), 'utf8')} `);
    await expectThrows('contexts: a file changed by one byte is refused at startup', (async () => loadContexts(scratch))(), 'differs from MANIFEST.tsv');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const loader = createDocumentLoader();
  await expectThrows('loader: an unbundled context URL is refused, not fetched', loader('https://www.w3.org/2018/credentials/examples/v1'), 'not bundled');
  await expectThrows('loader: an unknown did:web is refused, not fetched', loader('did:web:hocba.example#key-1'), 'not bundled');
  await expectThrows('loader: an X25519 did:key is not a signing key', loader('did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc'), 'not an Ed25519 did:key');
  const vm = (await loader('did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2')).document;
  check('loader: a did:key fragment resolves to its Multikey', vm.type === 'Multikey' && vm.controller === 'did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2', outcome(vm));

  // ---- 2. The W3C vc-di-eddsa eddsa-rdfc-2022 vector ----

  const unsigned = vector('unsigned.json');
  const signedRdfc = vector('signedDataInt.json');
  const proofConfig = vector('proofConfigDataInt.json');
  const expected = vector('intermediatesDataInt.json');
  const canonize = (doc) => jsonld.canonize(doc, { algorithm: 'RDFC-1.0', format: 'application/n-quads', documentLoader: loader, safe: true });
  const canonDoc = await canonize(unsigned);
  check('rdfc vector: bundled contexts give canonDocDataInt', canonDoc === expected.canonDocDataInt);
  check('rdfc vector: its SHA-256 = docHashDataInt', sha256hex(canonDoc) === expected.docHashDataInt);
  const canonProof = await canonize(proofConfig);
  check('rdfc vector: canonical proof configuration = proofCanonDataInt', canonProof === expected.proofCanonDataInt);
  check('rdfc vector: its SHA-256 = proofHashDataInt', sha256hex(canonProof) === expected.proofHashDataInt);

  // The vector's secret key is multicodec ed25519-priv (0x80 0x26) + the 32-byte seed.
  const seed = bs58.decode(vector('keyPair.json').privateKeyMultibase.slice(1)).slice(2);
  const created = signedRdfc.proof.created;
  const reissued = await dbIssueCredential(unsigned, { seed, suites: [RDFC], created });
  check('rdfc vector: db-issue with the vector key reproduces its proofValue', reissued.proof.proofValue === signedRdfc.proof.proofValue, reissued.proof.proofValue);
  check('rdfc vector: ... and the proofValue = sigBTC58DataInt', signedRdfc.proof.proofValue === expected.sigBTC58DataInt);
  const reissuedJcs = await dbIssueCredential(unsigned, { seed, suites: [JCS], created });
  check('jcs vector: db-issue with the vector key reproduces signedJCS proofValue', reissuedJcs.proof.proofValue === vector('signedJCS.json').proof.proofValue);

  // The vector's issuer (https://vc.example/issuers/5678) is not its did:key: binding off.
  const unbound = { issuerBinding: false };
  await expectDb('rdfc vector: db-verify accepts signedDataInt', signedRdfc, unbound, true);
  await expectDb('jcs vector: db-verify accepts signedJCS', vector('signedJCS.json'), unbound, true);
  await expectDb('rdfc vector: with issuer binding (the default) it is refused', signedRdfc, {}, false, 'issuer must match');
  const tamper = (doc, edit) => { const copy = structuredClone(doc); edit(copy); return copy; };
  await expectDb('rdfc tamper: one character of credentialSubject.alumniOf', tamper(signedRdfc, (d) => { d.credentialSubject.alumniOf = 'The School of Examplez'; }), unbound, false, 'Invalid signature');
  await expectDb('rdfc tamper: proof.created changed', tamper(signedRdfc, (d) => { d.proof.created = '2023-02-24T23:36:39Z'; }), unbound, false, 'Invalid signature');
  await expectDb('rdfc tamper: proofValue changed', tamper(signedRdfc, (d) => { d.proof.proofValue = d.proof.proofValue.replace(/^z2Y/, 'z2Z'); }), unbound, false);
  await expectDb('rdfc tamper: cryptosuite relabelled eddsa-jcs-2022', tamper(signedRdfc, (d) => { d.proof.cryptosuite = JCS; }), unbound, false);
  await expectDb('rdfc tamper: examples context dropped (alumniOf undefined)', tamper(signedRdfc, (d) => { d['@context'] = [d['@context'][0]]; }), unbound, false);
  // Whitespace and key order are not signed under RDFC: the same statements still verify.
  const reversed = (v) => (Array.isArray(v) ? v.map(reversed) : v && typeof v === 'object'
    ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v);
  await expectDb('rdfc: keys of every object reversed (same statements) still verifies', reversed(signedRdfc), unbound, true);

  // ---- 3. Round trips: a Hocba-shaped credential, did:key issuer, each suite and the set ----

  const hocbaSeed = new Uint8Array(32).fill(7);
  const { did } = await keyFromSeed(hocbaSeed);
  const hocba = hocbaCredential(did);
  const both = await dbIssueCredential(hocba, { seed: hocbaSeed, suites: BOTH });
  const bothResult = await expectDb('round trip: proof set (rdfc + jcs) verifies', both, {}, true);
  check('round trip: each proof of the set is reported', bothResult.proofs.map((p) => p.cryptosuite).join() === BOTH.join(), outcome(bothResult));
  for (const suite of BOTH) {
    const one = await dbIssueCredential(hocba, { seed: hocbaSeed, suites: [suite], created: null });
    await expectDb(`round trip: ${suite} alone (no created) verifies`, one, {}, true);
    await expectDb(`round trip: proof set checked with --suite ${suite}`, both, { suite }, true);
    const other = BOTH.find((s) => s !== suite);
    await expectDb(`round trip: a ${suite}-only credential has no ${other} proof`, one, { suite: other }, false, `no ${other} proof`);
  }
  await expectDb('tamper: document changed under a proof set fails both proofs', tamper(both, (d) => { d.credentialSubject.trainingDays = 30; }), {}, false, 'Invalid signature');
  const broken = await expectDb('tamper: one proof of the set broken fails the set', tamper(both, (d) => { d.proof[1].created = '2020-01-01T00:00:00Z'; }), {}, false);
  check('tamper: ... and the report says which proof', broken.proofs[0].verified && !broken.proofs[1].verified, outcome(broken));
  await expectDb('reject: a proof chain (previousProof)', tamper(both, (d) => { d.proof[1].previousProof = 'urn:uuid:x'; }), {}, false, 'previousProof');
  await expectDb('reject: a proof of a suite db-verify does not know', tamper(both, (d) => { d.proof[0].cryptosuite = 'ecdsa-rdfc-2019'; }), {}, false, 'unsupported');
  const stranger = await dbIssueCredential(hocbaCredential('did:web:someone.else'), { seed: hocbaSeed, suites: BOTH });
  await expectDb('reject: signed by a key its issuer does not control', stranger, {}, false, 'issuer must match');
  await expectDb('reject: before validFrom (now option)', both, { now: '2024-12-31T00:00:00Z' }, false, 'before');
  const independent = await jcsVerify(both, {});
  check('cross: verify.mjs (independent JCS) accepts the jcs proof of the DB-issued set', independent.verified, outcome(independent));
  await expectThrows('rdfc issue: an undefined term is refused (JSON-LD safe mode)',
    dbIssueCredential(tamper(hocba, (d) => { d.credentialSubject.favouriteColour = 'blue'; }), { seed: hocbaSeed, suites: [RDFC] }), 'Safe mode');

  // ---- 4. A did:web issuer resolved from a DID document, as Hocba's registries are ----

  const webDid = 'did:web:registry.example.gov.vn';
  const webKey = await keyFromSeed(hocbaSeed, { id: `${webDid}#key-1`, controller: webDid });
  const didDocument = {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: webDid,
    verificationMethod: [{ id: `${webDid}#key-1`, type: 'Multikey', controller: webDid, publicKeyMultibase: webKey.publicKeyMultibase }],
    assertionMethod: [`${webDid}#key-1`],
  };
  const webSigned = await dbIssueCredential(hocbaCredential(webDid), { seed: hocbaSeed, suites: BOTH, key: { id: `${webDid}#key-1`, controller: webDid } });
  await expectDb('did:web: proof set verifies against the DID document', webSigned, { didDocuments: [didDocument] }, true);
  await expectDb('did:web: without the DID document it is refused (nothing fetched)', webSigned, {}, false, 'not bundled');
  await expectDb('did:web: key not in assertionMethod is refused', webSigned, { didDocuments: [{ ...didDocument, assertionMethod: [] }] }, false, 'not authorized');

  // ---- 5. The CLIs: db-issue prints only the credential; db-verify one JSON line, exit 0/1/2 ----

  const dir = mkdtempSync(join(tmpdir(), 'hocba-db-'));
  try {
    const file = (name, content) => { const p = join(dir, name); writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content)); return p; };
    const run = (script, args) => spawnSync(process.execPath, [join(here, script), ...args], { encoding: 'utf8' });
    const unsignedPath = file('unsigned.json', hocba);
    const seedHex = Buffer.from(hocbaSeed).toString('hex');
    for (const suite of [RDFC, JCS, 'both']) {
      const issued = run('db-issue.mjs', ['--seed', seedHex, '--credential', unsignedPath, '--suite', suite, '--created', '2025-01-15T08:00:00Z']);
      let signed;
      try { signed = JSON.parse(issued.stdout); } catch { signed = undefined; }
      check(`cli: db-issue --suite ${suite} prints just the signed credential`, issued.status === 0 && signed?.proof !== undefined && issued.stderr === '', `exit ${issued.status} ${issued.stderr}`);
      const verified = run('db-verify.mjs', ['--credential', file(`signed-${suite}.json`, issued.stdout)]);
      const lines = verified.stdout.trim().split('\n');
      const out = JSON.parse(lines[0] || 'null');
      check(`cli: db-verify accepts it -> exit 0, one JSON line`, verified.status === 0 && lines.length === 1 && out?.verified === true
        && out.proofs.length === (suite === 'both' ? 2 : 1), `exit ${verified.status} ${verified.stdout}`);
    }
    const expectExit = (name, args, status) => {
      const r = run('db-verify.mjs', args);
      let out;
      try { out = JSON.parse(r.stdout); } catch { out = undefined; }
      check(`cli: db-verify ${name} -> exit ${status}`, r.status === status && out?.verified === false && typeof out.error === 'string', `exit ${r.status} ${r.stdout}`);
    };
    expectExit('tampered credential', ['--credential', file('tampered.json', tamper(both, (d) => { d.name = 'x'; }))], 1);
    expectExit('credential that is not JSON', ['--credential', file('junk.json', '{not json')], 1);
    expectExit('did:web credential without --did', ['--credential', file('web.json', webSigned)], 1);
    expectExit('no arguments', [], 2);
    expectExit('unknown --suite', ['--credential', join(dir, 'web.json'), '--suite', 'ed25519-2020'], 2);
    expectExit('missing file', ['--credential', join(dir, 'absent.json')], 2);
    const web = run('db-verify.mjs', ['--credential', join(dir, 'web.json'), '--did', file('did.json', didDocument)]);
    check('cli: db-verify --did for a did:web issuer -> exit 0', web.status === 0, web.stdout);
    const badSeed = run('db-issue.mjs', ['--seed', 'abc', '--credential', unsignedPath]);
    check('cli: db-issue with a bad seed -> exit 2, nothing on stdout', badSeed.status === 2 && badSeed.stdout === '', badSeed.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The shape of Hocba's certificate (crates/hocba-credentials/src/certificate.rs), with `issuer`.
function hocbaCredential(issuer) {
  const base = 'https://registry.example.gov.vn';
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json', 'https://hocba.gov.vn/contexts/v1.jsonld'],
    id: 'urn:uuid:6f1c1d1e-7a55-4a8e-9a3d-2c0b9f7c1a11',
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: 'An toàn lao động',
    issuer: { id: issuer, type: ['Profile'], name: 'Sở Lao động', url: base },
    validFrom: '2025-01-15T08:00:00Z',
    certificateNumber: 'ATLD-2025-000123',
    credentialSubject: {
      type: ['AchievementSubject'],
      identifier: [
        { type: 'IdentityObject', identityType: 'name', hashed: false, identityHash: 'Nguyễn Văn A' },
        { type: 'IdentityObject', identityType: 'nationalIdentityNumber', hashed: true, identityHash: 'sha256$00ff', salt: 'c2FsdA' },
      ],
      achievement: {
        id: `${base}/api/v1/programs/42`,
        type: ['Achievement'],
        achievementType: 'Certificate',
        humanCode: 'ATLD',
        name: 'An toàn lao động',
        description: 'Occupational safety',
        criteria: { narrative: 'Completed the programme ATLD (3 training days at least).' },
        trainingCategory: 'safety',
        creator: { id: `${base}/api/v1/institutions/7`, type: ['Profile'], name: 'Trường X', institutionCode: 'TX01' },
      },
      activityStartDate: '2025-01-01',
      activityEndDate: '2025-01-03',
      trainingDays: 3,
      result: [{ type: ['Result'], value: 'passed', score: 8.5 }],
    },
    credentialStatus: {
      id: `${base}/status-lists/1#5`,
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: '5',
      statusListCredential: `${base}/status-lists/1`,
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let passed = 0;
  let failed = 0;
  await runDbSelftest((name, ok, detail = '') => {
    if (ok) passed += 1; else failed += 1;
    console.log(ok ? `ok    ${name}` : `FAIL  ${name}${detail ? ` -- ${detail}` : ''}`);
  });
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}
