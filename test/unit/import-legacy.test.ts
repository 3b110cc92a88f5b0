// `import --from mcp-keyring-injector` in-process (memory keyring with per-service items): a
// server that cannot be wrapped keeps its key by injection, as setup does; a bad list fails with
// one line that quotes nothing of it; entries the older plugin could not use are skipped.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { inProcessCli } from '../helpers/in-process.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { CLI } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
const list = () => join(t.home, '.claude', 'config', 'mcp-credentials.json');
beforeEach(() => {
  t = makeTempHome({ KEYRING_INJECT_CLI: CLI });
  mkdirSync(join(t.home, '.claude', 'config'), { recursive: true });
});
afterEach(() => t.cleanup());

describe('import --from mcp-keyring-injector', () => {
  it('a server wrap cannot take keeps its key by injection (registered as inject, with the advice); one that can is zero-disk', async () => {
    const v = testSecret('a');
    const w = testSecret('b');
    const backend = new MemoryBackend();
    await backend.forService('svc').set('a', v);
    await backend.forService('svc').set('b', w);
    // "odd" has no command: wrap refuses it.
    writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { ok: { command: 'ok-mcp' }, odd: { type: 'stdio' } } }));
    writeFileSync(list(), JSON.stringify({ ok: { env_var: 'A_KEY', service: 'svc', account: 'a' }, odd: { env_var: 'B_KEY', service: 'svc', account: 'b' } }));
    const { run } = inProcessCli(t.env, t.home, backend);
    const r = await run(['import', '--from', 'mcp-keyring-injector', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.wrapped).toEqual(['ok (user)']);
    expect(out.warnings.at(-1)).toBe("odd: not zero-disk, so the key is injected while a session runs: start Claude Code with 'keyring-inject claude'");
    const reg = JSON.parse(readFileSync(join(t.home, '.claude', 'keyring-inject', 'registry.json'), 'utf8'));
    expect(reg.keys.ok.targets).toEqual([{ server: 'ok', env: 'A_KEY', scope: 'user', mode: 'wrap' }]);
    expect(reg.keys.odd.targets).toEqual([{ server: 'odd', env: 'B_KEY', scope: 'user' }]);
    expect(await backend.list()).toEqual([]);
    expectNoLeak(v, [r.stdout, r.stderr], [t.home]);
    expectNoLeak(w, [r.stdout, r.stderr], [t.home]);
  });

  it('a list that is not JSON, or not an object, fails with one line quoting nothing of it; nothing changes', async () => {
    const s = testSecret('in-list');
    writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { ok: { command: 'ok-mcp' } } }));
    const before = readFileSync(join(t.home, '.claude.json'), 'utf8');
    const { run } = inProcessCli(t.env, t.home);
    for (const [text, msg] of [
      [`{"ok": {"env_var": "${s}"`, `${list()} is not valid JSON: fix it (it is mcp-keyring-injector's list of keys)`],
      [JSON.stringify([s]), `${list()} is not an object of entries {"NAME": {"env_var", "service", "account", "mcp_server"}}: fix it`],
    ] as const) {
      writeFileSync(list(), text);
      const r = await run(['import', '--from', 'mcp-keyring-injector', '--dry-run']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`keyring-inject: ${msg}\n`);
      expectNoLeak(s, [r.stdout, r.stderr], []);
    }
    // Entries the older plugin could not use either: named by position when the name is odd, never their content.
    writeFileSync(list(), JSON.stringify({ [`${s} pasted`]: { env_var: 'X' }, ok: { env_var: `bad ${s}`, service: 'svc', account: 'a' }, other: 'x' }));
    const r = await run(['import', '--from', 'mcp-keyring-injector', '--json']);
    expect(JSON.parse(r.stdout).problems).toEqual([
      'entry 1 lacks env_var, service or account: skipped (the older plugin skipped it too)',
      'entry "ok": env_var is not a variable name: skipped',
      'entry "other" is not an object: skipped',
    ]);
    expectNoLeak(s, [r.stdout, r.stderr], []);
    expect(readFileSync(join(t.home, '.claude.json'), 'utf8')).toBe(before);
  });
});
