#!/usr/bin/env node
// Maintainer check, needs the npm registry (CI does not run it): re-derives every npm-sourced
// context listed in ../crates/hocba-credentials/contexts/MANIFEST.tsv from its package tarball and
// compares it with the bundled file and the recorded SHA-256. `--write` replaces bundled files that
// differ (then update the sha256 column by hand, reviewing why they changed).
//   node interop/contexts-from-npm.mjs [--write]      exit 0 all match, 1 a difference

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTEXTS_DIR, readManifest } from './contexts.mjs';

const write = process.argv.includes('--write');
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

// The Open Badges package ships its contexts only as CommonJS modules (`module.exports = {…}`,
// the object written as JSON). The bundled file is that value as 2-space JSON plus a newline,
// which is also byte for byte the file in 1EdTech's openbadges-specification repository.
// The text is parsed, not executed.
function fromModule(text) {
  const marker = 'module.exports = ';
  const body = text.slice(text.indexOf(marker) + marker.length).replace(/;?\s*$/, '');
  return Buffer.from(`${JSON.stringify(JSON.parse(body), null, 2)}\n`);
}

const work = mkdtempSync(join(tmpdir(), 'hocba-contexts-npm-'));
let differences = 0;
try {
  for (const row of readManifest()) {
    if (!row.source.startsWith('npm:')) {
      console.log(`skip  ${row.file}: source ${row.source}`);
      continue;
    }
    const spec = row.source.slice('npm:'.length);
    const path = row.path.replace(/ \(.*\)$/, '');
    const dir = mkdtempSync(join(work, 'pkg-'));
    const tarball = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n').pop();
    execFileSync('tar', ['xzf', join(dir, tarball), '-C', dir, `package/${path}`]);
    const raw = readFileSync(join(dir, 'package', path));
    const derived = path.endsWith('.js') ? fromModule(raw.toString('utf8')) : raw;
    const bundled = readFileSync(join(CONTEXTS_DIR, row.file));
    const same = derived.equals(bundled) && sha256(derived) === row.sha256;
    console.log(`${same ? 'same ' : 'DIFF '} ${row.file} <- ${spec} ${path} (${sha256(derived)})`);
    if (!same) {
      differences += 1;
      if (write) writeFileSync(join(CONTEXTS_DIR, row.file), derived);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = differences === 0 ? 0 : 1;
