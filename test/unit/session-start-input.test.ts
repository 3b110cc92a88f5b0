// session-start refuses bad input before it asks any secret store for a value: a refused run must
// not prompt for a keyring unlock or start a vendor CLI (a hook placed on the wrong event would
// otherwise do so at every tool call).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { inProcessCli } from '../helpers/in-process.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
beforeEach(() => {
  t = makeTempHome();
});
afterEach(() => t.cleanup());

it.each([
  ['garbage', 'not json at all'],
  ['another event', JSON.stringify({ session_id: 's', hook_event_name: 'PreToolUse', cwd: '/', transcript_path: '/tmp/x' })],
])('session-start with %s on stdin reads no value from the keyring', async (_what, stdin) => {
  const backend = new MemoryBackend();
  const { run } = inProcessCli(t.env, t.home, backend);
  writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp' } } }, null, 2));
  expect((await run(['add', 'gh', '--server', 'github', '--env', 'GH_TOKEN', '--stdin'], 'value-1\n')).code).toBe(0);
  let reads = 0;
  const get = backend.get.bind(backend);
  const getMany = backend.getMany.bind(backend);
  backend.get = (name) => (reads++, get(name));
  backend.getMany = (names) => (reads++, getMany(names));
  const r = await run(['hook', 'session-start'], stdin);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^keyring-inject: .*\n$/);
  expect(reads).toBe(0);
});
