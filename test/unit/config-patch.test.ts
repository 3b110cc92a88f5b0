import { describe, expect, it } from 'vitest';
import {
  ConfigParseError,
  ConfigShapeError,
  applyInjections,
  applyStrips,
  readEnvValues,
  type InjectOutcome,
  type InjectRequest,
  type IsOurs,
  type StripRequest,
} from '../../src/engine/config-patch.js';
import { isObj, messy, rng, type Json, type Obj } from '../helpers/json-layouts.js';
import type { EnvAddress } from '../../src/claude/address.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** isOurs that knows every value in `values` (what a record of our injections would say). */
function oursOf(values: Iterable<string>): IsOurs {
  const set = new Set(values);
  return (_t, v) => set.has(v);
}

function user(server: string, env: string, value: string): InjectRequest {
  return { scope: 'user', server, env, value };
}
function local(project: string, server: string, env: string, value: string): InjectRequest {
  return { scope: 'local', project, server, env, value };
}

/** The strip requests matching an injection run (what the caller would record). */
function stripsFor(reqs: readonly InjectRequest[], outcomes: readonly InjectOutcome[]): StripRequest[] {
  return reqs.map((r, i) => {
    const o = outcomes[i];
    const { value: _value, ...target } = r;
    return { ...target, removeEnvIfEmpty: o !== undefined && o.kind === 'injected' && o.createdEnv };
  });
}

function serversOf(data: Obj, t: EnvAddress): Obj | undefined {
  if (t.scope === 'user') {
    const s = data['mcpServers'];
    return isObj(s) ? s : undefined;
  }
  const projects = data['projects'];
  const p = isObj(projects) ? projects[t.project as string] : undefined;
  const s = isObj(p) ? p['mcpServers'] : undefined;
  return isObj(s) ? s : undefined;
}

/** What the data must look like after the injections that report `injected`. */
function expectedAfterInject(original: string, reqs: readonly InjectRequest[], outcomes: readonly InjectOutcome[]): Json {
  const data = JSON.parse(original) as Obj;
  reqs.forEach((r, i) => {
    if (outcomes[i]?.kind !== 'injected') return;
    const server = serversOf(data, r)?.[r.server];
    if (!isObj(server)) throw new Error('test bug: injected into a non-object');
    let env = server['env'];
    if (env === undefined) {
      env = {};
      server['env'] = env;
    }
    if (!isObj(env)) throw new Error('test bug: env is not an object');
    env[r.env] = r.value;
  });
  return data;
}

/**
 * Injects, checks validity, data and the reported outcomes' consistency, strips and checks the
 * original text comes back byte for byte. Returns the injected text.
 */
function roundTrip(original: string, reqs: readonly InjectRequest[], isOurs?: IsOurs): { injected: string; outcomes: InjectOutcome[] } {
  const ours = isOurs ?? oursOf(reqs.map((r) => r.value));
  const inj = applyInjections(original, reqs, ours);
  const expected = expectedAfterInject(original, reqs, inj.outcomes);
  expect(JSON.parse(inj.text)).toEqual(expected);
  const values = readEnvValues(inj.text, reqs);
  reqs.forEach((r, i) => {
    const k = inj.outcomes[i]?.kind;
    if (k === 'injected' || k === 'unchanged') expect(values[i]).toBe(r.value);
  });
  const st = applyStrips(inj.text, stripsFor(reqs, inj.outcomes), ours);
  expect(st.text).toBe(original);
  return { injected: inj.text, outcomes: inj.outcomes };
}

/** a → b only added characters in one place. */
function isSingleInsertion(a: string, b: string): boolean {
  let p = 0;
  while (p < a.length && a[p] === b[p]) p++;
  return b.length >= a.length && b.endsWith(a.slice(p)) && b.startsWith(a.slice(0, p));
}

const baseConfig = (): Obj => ({
  numStartups: 42,
  installMethod: 'npm',
  tipsHistory: { 'new-user-warmup': 1 },
  mcpServers: {
    noenv: { type: 'stdio', command: 'npx', args: ['-y', 'pkg-a'] },
    emptyenv: { type: 'stdio', command: 'npx', args: [], env: {} },
    withenv: { command: 'node', args: ['s.js'], env: { EXISTING: 'keep me', OTHER: 'x' } },
    remote: { type: 'http', url: 'https://example.test/mcp', headers: {} },
  },
  projects: {
    '/home/u/proj': {
      allowedTools: [],
      history: [{ display: 'hello "world"\n', pastedContents: {} }],
      mcpServers: { loc: { type: 'stdio', command: 'uvx', args: ['tool'] } },
    },
    '/home/u/other': { allowedTools: [], mcpServers: {} },
  },
  userID: 'abc',
});

const FORMATS: { name: string; fmt: (x: Json) => string }[] = [
  { name: 'JSON.stringify 2 spaces', fmt: (x) => JSON.stringify(x, null, 2) },
  { name: 'compact', fmt: (x) => JSON.stringify(x) },
  { name: 'tabs', fmt: (x) => JSON.stringify(x, null, '\t') },
  { name: 'CRLF', fmt: (x) => JSON.stringify(x, null, 2).replace(/\n/g, '\r\n') },
  { name: '4 spaces + trailing newline', fmt: (x) => `${JSON.stringify(x, null, 4)}\n` },
];

// ---------------------------------------------------------------------------------------------

describe('applyInjections / applyStrips round trip', () => {
  for (const { name, fmt } of FORMATS) {
    it(`restores the exact bytes and keeps the file's style (${name})`, () => {
      const original = fmt(baseConfig());
      const reqs = [
        user('noenv', 'API_KEY', 'sk-noenv'),
        user('noenv', 'SECOND', 'sk-second'),
        user('emptyenv', 'API_KEY', 'sk-empty'),
        user('withenv', 'API_KEY', 'sk-with'),
        local('/home/u/proj', 'loc', 'TOKEN', 'tok-local'),
      ];
      const { injected, outcomes } = roundTrip(original, reqs);
      expect(outcomes.map((o) => o.kind)).toEqual(['injected', 'injected', 'injected', 'injected', 'injected']);
      expect(outcomes.map((o) => (o.kind === 'injected' ? o.createdEnv : null))).toEqual([true, true, false, false, true]);
      // Inserted text follows the file's own layout: for JSON.stringify-made files the result is
      // exactly what JSON.stringify would write for the new data.
      expect(injected).toBe(fmt(JSON.parse(injected) as Json));
    });
  }

  it('is a pure insertion for a single target', () => {
    const original = JSON.stringify(baseConfig(), null, 2);
    for (const server of ['noenv', 'emptyenv', 'withenv']) {
      const { injected } = roundTrip(original, [user(server, 'K', 'v')]);
      expect(isSingleInsertion(original, injected)).toBe(true);
    }
  });

  it('handles env as first, middle and last property, odd spacing and nested neighbours', () => {
    const shapes = [
      '{"mcpServers":{"s":{"env":{"A":"1"},"command":"x","args":[]}}}',
      '{"mcpServers":{"s":{"command":"x","env":{"A":"1"},"args":["{","}"]}}}',
      '{"mcpServers":{"s":{"command":"x","args":[],"env":{"A":"1"}}}}',
      '{ "mcpServers" : { "s" : { "command" : "x" , "env" : { "A" : "1" } } } }',
      '{\n  "mcpServers": {\n    "s": {\n      "env": {\n        "A": "1"\n      },\n      "command": "x"\n    }\n  }\n}',
      '{\n"mcpServers":{\n"s":{"command":"x",\n\t"env":{}}}}',
      '{"mcpServers":{"s":{"env":{},"command":"x"}}}',
      '{"mcpServers":{"s":{"env":{ },"command":"x"}}}',
      '{"mcpServers":{"s":{"command":"x","env":{\n}}}}',
      '{\n  "mcpServers": {\n    "s": {\n      "command": "x",\n      "env": {\n      }\n    }\n  }\n}',
      '{\n  "mcpServers": {\n    "s": {\n      "command": "x",\n      "env": {\n\n      }\n    }\n  }\n}',
      '{"mcpServers":{"s":{}}}',
      '{\n  "mcpServers": {\n    "s": {}\n  }\n}',
      '{\n  "mcpServers": {\n    "s": {\n    }\n  }\n}',
      '  {"mcpServers":{"s":{"command":"x"}}}  \n\n',
      '{"a":[1,2,{"mcpServers":{"s":{}}}],"mcpServers":{"s":{"command":"x"}},"z":{"env":{}}}',
    ];
    for (const shape of shapes) {
      const reqs = [user('s', 'K1', 'one'), user('s', 'K2', 'two'), user('s', 'A', 'ignored-if-foreign')];
      const { outcomes } = roundTrip(shape, reqs);
      const hadA = shape.includes('"A"');
      expect(outcomes[2]?.kind).toBe(hadA ? 'conflict' : 'injected');
      for (const single of [reqs.slice(0, 1), reqs.slice(1, 2)]) roundTrip(shape, single);
    }
  });

  it('keeps other servers, scopes and projects untouched', () => {
    const cfg = baseConfig();
    const original = JSON.stringify(cfg, null, 2);
    const { injected } = roundTrip(original, [user('noenv', 'K', 'v')]);
    const after = JSON.parse(injected) as Obj;
    expect(after['projects']).toEqual(cfg['projects']);
    const servers = after['mcpServers'] as Obj;
    expect(servers['withenv']).toEqual((cfg['mcpServers'] as Obj)['withenv']);
  });

  it('writes awkward values and keys exactly', () => {
    const values = [
      'plain',
      'üñíçødé – 日本語 – 😀',
      'quote " and backslash \\ and \\" and \\\\',
      'line\nbreak\r\nand\ttab\u0000nul\u001f',
      '</script><!-- -->',
      '\u2028\u2029',
      'lone \ud800 surrogate',
      '${NOT_EXPANDED}',
      '',
      'x'.repeat(8192),
    ];
    const original = JSON.stringify(baseConfig(), null, 2);
    values.forEach((value, i) => {
      const { injected } = roundTrip(original, [user('noenv', `K${i}`, value), user('withenv', 'K', value)]);
      expect(readEnvValues(injected, [user('noenv', `K${i}`, value)])).toEqual([value]);
    });
    // Variable names that need escaping.
    roundTrip(original, [user('withenv', 'WEIRD "NAME" \\ é', 'v'), user('noenv', '😀', 'w')]);
  });

  it('supports local scope under project keys with quotes, backslashes and unicode', () => {
    const keys = ['/plain/path', 'C:\\Users\\me\\repo', '/with "quotes"/x', '/ünï/cødé/日本', '/emoji/😀', '/ctl\n/x'];
    const projects: Obj = {};
    for (const k of keys) projects[k] = { history: ['a', { b: 'c' }], mcpServers: { srv: { command: 'x', env: {} } } };
    const cfg: Obj = { projects, mcpServers: { srv: { command: 'y' } } };
    for (const { fmt } of FORMATS) {
      const original = fmt(cfg);
      const reqs = keys.map((k, i) => local(k, 'srv', 'KEY', `value-${i}`));
      reqs.push(user('srv', 'KEY', 'user-value'));
      const { outcomes } = roundTrip(original, reqs);
      expect(outcomes.every((o) => o.kind === 'injected')).toBe(true);
    }
  });

  it('matches keys written with escapes in the file', () => {
    const original = '{"mcp\\u0053ervers":{"s\\u00e9rv":{"env":{"\\u0041PI":"old"}}},"projects":{"\\/p\\u00e9":{"mcpServers":{"x":{}}}}}';
    const reqs = [user('sérv', 'API', 'new'), local('/pé', 'x', 'K', 'v')];
    const r = applyInjections(original, reqs, oursOf(['old', 'new', 'v']));
    expect(r.outcomes.map((o) => o.kind)).toEqual(['injected', 'injected']);
    expect(r.outcomes[0]).toMatchObject({ replaced: true });
    expect(JSON.parse(r.text)).toEqual({ mcpServers: { sérv: { env: { API: 'new' } } }, projects: { '/pé': { mcpServers: { x: { env: { K: 'v' } } } } } });
    expect(readEnvValues(r.text, reqs)).toEqual(['new', 'v']);
    // Only the value token changed; the escaped key stays as written.
    expect(r.text.startsWith('{"mcp\\u0053ervers":{"s\\u00e9rv":{"env":{"\\u0041PI":"new"}}}')).toBe(true);
    roundTrip(original, [user('sérv', 'OTHER', 'x'), local('/pé', 'x', 'K', 'v')]);
  });

  it('survives Claude Code re-serialising the file in between', () => {
    for (const { fmt } of FORMATS) {
      const cfg = baseConfig();
      const original = fmt(cfg);
      const reqs = [user('noenv', 'A', 'sk-a'), user('noenv', 'B', 'sk-b'), user('emptyenv', 'A', 'sk-c'), user('withenv', 'A', 'sk-d'), local('/home/u/proj', 'loc', 'T', 'tok')];
      const ours = oursOf(reqs.map((r) => r.value));
      const inj = applyInjections(original, reqs, ours);
      // Claude Code parses, changes its own keys and writes JSON.stringify(config, null, 2).
      const data = JSON.parse(inj.text) as Obj;
      data['numStartups'] = 43;
      data['firstStartTime'] = '2026-01-01T00:00:00.000Z';
      const rewritten = JSON.stringify(data, null, 2);
      const st = applyStrips(rewritten, stripsFor(reqs, inj.outcomes), ours);
      expect(st.outcomes.map((o) => o.kind)).toEqual(['stripped', 'stripped', 'stripped', 'stripped', 'stripped']);
      const want: Obj = { ...cfg, numStartups: 43, firstStartTime: '2026-01-01T00:00:00.000Z' };
      expect(JSON.parse(st.text)).toEqual(want);
      // And it is exactly what Claude Code itself would have written without us.
      expect(st.text).toBe(JSON.stringify(want, null, 2));
    }
  });

  it('keeps an env object we created once it holds other keys', () => {
    const original = JSON.stringify(baseConfig(), null, 2);
    const reqs = [user('noenv', 'A', 'sk-a')];
    const ours = oursOf(['sk-a']);
    const inj = applyInjections(original, reqs, ours);
    const data = JSON.parse(inj.text) as Obj;
    const srv = (data['mcpServers'] as Obj)['noenv'] as Obj;
    (srv['env'] as Obj)['USER_ADDED'] = 'mine';
    const st = applyStrips(JSON.stringify(data, null, 2), stripsFor(reqs, inj.outcomes), ours);
    expect(st.outcomes[0]).toEqual({ kind: 'stripped', target: { scope: 'user', server: 'noenv', env: 'A' }, removedEnv: false });
    const after = JSON.parse(st.text) as Obj;
    expect(((after['mcpServers'] as Obj)['noenv'] as Obj)['env']).toEqual({ USER_ADDED: 'mine' });
  });

  it('randomised: many layouts and request mixes round-trip exactly', () => {
    const rand = rng(12345);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    for (let iter = 0; iter < 300; iter++) {
      const servers: Obj = {};
      const nServers = 1 + Math.floor(rand() * 4);
      for (let s = 0; s < nServers; s++) {
        const entry: Obj = {};
        const props: [string, Json][] = [
          ['command', 'cmd'],
          ['args', pick([[], ['a', 'b'], [{ x: [1, { y: null }] }]])],
        ];
        const envChoice = rand();
        if (envChoice < 0.3) props.splice(Math.floor(rand() * (props.length + 1)), 0, ['env', {}]);
        else if (envChoice < 0.6) props.splice(Math.floor(rand() * (props.length + 1)), 0, ['env', { PRE: 'p', K0: 'foreign' }]);
        for (const [k, v] of props) entry[k] = v;
        servers[`s${s}`] = entry;
      }
      const cfg: Obj = { before: { deep: [[[]]] }, mcpServers: servers, projects: { '/p': { mcpServers: JSON.parse(JSON.stringify(servers)) as Json } } };
      const indent = pick(['', ' ', '  ', '    ', '\t']);
      let original = indent === '' ? JSON.stringify(cfg) : JSON.stringify(cfg, null, indent);
      if (rand() < 0.3) original = original.replace(/\n/g, '\r\n');
      const reqs: InjectRequest[] = [];
      const nReq = 1 + Math.floor(rand() * 6);
      for (let r = 0; r < nReq; r++) {
        const server = `s${Math.floor(rand() * (nServers + 1))}`; // sometimes missing
        const env = `K${Math.floor(rand() * 3)}`;
        const req = rand() < 0.5 ? user(server, env, `v${r}`) : local(pick(['/p', '/missing']), server, env, `v${r}`);
        // Same target twice in one call is a caller bug; keep targets unique.
        if (!reqs.some((q) => q.scope === req.scope && q.project === req.project && q.server === req.server && q.env === req.env)) reqs.push(req);
      }
      roundTrip(original, reqs);
    }
  });
});

describe('randomised whitespace between every token', () => {
  it('round-trips exactly whatever the layout', () => {
    const rand = rng(4242);
    for (let iter = 0; iter < 300; iter++) {
      const cfg = baseConfig();
      const original = messy(cfg, rand);
      expect(JSON.parse(original)).toEqual(cfg);
      const all = [
        user('noenv', 'A', 'a'),
        user('noenv', 'B', 'b'),
        user('emptyenv', 'A', 'c'),
        user('withenv', 'A', 'd'),
        local('/home/u/proj', 'loc', 'T', 'e'),
        local('/home/u/other', 'x', 'T', 'f'),
      ];
      roundTrip(
        original,
        all.filter(() => rand() < 0.6),
      );
    }
  });
});

describe('applyInjections outcomes', () => {
  const original = JSON.stringify(baseConfig(), null, 2);

  it('reports missing servers, missing scopes and projects without failing', () => {
    const reqs = [user('nope', 'K', 'v'), local('/home/u/other', 'nope', 'K', 'v'), local('/not/a/project', 'loc', 'K', 'v'), local('/home/u/proj', 'noenv', 'K', 'v')];
    const r = applyInjections(original, reqs, oursOf([]));
    expect(r.outcomes.map((o) => o.kind)).toEqual(['missing-server', 'missing-server', 'missing-server', 'missing-server']);
    expect(r.text).toBe(original);
    expect(applyInjections('{}', [user('a', 'K', 'v'), local('/p', 'a', 'K', 'v')], oursOf([])).outcomes.map((o) => o.kind)).toEqual(['missing-server', 'missing-server']);
  });

  it('refuses servers that cannot take env values', () => {
    const text = JSON.stringify({
      mcpServers: {
        remote: { type: 'http', url: 'u' },
        sse: { type: 'sse', url: 'u' },
        odd: { type: 'SECRET-LOOKING-TYPE', url: 'u' },
        numtype: { type: 7 },
        envarr: { command: 'x', env: ['A=1'] },
        envnull: { command: 'x', env: null },
        envstr: { command: 'x', env: 'A=1' },
        notobj: 'just a string',
        nul: null,
        stdio: { type: 'stdio', command: 'x' },
      },
    });
    const names = ['remote', 'sse', 'odd', 'numtype', 'envarr', 'envnull', 'envstr', 'notobj', 'nul', 'stdio'];
    const r = applyInjections(
      text,
      names.map((n) => user(n, 'K', 'v')),
      oursOf([]),
    );
    expect(r.outcomes.map((o) => o.kind)).toEqual([...Array<string>(9).fill('unsupported-server'), 'injected']);
    for (const o of r.outcomes) if (o.kind === 'unsupported-server') expect(o.reason).not.toContain('SECRET');
    expect(r.outcomes[0]).toMatchObject({ reason: 'server type "http" has no env block' });
    expect(r.outcomes[5]).toMatchObject({ reason: 'env is not an object' });
    const after = JSON.parse(r.text) as Obj;
    const before = JSON.parse(text) as Obj;
    ((before['mcpServers'] as Obj)['stdio'] as Obj)['env'] = { K: 'v' };
    expect(after).toEqual(before);
  });

  it('leaves foreign, non-string and duplicated values alone (conflict)', () => {
    const text = '{"mcpServers":{"s":{"command":"x","env":{"FOREIGN":"theirs","NUM":5,"OBJ":{},"DUP":"a","DUP":"a"}}}}';
    const reqs = ['FOREIGN', 'NUM', 'OBJ', 'DUP'].map((k) => user('s', k, 'a'));
    const r = applyInjections(text, reqs, oursOf(['a', 'theirs-not']));
    expect(r.outcomes.map((o) => o.kind)).toEqual(['conflict', 'conflict', 'conflict', 'conflict']);
    expect(r.text).toBe(text);
  });

  it('says unchanged when our value is already there and rotates an older value of ours', () => {
    const first = applyInjections(original, [user('withenv', 'K', 'old')], oursOf(['old']));
    const same = applyInjections(first.text, [user('withenv', 'K', 'old')], oursOf(['old']));
    expect(same.outcomes[0]?.kind).toBe('unchanged');
    expect(same.text).toBe(first.text);
    const rotated = applyInjections(first.text, [user('withenv', 'K', 'new "value"')], oursOf(['old', 'new "value"']));
    expect(rotated.outcomes[0]).toEqual({ kind: 'injected', target: { scope: 'user', server: 'withenv', env: 'K' }, createdEnv: false, replaced: true });
    expect(readEnvValues(rotated.text, [user('withenv', 'K', '')])).toEqual(['new "value"']);
    // The same value, but not ours (a user typed it): hands off.
    expect(applyInjections(first.text, [user('withenv', 'K', 'old')], oursOf([])).outcomes[0]?.kind).toBe('conflict');
    // Stripping after rotation gives back the original.
    const st = applyStrips(rotated.text, [{ scope: 'user', server: 'withenv', env: 'K', removeEnvIfEmpty: false }], oursOf(['new "value"']));
    expect(st.text).toBe(original);
  });

  it('never puts the value into outcomes', () => {
    const secret = 'sk-VERY-SECRET-123';
    const r = applyInjections(original, [user('noenv', 'K', secret), user('nope', 'K', secret), user('remote', 'K', secret), local('/home/u/proj', 'loc', 'K', secret)], oursOf([secret]));
    expect(JSON.stringify(r.outcomes)).not.toContain(secret);
    const s = applyStrips(r.text, stripsFor([user('noenv', 'K', secret)], r.outcomes), oursOf([secret]));
    expect(JSON.stringify(s.outcomes)).not.toContain(secret);
  });

  it('applies several requests to the same server and env in one pass', () => {
    const reqs = Array.from({ length: 10 }, (_, i) => user(i % 2 ? 'noenv' : 'emptyenv', `KEY_${i}`, `value-${i}`));
    const { injected, outcomes } = roundTrip(original, reqs);
    expect(outcomes.every((o) => o.kind === 'injected')).toBe(true);
    expect(readEnvValues(injected, reqs)).toEqual(reqs.map((r) => r.value));
  });

  it('needs a project for local scope', () => {
    expect(() => applyInjections(original, [{ scope: 'local', server: 's', env: 'K', value: 'v' }], oursOf([]))).toThrow(TypeError);
  });
});

describe('applyStrips outcomes', () => {
  const original = JSON.stringify(baseConfig(), null, 2);
  const strip = (server: string, env: string, removeEnvIfEmpty = false): StripRequest => ({ scope: 'user', server, env, removeEnvIfEmpty });

  it('reports absent and foreign, and changes nothing then', () => {
    const reqs = [strip('withenv', 'NOPE'), strip('withenv', 'EXISTING'), strip('gone', 'K'), strip('noenv', 'K', true), strip('remote', 'K')];
    const r = applyStrips(original, reqs, oursOf([]));
    expect(r.outcomes.map((o) => o.kind)).toEqual(['absent', 'foreign', 'absent', 'absent', 'absent']);
    expect(r.text).toBe(original);
  });

  it('keeps an env object we did not create, even when it becomes empty', () => {
    const text = '{"mcpServers":{"s":{"command":"x","env":{"K":"ours"}}}}';
    const r = applyStrips(text, [strip('s', 'K')], oursOf(['ours']));
    expect(r.outcomes[0]).toMatchObject({ kind: 'stripped', removedEnv: false });
    expect(r.text).toBe('{"mcpServers":{"s":{"command":"x","env":{}}}}');
    const r2 = applyStrips(text, [strip('s', 'K', true)], oursOf(['ours']));
    expect(r2.outcomes[0]).toMatchObject({ kind: 'stripped', removedEnv: true });
    expect(r2.text).toBe('{"mcpServers":{"s":{"command":"x"}}}');
  });

  it('keeps an emptied env object that shadows an earlier duplicate (deleting it would bring that one back)', () => {
    const text = '{"mcpServers":{"s":{"command":"x","env":{"OLD":"plain"},"env":{"K":"ours"}}}}';
    const r = applyStrips(text, [strip('s', 'K', true)], oursOf(['ours']));
    expect(r.outcomes[0]).toMatchObject({ kind: 'stripped', removedEnv: false });
    expect(r.text).toBe('{"mcpServers":{"s":{"command":"x","env":{"OLD":"plain"},"env":{}}}}');
  });

  it('removes env only when something of ours was stripped', () => {
    const text = '{"mcpServers":{"s":{"command":"x","env":{}}}}';
    expect(applyStrips(text, [strip('s', 'K', true)], oursOf(['ours'])).text).toBe(text);
  });

  it('removes shadowed duplicate copies of our value too, but never foreign ones', () => {
    const text = '{"mcpServers":{"s":{"env":{"K":"ours","X":"1","K":"theirs","K":"ours2"}}}}';
    const r = applyStrips(text, [strip('s', 'K')], oursOf(['ours', 'ours2']));
    expect(r.outcomes[0]?.kind).toBe('stripped');
    expect(r.text).toBe('{"mcpServers":{"s":{"env":{"X":"1","K":"theirs"}}}}');
    expect(applyStrips(r.text, [strip('s', 'K')], oursOf(['ours'])).outcomes[0]?.kind).toBe('foreign');
  });

  it('strips regardless of server type (a secret must not stay anywhere)', () => {
    const text = '{"mcpServers":{"r":{"type":"http","url":"u","env":{"K":"ours"}}}}';
    expect(applyStrips(text, [strip('r', 'K')], oursOf(['ours'])).text).toBe('{"mcpServers":{"r":{"type":"http","url":"u","env":{}}}}');
  });
});

describe('duplicate keys follow JSON.parse (last one wins)', () => {
  it('edits the server that JSON.parse would see', () => {
    const texts = [
      '{"mcpServers":{"s":{"command":"first"},"s":{"command":"last"}}}',
      '{"mcpServers":{"s":{"command":"first"}},"mcpServers":{"s":{"command":"last"}}}',
      '{"mcpServers":5,"mcpServers":{"s":{"command":"last"}}}',
      '{"mcpServers":{"s":{"command":"last","env":"bad","env":{}}}}',
    ];
    for (const text of texts) {
      const { injected } = roundTrip(text, [user('s', 'K', 'v')]);
      const seen = (JSON.parse(injected) as { mcpServers: { s: { command: string; env: Obj } } }).mcpServers.s;
      expect(seen.command).toBe('last');
      expect(seen.env).toEqual({ K: 'v' });
    }
  });

  it('uses the last projects entry and the last projects object', () => {
    const texts = [
      '{"projects":{"/p":{"mcpServers":{"s":{}}},"/p":{"mcpServers":{"s":{"command":"last"}}}}}',
      '{"projects":{"/p":{"mcpServers":{"s":{}}}},"projects":{"/p":{"mcpServers":{"s":{"command":"last"}}}}}',
      '{"projects":{"/p":{"mcpServers":{"s":{}},"mcpServers":{"s":{"command":"last"}}}}}',
      '{"projects":7,"projects":{"/p":{"mcpServers":{"s":{"command":"last"}}}}}',
    ];
    for (const text of texts) {
      const { injected } = roundTrip(text, [local('/p', 's', 'K', 'v')]);
      const seen = (JSON.parse(injected) as { projects: { '/p': { mcpServers: { s: { command: string; env: Obj } } } } }).projects['/p'].mcpServers.s;
      expect(seen).toEqual({ command: 'last', env: { K: 'v' } });
    }
    // A later projects object without the entry hides the earlier one.
    const hidden = '{"projects":{"/p":{"mcpServers":{"s":{}}}},"projects":{}}';
    expect(applyInjections(hidden, [local('/p', 's', 'K', 'v')], oursOf([])).outcomes[0]?.kind).toBe('missing-server');
  });
});

describe('readEnvValues', () => {
  it('returns current string values, undefined otherwise', () => {
    const text = JSON.stringify({
      mcpServers: { s: { env: { A: 'a', N: 1 } }, r: { type: 'http', env: { A: 'in-http' } }, noenv: {} },
      projects: { '/p': { mcpServers: { s: { env: { A: 'local' } } } } },
    });
    const t = (server: string, env: string): EnvAddress => ({ scope: 'user', server, env });
    expect(
      readEnvValues(text, [
        t('s', 'A'),
        t('s', 'N'),
        t('s', 'X'),
        t('r', 'A'),
        t('noenv', 'A'),
        t('gone', 'A'),
        { scope: 'local', project: '/p', server: 's', env: 'A' },
        { scope: 'local', project: '/q', server: 's', env: 'A' },
      ]),
    ).toEqual(['a', undefined, undefined, 'in-http', undefined, undefined, 'local', undefined]);
  });
});

describe('invalid input', () => {
  const SECRET = 'SECRET-abc123';
  const req = [user('s', 'K', 'v')];

  function parseError(text: string): ConfigParseError {
    try {
      applyInjections(text, req, oursOf([]));
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigParseError);
      return e as ConfigParseError;
    }
    throw new Error('expected a ConfigParseError');
  }

  it('rejects anything JSON.parse rejects, with a position and no content', () => {
    const bad = [
      '',
      '   \n ',
      '{',
      `{"mcpServers":{"s":{"env":{"K":"${SECRET}"}}},}`,
      `// ${SECRET}\n{}`,
      `{"a":"${SECRET}" /* c */}`,
      `{"a":[1,2,]}`,
      `{'a':1}`,
      `{"a":01}`,
      `{"a":1.}`,
      `{"a":.5}`,
      `{"a":1e}`,
      `{"a":+1}`,
      `{"a":-}`,
      `{"a":tru}`,
      `{"a":NaN}`,
      `{"a":"\\x41"}`,
      `{"a":"\\u12G4"}`,
      `{"a":"tab\there"}`,
      `{"a":"${SECRET}`,
      `{"a":1} {"b":2}`,
      `{"a":1}x`,
      // A leading BOM is skipped as Claude Code skips it (json-core.test.ts); anywhere else it is an error.
      '\uFEFF\uFEFF{}',
      ' \uFEFF{}',
      '{"a":\uFEFF1}',
      '{"a" 1}',
      '{"a":1 "b":2}',
      '{,}',
      '[',
      '{"a":[}',
      '{"a":{]}',
    ];
    for (const text of bad) {
      expect(() => JSON.parse(text)).toThrow();
      const e = parseError(text);
      expect(e.message).toMatch(/^not valid JSON at line \d+, column \d+: [A-Za-z' ,{}\]\\:-]+$/);
      expect(e.message).not.toContain(SECRET);
      expect(() => applyStrips(text, [], oursOf([]))).toThrow(ConfigParseError);
      expect(() => readEnvValues(text, [])).toThrow(ConfigParseError);
    }
  });

  it('reports the right line and column', () => {
    const e = parseError('{\n  "a": 1,\n  "b": tru\n}');
    expect([e.line, e.column]).toEqual([3, 8]);
    const crlf = parseError('{\r\n  "a": 1,\r\n  "b": [1,]\r\n}');
    expect([crlf.line, crlf.column]).toEqual([3, 11]);
    expect(parseError('').line).toBe(1);
  });

  it('rejects wrong shapes with ConfigShapeError naming the place', () => {
    const cases: [string, EnvAddress, string][] = [
      ['[]', { scope: 'user', server: 's', env: 'K' }, 'top level is not a JSON object'],
      [`"${SECRET}"`, { scope: 'user', server: 's', env: 'K' }, 'top level is not a JSON object'],
      ['null', { scope: 'user', server: 's', env: 'K' }, 'top level is not a JSON object'],
      [`{"mcpServers":["${SECRET}"]}`, { scope: 'user', server: 's', env: 'K' }, 'mcpServers is not an object'],
      ['{"mcpServers":null}', { scope: 'user', server: 's', env: 'K' }, 'mcpServers is not an object'],
      ['{"projects":[]}', { scope: 'local', project: '/p', server: 's', env: 'K' }, 'projects is not an object'],
      ['{"projects":{"/p":1}}', { scope: 'local', project: '/p', server: 's', env: 'K' }, 'projects["/p"] is not an object'],
      ['{"projects":{"/p":{"mcpServers":"x"}}}', { scope: 'local', project: '/p', server: 's', env: 'K' }, 'projects["/p"].mcpServers is not an object'],
    ];
    for (const [text, target, message] of cases) {
      expect(() => applyInjections(text, [{ ...target, value: 'v' }], oursOf([]))).toThrow(ConfigShapeError);
      expect(() => applyStrips(text, [{ ...target, removeEnvIfEmpty: false }], oursOf([]))).toThrow(message);
      expect(() => readEnvValues(text, [target])).toThrow(message);
    }
    // Shapes are checked only where a request needs them.
    expect(applyInjections('{"mcpServers":null,"projects":{}}', [local('/p', 's', 'K', 'v')], oursOf([])).outcomes[0]?.kind).toBe('missing-server');
    expect(applyInjections('{"mcpServers":{},"projects":[]}', [user('s', 'K', 'v')], oursOf([])).outcomes[0]?.kind).toBe('missing-server');
  });

  it('prefers the syntax error when a file is both mis-shaped and broken', () => {
    expect(() => applyInjections('{"mcpServers":[],', req, oursOf([]))).toThrow(ConfigParseError);
  });
});

describe('scanner agrees with JSON.parse', () => {
  it('accepts every valid document shape (deep nesting, all scalar forms)', () => {
    // Deeper than any recursive parser (or vitest's deep equality) could go.
    const deep = `{"x":${'[{"a":'.repeat(50000)}1${'}]'.repeat(50000)},"mcpServers":{"s":{}}}`;
    const inj = applyInjections(deep, [user('s', 'K', 'v')], oursOf(['v']));
    expect(inj.text).toBe(deep.replace('"s":{}', '"s":{"env":{"K":"v"}}'));
    expect(applyStrips(inj.text, [{ scope: 'user', server: 's', env: 'K', removeEnvIfEmpty: true }], oursOf(['v'])).text).toBe(deep);
    const scalars =
      '{"n":[0,-0,1,-1,0.5,-0.5e+10,1E-7,123456789012345678901234567890,1e400],"l":[true,false,null],"s":["","\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\\ud800","\u007f\u2028"],"o":{"":{},"a":[{}]},"mcpServers":{"s":{}}}';
    roundTrip(scalars, [user('s', 'K', 'v')]);
    roundTrip(' \t\r\n{ \t\r\n"mcpServers" \t\r\n: \t\r\n{ \t\r\n"s" \t\r\n: \t\r\n{ \t\r\n} \t\r\n} \t\r\n} \t\r\n', [user('s', 'K', 'v')]);
  });

  it('randomised mutations: accepts exactly what JSON.parse accepts', () => {
    const rand = rng(777);
    const seed = '{"a":[1,-2.5e3,true,false,null,"x\\n\\u00e9y"],"b":{"c":{},"d":[]},"mcpServers":{"s":{"env":{"K":"v"}}}}';
    const alphabet = '{}[]":,.-+eE0123456789 \t\n\r\\/ubfnrtaxl\u0000\u001f\uFEFF';
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      let t = seed;
      const edits = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < edits; k++) {
        const pos = Math.floor(rand() * (t.length + 1));
        const ch = alphabet[Math.floor(rand() * alphabet.length)] ?? '';
        const op = rand();
        if (op < 0.33) t = t.slice(0, pos) + ch + t.slice(pos);
        else if (op < 0.66) t = t.slice(0, pos) + t.slice(pos + 1);
        else t = t.slice(0, pos) + ch + t.slice(pos + 1);
      }
      let jsonOk = true;
      try {
        JSON.parse(t);
      } catch {
        jsonOk = false;
      }
      let ours: 'ok' | 'parse' | 'shape' = 'ok';
      try {
        readEnvValues(t, [{ scope: 'user', server: 's', env: 'K' }]);
      } catch (e) {
        if (e instanceof ConfigParseError) ours = 'parse';
        else if (e instanceof ConfigShapeError) ours = 'shape';
        else throw e;
      }
      expect({ t, accepted: ours !== 'parse' }).toEqual({ t, accepted: jsonOk });
      if (jsonOk) accepted++;
    }
    expect(accepted).toBeGreaterThan(100); // the mutations must exercise both sides
  });
});

describe('large configs', () => {
  it('round-trips on a multi-megabyte config with a big projects history', () => {
    const rand = rng(99);
    const projects: Obj = {};
    for (let i = 0; i < 1500; i++) {
      projects[`/home/user/p${i}`] = {
        allowedTools: [],
        history: Array.from({ length: 10 }, (_, k) => ({ display: `prompt ${k} "q" \\ é 😀 ${'w'.repeat(Math.floor(rand() * 200))}`, pastedContents: {} })),
        mcpServers: i % 100 === 0 ? { loc: { command: 'x' } } : {},
        lastCost: rand(),
      };
    }
    const servers: Obj = {};
    for (let s = 0; s < 5; s++) servers[`srv${s}`] = { type: 'stdio', command: 'npx', args: [`pkg${s}`], ...(s % 2 ? { env: { E: 'x' } } : {}) };
    const original = JSON.stringify({ numStartups: 1, mcpServers: servers, projects, userID: 'u' }, null, 2);
    expect(original.length).toBeGreaterThan(2_000_000);
    const reqs: InjectRequest[] = [];
    for (let s = 0; s < 5; s++) for (let k = 0; k < 2; k++) reqs.push(user(`srv${s}`, `KEY_${k}`, `sk-${s}-${k}-${'z'.repeat(40)}`));
    reqs.push(local('/home/user/p700', 'loc', 'K', 'local-v'), local('/home/user/p1400', 'loc', 'K', 'local-w'));
    const { outcomes } = roundTrip(original, reqs);
    expect(outcomes.every((o) => o.kind === 'injected')).toBe(true);
  });
});
