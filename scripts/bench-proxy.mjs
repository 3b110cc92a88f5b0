#!/usr/bin/env node
// npm run bench (section "proxy"): what the placeholder proxy of `run` adds. Loopback stubs
// (HTTP and HTTPS, keep-alive), the proxy in a process of its own (as in `run`), clients from
// undici: the added latency per request (HTTPS after the first handshake), 200 concurrent
// requests, and the proxy process's memory.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Agent, ProxyAgent, request } from 'undici';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const N = Math.max(200, RUNS * 20);
if (!process.env.BENCH_NO_BUILD) execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });

// The proxy's modules as one CommonJS file beside dist/x509.js (which the CA code loads from its own directory).
const entry = join(root, 'dist', `.bench-proxy-${process.pid}.js`);
await build({
  stdin: {
    contents: `export { startProxy } from './src/proxy/proxy-server.ts'; export { leafInterceptor, loadOrCreateCa } from './src/proxy/ca.ts'; export { MemoryBackend } from './src/keyring/memory.ts';`,
    resolveDir: root,
    loader: 'ts',
  },
  outfile: entry,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // import.meta only appears on the test-runner path (lazy requires), never reached here.
  logOverride: { 'empty-import-meta': 'silent' },
  logLevel: 'warning',
});

const work = mkdtempSync(join(tmpdir(), 'ki-bench-proxy-'));
const keyFile = join(work, 'stub.key');
const certFile = join(work, 'stub.crt');
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ],
  { stdio: 'ignore' },
);
const stubCert = readFileSync(certFile, 'utf8');
const answer = (req, res) => {
  req.resume();
  req.on('end', () => res.end(`{"got":${JSON.stringify(req.headers.authorization ?? null)}}`));
};
const listen = (server) => new Promise((r) => server.listen(0, '127.0.0.1', () => r(server.address().port)));
const httpStub = createHttp({ keepAlive: true }, answer);
const httpsStub = createHttps({ key: readFileSync(keyFile), cert: stubCert, keepAlive: true }, answer);
const httpPort = await listen(httpStub);
const httpsPort = await listen(httpsStub);

// The proxy process.
const token = 'benchtoken0123456789';
const value = `bench-value-${process.pid}`;
const placeholder = 'kiph_00112233445566778899aabbccddeeff0011223344556677';
const child = spawn(
  process.execPath,
  [
    '-e',
    `const m = require(${JSON.stringify(entry)});
(async () => {
  const ca = await m.loadOrCreateCa(new m.MemoryBackend(), new Date());
  const p = await m.startProxy({ keys: [{ name: 'k', value: ${JSON.stringify(value)}, placeholder: ${JSON.stringify(placeholder)}, hosts: ['localhost:${httpPort}', 'localhost:${httpsPort}'] }],
    token: ${JSON.stringify(token)}, upstream: { noProxy: [], ca: [${JSON.stringify(stubCert)}] }, intercept: m.leafInterceptor(ca, () => new Date()) });
  process.stdout.write(JSON.stringify({ port: p.port, ca: ca.certPem }) + '\\n');
})();`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
// The proxy process and the bench's files go whatever happens.
process.on('exit', () => {
  child.kill();
  rmSync(work, { recursive: true, force: true });
  rmSync(entry, { force: true });
});
const { port, ca } = await new Promise((resolve) => {
  let buf = '';
  child.stdout.on('data', (c) => {
    buf += c;
    if (buf.includes('\n')) resolve(JSON.parse(buf));
  });
});
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const rssIdle = rss();

const proxyUri = `http://ki:${token}@127.0.0.1:${port}`;
const direct = new Agent({ connect: { ca: stubCert }, connections: 256 });
const viaProxy = new ProxyAgent({ uri: proxyUri, requestTls: { ca, servername: 'localhost' }, connections: 256 });

async function once(url, dispatcher) {
  const t0 = process.hrtime.bigint();
  // A fresh object each time: undici's ProxyAgent writes the Host header into the one it is given.
  const r = await request(url, { dispatcher, headers: { authorization: `Bearer ${placeholder}` } });
  const body = await r.body.text();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.statusCode !== 200) throw new Error(`${url}: status ${r.statusCode}: ${body.slice(0, 200)}`);
  return { ms, body };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function series(url, dispatcher) {
  await once(url, dispatcher); // the first request opens the connection (and, for HTTPS, the handshakes)
  const out = [];
  for (let i = 0; i < N; i++) out.push((await once(url, dispatcher)).ms);
  return out;
}

// Interleaved rounds, so that load drifting on a shared machine hits both sides alike.
const res = { http: { direct: [], proxy: [] }, https: { direct: [], proxy: [] } };
for (let round = 0; round < 3; round++) {
  res.http.direct.push(...(await series(`http://localhost:${httpPort}/x`, direct)));
  res.http.proxy.push(...(await series(`http://localhost:${httpPort}/x`, viaProxy)));
  res.https.direct.push(...(await series(`https://localhost:${httpsPort}/x`, direct)));
  res.https.proxy.push(...(await series(`https://localhost:${httpsPort}/x`, viaProxy)));
}
const check = await once(`https://localhost:${httpsPort}/x`, viaProxy);
if (!check.body.includes(placeholder) || check.body.includes(value)) throw new Error('the echoed value was not swapped back');

console.log(`placeholder proxy (${N * 3} sequential keep-alive requests per line, loopback stubs):`);
for (const kind of ['http', 'https']) {
  const d = median(res[kind].direct);
  const p = median(res[kind].proxy);
  console.log(`  ${kind.padEnd(5)} direct ${d.toFixed(2)} ms, through the proxy ${p.toFixed(2)} ms: added ${(p - d).toFixed(2)} ms per request (median)`);
}

// 200 concurrent HTTPS requests through the proxy.
const t0 = process.hrtime.bigint();
const all = await Promise.allSettled(Array.from({ length: 200 }, () => once(`https://localhost:${httpsPort}/c`, viaProxy)));
const wall = Number(process.hrtime.bigint() - t0) / 1e6;
const failed = all.filter((r) => r.status === 'rejected' || !r.value.body.includes(placeholder)).length;
const rssLoaded = rss();
console.log(`  200 concurrent HTTPS requests: ${200 - failed} ok, ${failed} failed, ${wall.toFixed(0)} ms wall`);
console.log(`  proxy process memory (RSS): ${rssIdle.toFixed(1)} MiB idle, ${rssLoaded.toFixed(1)} MiB after the concurrent requests`);

await direct.close();
await viaProxy.close();
child.kill();
httpStub.closeAllConnections();
httpsStub.closeAllConnections();
httpStub.close();
httpsStub.close();
rmSync(work, { recursive: true, force: true });
rmSync(entry, { force: true });
if (failed > 0) process.exitCode = 1;
