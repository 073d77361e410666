#!/usr/bin/env node
// A loopback TLS terminator in front of a registry, as a deployment has one (nginx, a load
// balancer): verifiers that resolve did:web and fetch status lists speak only https, while
// `hocba serve` speaks plain HTTP behind the terminator.
//
//   node interop/tls-terminator.mjs --backend 127.0.0.1:PORT --dir DIR
//
// Makes a throwaway self-signed certificate for `localhost` in DIR (cert.pem, key.pem; with the
// openssl CLI, since node can sign but not build X.509), listens on 127.0.0.1 on a free port and
// prints one JSON line {"port":N,"ca":"DIR/cert.pem"}; clients trust it with
// NODE_EXTRA_CA_CERTS=DIR/cert.pem. Forwards every request unchanged to the backend over HTTP.
// Exits when its standard input closes, so it never outlives the test that started it.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { backend: { type: 'string' }, dir: { type: 'string' } },
});
if (!values.backend || !values.dir) {
  process.stderr.write('usage: tls-terminator.mjs --backend HOST:PORT --dir DIR\n');
  process.exit(2);
}
const [backendHost, backendPort] = values.backend.split(':');
const cert = join(values.dir, 'cert.pem');
const key = join(values.dir, 'key.pem');

// A P-256 key and a one-day certificate naming localhost; a trusted self-signed certificate is
// its own trust anchor, so it needs no CA of its own.
execFileSync('openssl', [
  'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
  '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  '-days', '1', '-keyout', key, '-out', cert,
], { stdio: ['ignore', 'ignore', 'inherit'] });

const server = https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
  const forwarded = http.request(
    {
      host: backendHost,
      port: backendPort,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, 'x-forwarded-proto': 'https' },
    },
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    },
  );
  forwarded.on('error', (error) => {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`backend unreachable: ${error.message}\n`);
  });
  req.pipe(forwarded);
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port, ca: cert })}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
