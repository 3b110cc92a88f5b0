// Watches a storm from outside: every few ms it scans /proc/*/cmdline of ALL processes (and,
// every 10th round, /proc/*/environ) for the secret values, and reads the config: it must
// always parse; per Claude-like writer its counter must never go down (a lower value after a
// higher one is a lost update); and while the test says an anchor session is alive
// ("anchor-on" .. "anchor-off"), every anchor key must be in the config with its exact value.
// Input (stdin, never argv): line 1 {"config", "values": [...], "anchor": [{"server","env","value"}]};
// then "anchor-on", "anchor-off", "stop". Output after "stop": one JSON line of counts, with
// pids, process names and key names only, never a value.
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

let job;
let anchorOn = false;
let stopping = false;
const r = {
  rounds: 0,
  procScans: 0,
  environScans: 0,
  cmdlineHits: [],
  environHits: [],
  configReads: 0,
  parseFailures: 0,
  anchoredReads: 0,
  absentWhileAnchored: [],
  regressions: [],
};
const maxSeen = new Map();

function comm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

function scanProc(environToo) {
  r.procScans++;
  if (environToo) r.environScans++;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    for (const what of environToo ? ['cmdline', 'environ'] : ['cmdline']) {
      let text;
      try {
        text = readFileSync(`/proc/${d}/${what}`, 'latin1');
      } catch {
        continue;
      }
      if (job.needles.some((n) => text.includes(n))) {
        const hit = { pid: Number(d), comm: comm(d) };
        (what === 'cmdline' ? r.cmdlineHits : r.environHits).push(hit);
      }
    }
  }
}

function readConfig() {
  let text;
  try {
    text = readFileSync(job.config, 'utf8');
  } catch {
    return;
  }
  r.configReads++;
  let cfg;
  try {
    cfg = JSON.parse(text);
  } catch {
    r.parseFailures++;
    return;
  }
  for (const [k, v] of Object.entries(cfg)) {
    if (!/^writer/.test(k) || typeof v !== 'number') continue;
    const prev = maxSeen.get(k) ?? 0;
    if (v < prev) r.regressions.push({ writer: k, from: prev, to: v, at: Date.now() });
    else maxSeen.set(k, v);
  }
  if (anchorOn) {
    r.anchoredReads++;
    for (const a of job.anchor) {
      if (cfg?.mcpServers?.[a.server]?.env?.[a.env] !== a.value) r.absentWhileAnchored.push({ server: a.server, env: a.env, at: Date.now() });
    }
  }
}

async function loop() {
  while (!stopping) {
    r.rounds++;
    scanProc(r.rounds % 10 === 0);
    readConfig();
    readConfig();
    await new Promise((res) => setTimeout(res, 2));
  }
  r.maxSeen = Object.fromEntries(maxSeen);
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (!job) {
    job = JSON.parse(line);
    // Raw and JSON-escaped forms (a value with quotes or backslashes is escaped in the config).
    job.needles = job.values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]);
    process.stdout.write('ready\n');
    void loop();
  } else if (line === 'anchor-on') {
    anchorOn = true;
  } else if (line === 'anchor-off') anchorOn = false;
  else if (line === 'stop') stopping = true;
});
