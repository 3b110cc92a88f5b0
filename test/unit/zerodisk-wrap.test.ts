// Pure wrap/unwrap of server entries: byte-exact round trips in every layout Claude Code (or a
// human) writes, http headersHelper, local scope, and local copies of .mcp.json servers.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mcpJsonEntry } from '../../src/claude/mcp-json.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { parseHeadersHelper, parseWrappedArgs, shellWords, type SelfPaths } from '../../src/wrap/format.js';
import { unwrapInText, wrapInText, wrapStateIn } from '../../src/wrap/patch.js';

const self: SelfPaths = { node: '/opt/node/bin/node', cli: '/opt/ki/dist/cli.js' };
const user = { server: 'github', scope: 'user' as const };

function roundTrip(text: string, ref: { server: string; scope: 'user' | 'local'; project?: string } = user) {
  const w = wrapInText(text, ref, self);
  expect(w.outcome.kind).toBe('wrapped');
  expect(w.text).not.toBe(text);
  JSON.parse(w.text);
  const u = unwrapInText(w.text, ref);
  expect(u.outcome.kind).toBe('unwrapped');
  expect(u.text).toBe(text);
  return w.text;
}

describe('wrap / unwrap a stdio server', () => {
  it('pretty (JSON.stringify 2) layout: round trip is byte-exact and the wrapped entry is what Claude Code would write', () => {
    const cfg = {
      numStartups: 3,
      mcpServers: { github: { type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: { LOG: 'x' } }, other: { command: 'o' } },
      projects: {},
    };
    const text = JSON.stringify(cfg, null, 2);
    const wrapped = roundTrip(text);
    const parsed = JSON.parse(wrapped);
    expect(parsed.mcpServers.github).toEqual({
      type: 'stdio',
      command: self.node,
      args: [self.cli, 'exec', '--server', 'github', '--', 'npx', '-y', '@modelcontextprotocol/server-github'],
      env: { LOG: 'x' },
    });
    // Same bytes as Claude Code's own JSON.stringify(config, null, 2) of the wrapped config.
    expect(wrapped).toBe(JSON.stringify(parsed, null, 2));
    expect(parsed.mcpServers.other).toEqual({ command: 'o' });
    expect(wrapStateIn(wrapped, user)).toBe('wrapped');
    expect(wrapStateIn(text, user)).toBe('not-wrapped');
  });

  it('compact, CRLF, tabs, empty args, no args, escapes in the command, duplicate keys', () => {
    roundTrip('{"mcpServers":{"github":{"command":"npx","args":["a","b"]}}}');
    roundTrip('{\r\n\t"mcpServers": {\r\n\t\t"github": {\r\n\t\t\t"command": "npx",\r\n\t\t\t"args": [\r\n\t\t\t\t"a"\r\n\t\t\t]\r\n\t\t}\r\n\t}\r\n}\r\n');
    const empty = roundTrip(JSON.stringify({ mcpServers: { github: { command: 'srv', args: [], env: {} } } }, null, 2));
    expect(JSON.parse(empty).mcpServers.github.args.slice(-2)).toEqual(['--', 'srv']);
    const none = roundTrip(JSON.stringify({ mcpServers: { github: { command: 'srv' } } }, null, 2));
    expect(JSON.parse(none).mcpServers.github.args).toContain('--no-args-key');
    roundTrip('{"mcpServers":{"github":{"command":"srv"}}}');
    roundTrip('{"mcpServers": {"github": {"command": "\\u006epx \\"q\\"", "args": [ "x" , "y" ]}}}');
    // The last duplicate wins (JSON.parse semantics): only it is wrapped.
    const dup = '{"mcpServers":{"github":{"command":"old"},"github":{"command":"new","args":["1"]}}}';
    const w = roundTrip(dup);
    expect(w.startsWith('{"mcpServers":{"github":{"command":"old"},')).toBe(true);
  });

  it('the original command and args are kept verbatim after "--"', () => {
    const text = JSON.stringify({ mcpServers: { github: { command: '/usr/bin/env', args: ['--', 'weird arg', '-x'] } } });
    const w = JSON.parse(wrapInText(text, user, self).text).mcpServers.github;
    const parsed = parseWrappedArgs(w.command, w.args);
    expect(parsed).toMatchObject({ server: 'github', scope: 'user', noArgsKey: false, mcpJson: false });
    expect(w.args.slice(parsed?.commandIndex)).toEqual(['/usr/bin/env', '--', 'weird arg', '-x']);
  });

  it('local scope writes --scope local --project P and touches only that project', () => {
    const P = '/home/u/proj';
    const text = JSON.stringify(
      { mcpServers: { github: { command: 'u' } }, projects: { [P]: { mcpServers: { github: { command: 'l', args: ['x'] } } }, '/other': { mcpServers: { github: { command: 'o' } } } } },
      null,
      2,
    );
    const ref = { server: 'github', scope: 'local' as const, project: P };
    const w = roundTrip(text, ref);
    const c = JSON.parse(w);
    expect(c.projects[P].mcpServers.github.args).toEqual([self.cli, 'exec', '--server', 'github', '--scope', 'local', '--project', P, '--', 'l', 'x']);
    expect(c.mcpServers.github).toEqual({ command: 'u' });
    expect(c.projects['/other'].mcpServers.github).toEqual({ command: 'o' });
  });

  it('wrapping twice is a no-op; other paths re-wrap; unwrap of an unwrapped or missing server changes nothing', () => {
    const text = JSON.stringify({ mcpServers: { github: { command: 'npx', args: ['a'] } } }, null, 2);
    const once = wrapInText(text, user, self).text;
    expect(wrapInText(once, user, self)).toEqual({ text: once, outcome: { kind: 'unchanged', http: false } });
    const moved = wrapInText(once, user, { node: '/new/node', cli: '/new/dist/cli.js' });
    expect(moved.outcome).toEqual({ kind: 'rewrapped', how: 'stdio' });
    expect(JSON.parse(moved.text).mcpServers.github.args.filter((a: string) => a === '--').length).toBe(1);
    expect(unwrapInText(moved.text, user).text).toBe(text);
    expect(unwrapInText(text, user)).toEqual({ text, outcome: { kind: 'not-wrapped' } });
    expect(wrapInText(text, { server: 'nope', scope: 'user' }, self).outcome.kind).toBe('missing');
    expect(unwrapInText(text, { server: 'nope', scope: 'user' }).outcome.kind).toBe('missing');
  });

  it('refuses entries it cannot wrap, naming no content', () => {
    for (const entry of [{ args: ['x'] }, { command: 1 }, { command: 'x', args: [1] }, { type: 'ws', url: 'x' }, 'str']) {
      const r = wrapInText(JSON.stringify({ mcpServers: { github: entry } }), user, self);
      expect(r.outcome.kind).toBe('unsupported');
    }
  });

  it('unwrap leaves the args it added, emptied, when they hide an earlier "args" (deleting them would bring that one back)', () => {
    const wrapped = wrapInText('{"mcpServers":{"github":{"command":"npx"}}}', user, self).text;
    const edited = wrapped.replace('{"command"', '{"args":["--old"],"command"');
    const back = unwrapInText(edited, user);
    expect(back.outcome.kind).toBe('unwrapped');
    expect(back.text).toBe('{"mcpServers":{"github":{"args":["--old"],"command":"npx","args":[]}}}');
  });

  it('after Claude Code re-formats the wrapped file, unwrap still restores the original entry', () => {
    const text = JSON.stringify({ mcpServers: { github: { command: 'npx', args: ['-y', 'pkg'] } } });
    const wrapped = wrapInText(text, user, self).text;
    const reformatted = JSON.stringify(JSON.parse(wrapped), null, 2);
    const back = unwrapInText(reformatted, user).text;
    expect(back).toBe(JSON.stringify(JSON.parse(text), null, 2));
  });
});

describe('wrap / unwrap an http server (headersHelper)', () => {
  it('adds and removes our headersHelper byte-exactly, keeps static headers', () => {
    const text = JSON.stringify({ mcpServers: { api: { type: 'http', url: 'https://mcp.example.com/mcp', headers: { 'X-Team': 'a' } } } }, null, 2);
    const ref = { server: 'api', scope: 'user' as const };
    const w = roundTrip(text, ref);
    const helper = JSON.parse(w).mcpServers.api.headersHelper as string;
    expect(helper).toBe(`${self.node} ${self.cli} headers api`);
    expect(parseHeadersHelper(helper)).toMatchObject({ server: 'api', scope: 'user', mcpJson: false });
    expect(wrapInText(w, ref, self).outcome.kind).toBe('unchanged');
  });

  it('quotes paths with spaces for the shell, and leaves a foreign headersHelper alone', () => {
    const odd: SelfPaths = { node: '/opt/my node/node', cli: "/it's/dist/cli.js" };
    const P = '/p q';
    const text = JSON.stringify({ projects: { [P]: { mcpServers: { api: { type: 'sse', url: 'u' } } } } });
    const ref = { server: 'api', scope: 'local' as const, project: P };
    const helper = JSON.parse(wrapInText(text, ref, odd).text).projects[P].mcpServers.api.headersHelper as string;
    expect(shellWords(helper)).toEqual([odd.node, odd.cli, 'headers', 'api', '--scope', 'local', '--project', P]);
    expect(parseHeadersHelper(helper)).toMatchObject({ server: 'api', scope: 'local', project: P });
    const foreign = JSON.stringify({ mcpServers: { api: { type: 'http', url: 'u', headersHelper: 'my-script.sh' } } });
    expect(wrapInText(foreign, { server: 'api', scope: 'user' }, self).outcome.kind).toBe('unsupported');
    expect(unwrapInText(foreign, { server: 'api', scope: 'user' }).outcome.kind).toBe('not-wrapped');
  });
});

describe('servers from a project .mcp.json', () => {
  const P = '/home/u/proj';
  const ref = { server: 'db', scope: 'local' as const, project: P };
  const mcpEntry = { command: 'db-mcp', args: ['--ro'], env: { DB_URL: '${DB_URL}' } };

  it('get a wrapped local-scope copy; unwrap removes the copy again (byte-exact)', () => {
    const text = JSON.stringify({ projects: { [P]: { allowedTools: [], mcpServers: {}, hasTrustDialogAccepted: true } } }, null, 2);
    const w = wrapInText(text, ref, self, mcpEntry);
    expect(w.outcome).toEqual({ kind: 'wrapped', how: 'mcp-json-stdio' });
    const copy = JSON.parse(w.text).projects[P].mcpServers.db;
    expect(copy.command).toBe(self.node);
    expect(copy.args).toEqual([self.cli, 'exec', '--server', 'db', '--scope', 'local', '--project', P, '--mcp-json', '--', 'db-mcp', '--ro']);
    expect(copy.env).toEqual(mcpEntry.env);
    expect(w.text).toBe(JSON.stringify(JSON.parse(w.text), null, 2));
    expect(wrapInText(w.text, ref, self, mcpEntry).outcome.kind).toBe('unchanged');
    const u = unwrapInText(w.text, ref);
    expect(u.outcome).toEqual({ kind: 'unwrapped', how: 'mcp-json' });
    expect(u.text).toBe(text);
  });

  it('http .mcp.json servers get a copy with our headersHelper; a project without an entry gets one holding only the copy', () => {
    const text = JSON.stringify({ projects: { [P]: { hasTrustDialogAccepted: true } } }, null, 2);
    const w = wrapInText(text, ref, self, { type: 'http', url: 'https://x.example/mcp' });
    expect(w.outcome).toEqual({ kind: 'wrapped', how: 'mcp-json-http' });
    expect(JSON.parse(w.text).projects[P].mcpServers.db.headersHelper).toContain(' headers db --scope local --project /home/u/proj --mcp-json');
    expect(unwrapInText(w.text, ref).outcome.kind).toBe('unwrapped');
    // A fresh clone Claude Code has not seen: the project's entry (or `projects` itself) is created.
    for (const fresh of [{ projects: {} }, { other: 1 }]) {
      const c = wrapInText(JSON.stringify(fresh, null, 2), ref, self, mcpEntry);
      expect(c.outcome).toEqual({ kind: 'wrapped', how: 'mcp-json-stdio' });
      expect(Object.keys(JSON.parse(c.text).projects[P])).toEqual(['mcpServers']);
      expect(JSON.parse(c.text).projects[P].mcpServers.db.args).toContain('--mcp-json');
    }
    expect(wrapInText(JSON.stringify({ projects: { [P]: 5 } }), ref, self, mcpEntry).outcome.kind).toBe('unsupported');
  });
});

describe('reading a project .mcp.json', () => {
  it('reads one with a leading BOM, as Claude Code does (checked with 2.1.332: claude mcp get lists its servers)', async () => {
    const t = makeTempHome();
    try {
      writeFileSync(join(t.home, '.mcp.json'), '\uFEFF{"mcpServers":{"pj":{"command":"pj-mcp"}}}');
      expect(await mcpJsonEntry(t.home, t.home, 'pj')).toEqual({ file: join(t.home, '.mcp.json'), entry: { command: 'pj-mcp' } });
    } finally {
      t.cleanup();
    }
  });
});
