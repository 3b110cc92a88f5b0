#!/usr/bin/env node
// e2e harness: a minimal stdio MCP server (JSON-RPC 2.0, one JSON message per line), no
// dependencies. At start-up it appends ONE JSON line to the file named by KI_TEST_REPORT_FILE:
//   {"pid","ppid","startedAt","vars":{"NAME":"<sha256 hex of the value>"|null},"envNames":[...]}
// for every name in KI_TEST_WATCH_VARS (comma-separated); envNames lists the NAMES (only) of
// all variables in its environment, sorted. It never writes a value itself,
// only its sha256, so tests can assert the secret value is in no file at all.
// stdout carries protocol messages only; diagnostics go to stderr.
import { appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';

const SERVER_INFO = { name: 'ki-env-recorder', version: '1.0.0' };
const DEFAULT_PROTOCOL = '2025-06-18';

function sha256(value) {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

function report() {
  const file = process.env.KI_TEST_REPORT_FILE;
  if (!file) return;
  const names = (process.env.KI_TEST_WATCH_VARS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const vars = {};
  for (const name of names) {
    const v = process.env[name];
    vars[name] = v === undefined ? null : sha256(v);
  }
  const envNames = Object.keys(process.env).sort();
  const line = JSON.stringify({ pid: process.pid, ppid: process.ppid, startedAt: Date.now(), vars, envNames });
  try {
    appendFileSync(file, line + '\n');
  } catch (err) {
    process.stderr.write(`env-recorder: cannot write report: ${String(err)}\n`);
  }
}

function send(msg) {
  process.stdout.write(JSON.stringify(msg) + '\n');
}

function reply(id, result) {
  send({ jsonrpc: '2.0', id, result });
}

function error(id, code, message) {
  send({ jsonrpc: '2.0', id, error: { code, message } });
}

const ECHO_TOOL = {
  name: 'echo',
  description: 'Echo back the given text.',
  inputSchema: {
    type: 'object',
    properties: { text: { type: 'string', description: 'Text to echo' } },
    required: ['text'],
  },
};

function handle(msg) {
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    error(null, -32600, 'Invalid Request');
    return;
  }
  const hasId = Object.hasOwn(msg, 'id') && msg.id !== null;
  const method = msg.method;
  if (typeof method !== 'string') {
    // A response to something we never sent, or garbage: answer only if it has an id.
    if (hasId && !('result' in msg) && !('error' in msg)) error(msg.id, -32600, 'Invalid Request');
    return;
  }
  if (!hasId) return; // notification (notifications/initialized, notifications/cancelled, ...)
  const params = msg.params && typeof msg.params === 'object' ? msg.params : {};
  switch (method) {
    case 'initialize':
      reply(msg.id, {
        protocolVersion: typeof params.protocolVersion === 'string' ? params.protocolVersion : DEFAULT_PROTOCOL,
        capabilities: { tools: {} },
        serverInfo: SERVER_INFO,
      });
      return;
    case 'ping':
      reply(msg.id, {});
      return;
    case 'tools/list':
      reply(msg.id, { tools: [ECHO_TOOL] });
      return;
    case 'tools/call': {
      if (params.name !== 'echo') {
        error(msg.id, -32602, `Unknown tool: ${String(params.name)}`);
        return;
      }
      const args = params.arguments && typeof params.arguments === 'object' ? params.arguments : {};
      const text = typeof args.text === 'string' ? args.text : JSON.stringify(args);
      reply(msg.id, { content: [{ type: 'text', text }], isError: false });
      return;
    }
    default:
      error(msg.id, -32601, `Method not found: ${method}`);
  }
}

report();

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  const trimmed = line.trim();
  if (trimmed === '') return;
  let msg;
  try {
    msg = JSON.parse(trimmed);
  } catch {
    error(null, -32700, 'Parse error');
    return;
  }
  if (Array.isArray(msg)) {
    for (const m of msg) handle(m);
  } else {
    handle(msg);
  }
});
rl.on('close', () => process.exit(0));
process.stdout.on('error', () => process.exit(0));
