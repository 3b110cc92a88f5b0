// The one JSON core (src/claude/json) and every user of it, on random layouts: the edit API
// directly (insert / replace / remove a member: the data is what JSON.parse says it must be, and
// insert + remove gives back the exact bytes), zero-disk wrap/unwrap (byte-exact round trip),
// and import's plaintext strip, checked against the engine's strip of the same variables; the
// comment-tolerant scanner; our hooks in settings.json (add + remove byte-exact, and remove on
// files with comments and trailing commas) and our MCP server in ~/.claude.json (register +
// unregister byte-exact; an insertion looks as if JSON.stringify had written the file).
// (The engine's own inject/strip round trips are in config-patch.test.ts.)
import { describe, expect, it } from 'vitest';
import { applyEdits, formatValue, insertMemberEdit, memberIndentOf, removeMemberEdit, replaceValueEdit, styleOf } from '../../src/claude/json/edit.js';
import { layoutOf } from '../../src/claude/json/locate.js';
import { ConfigParseError, JsoncScanner, JsonScanner, lastMember, type ObjectInfo } from '../../src/claude/json/scanner.js';
import { applyInjections, applyStrips, type InjectRequest } from '../../src/engine/config-patch.js';
import { scanPlaintext, stripPlaintextText, type StripItem } from '../../src/import/plaintext.js';
import { MCP_SERVER_NAME, mcpServerEntry, withMcpServer, withoutEmptyMcpServers, withoutMcpServer } from '../../src/install/mcp-registration.js';
import { addHooks, markCommand, removeHooks, SettingsFormatError, type HookCommands } from '../../src/install/settings-hooks.js';
import type { SelfPaths } from '../../src/wrap/format.js';
import { unwrapInText, wrapInText } from '../../src/wrap/patch.js';
import { anyLayout, isObj, maybeBom, messy, rng, type Json, type Obj } from '../helpers/json-layouts.js';

function randomConfig(rand: () => number): Obj {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const server = (i: number): Obj => {
    const e: Obj = { command: `cmd${i}`, args: pick([[], ['-y', `pkg-${i}`], [{ nested: [1, { deep: null }] }]]) };
    const env = rand();
    if (env < 0.3) e.env = {};
    else if (env < 0.8) e.env = { LOG: 'info', [`TOKEN_${i}`]: `plain-${i}-"q"\\`, PORT: '8080' };
    if (rand() < 0.3) e.type = 'stdio';
    return e;
  };
  const servers: Obj = {};
  for (let i = 0, n = 1 + Math.floor(rand() * 4); i < n; i++) servers[`s${i}`] = server(i);
  const localServers: Obj = {};
  for (let i = 0, n = Math.floor(rand() * 3); i < n; i++) localServers[`l${i}`] = server(10 + i);
  return {
    numStartups: 7,
    tips: { a: [1, 2, { b: 'c' }] },
    mcpServers: servers,
    projects: { '/p': { allowedTools: [], history: [{ display: 'hi\n' }], mcpServers: localServers }, '/q': {} },
    userID: 'u',
  };
}

/** Every object in the layout an edit may target: top level, servers, server entries, env blocks, projects. */
function objectsOf(text: string): { path: string[]; obj: ObjectInfo }[] {
  const layout = layoutOf(text, 'all');
  const s = new JsonScanner(text);
  const out: { path: string[]; obj: ObjectInfo }[] = [{ path: [], obj: layout.top }];
  const servers = (base: string[], o: ObjectInfo | undefined) => {
    if (!o) return;
    out.push({ path: base, obj: o });
    const seen = new Set<string>();
    for (const m of o.members) {
      if (seen.has(m.key) || !s.isObjectAt(m.valueStart)) continue;
      seen.add(m.key);
      const entry = s.readObject(m.valueStart);
      out.push({ path: [...base, m.key], obj: entry });
      const env = lastMember(entry.members, 'env');
      if (env && s.isObjectAt(env.valueStart)) out.push({ path: [...base, m.key, 'env'], obj: s.readObject(env.valueStart) });
    }
  };
  servers(['mcpServers'], layout.userServers);
  for (const [p, pl] of layout.projects) {
    out.push({ path: ['projects', p], obj: pl.entry });
    servers(['projects', p, 'mcpServers'], pl.servers);
  }
  return out;
}

function at(data: Obj, path: readonly string[]): Obj {
  let o: Json = data;
  for (const k of path) o = (o as Obj)[k] as Json;
  if (!isObj(o)) throw new Error('test bug: not an object');
  return o;
}

const VALUES: Json[] = ['new value', 42, null, [], {}, [1, 'two', { three: 3 }], { a: { b: ['c'] } }, 'with "quotes" and \\ and \n'];

describe('the edit API on random layouts', () => {
  it('insert, replace and remove a member: JSON.parse agrees, and insert + remove is byte-exact', () => {
    const rand = rng(1313);
    for (let iter = 0; iter < 400; iter++) {
      const data = randomConfig(rand);
      const text = anyLayout(data, rand);
      const targets = objectsOf(text);
      const { path, obj } = targets[Math.floor(rand() * targets.length)] as (typeof targets)[number];
      const value = VALUES[Math.floor(rand() * VALUES.length)] as Json;
      const style = styleOf(text, obj);
      const inserted = applyEdits(text, [insertMemberEdit(text, obj, 'kiNew', formatValue(value, style, memberIndentOf(text, obj, style)), style)]);
      const expected = JSON.parse(text) as Obj;
      at(expected, path).kiNew = value;
      const parsed = JSON.parse(inserted) as Obj;
      expect(parsed).toEqual(expected);
      expect(Object.keys(at(parsed, path)).at(-1)).toBe('kiNew'); // appended: key order kept
      // Remove it again from a fresh scan of the new text.
      const again = objectsOf(inserted).find((o) => JSON.stringify(o.path) === JSON.stringify(path))?.obj as ObjectInfo;
      const k = again.members.findIndex((m) => m.key === 'kiNew');
      expect(applyEdits(inserted, [removeMemberEdit(inserted, again, k)])).toBe(text);
      // Replace the value of an existing member (the last one of the object, if any).
      const last = obj.members.at(-1);
      if (last) {
        const replaced = applyEdits(text, [replaceValueEdit(last, JSON.stringify(value))]);
        const exp2 = JSON.parse(text) as Obj;
        at(exp2, path)[last.key] = value;
        expect(JSON.parse(replaced)).toEqual(exp2);
      }
    }
  });
});

describe('users of the JSON core on random layouts', () => {
  const self: SelfPaths = { node: '/opt/node/bin/node', cli: '/opt/ki/dist/cli.js' };

  it('wrap / unwrap (zero-disk): the wrapped entry parses as expected and unwrap gives back the exact bytes', () => {
    const rand = rng(2024);
    for (let iter = 0; iter < 300; iter++) {
      const data = randomConfig(rand);
      const text = anyLayout(data, rand);
      const locals = Object.keys(at(data, ['projects', '/p', 'mcpServers']));
      const ref = rand() < 0.5 || locals.length === 0 ? { scope: 'user' as const, server: 's0' } : { scope: 'local' as const, project: '/p', server: locals[0] as string };
      const w = wrapInText(text, ref, self);
      const base = ref.scope === 'user' ? ['mcpServers'] : ['projects', '/p', 'mcpServers'];
      const before = at(data, [...base, ref.server]);
      if (!(before.args as Json[]).every((a) => typeof a === 'string')) {
        expect(w.outcome.kind).toBe('unsupported'); // args that are not strings cannot follow `--`
        expect(w.text).toBe(text);
        continue;
      }
      expect(w.outcome.kind).toBe('wrapped');
      const parsed = JSON.parse(w.text) as Obj;
      const after = at(parsed, [...base, ref.server]);
      expect(after.command).toBe(self.node);
      expect(after.args).toEqual([
        self.cli,
        'exec',
        '--server',
        ref.server,
        ...(ref.scope === 'local' ? ['--scope', 'local', '--project', '/p'] : []),
        '--',
        before.command,
        ...(before.args as Json[]),
      ]);
      // Everything else is untouched.
      at(parsed, base)[ref.server] = before;
      expect(parsed).toEqual(data);
      const u = unwrapInText(w.text, ref);
      expect(u.text).toBe(text);
    }
  });

  it("import's plaintext strip removes exactly the chosen variables, byte for byte like the engine's strip", () => {
    const rand = rng(77);
    for (let iter = 0; iter < 300; iter++) {
      const data = randomConfig(rand);
      const text = anyLayout(data, rand);
      const items: StripItem[] = [];
      const expected = JSON.parse(text) as Obj;
      for (const [base, scope] of [
        [['mcpServers'], { scope: 'user' as const }],
        [['projects', '/p', 'mcpServers'], { scope: 'local' as const, project: '/p' }],
      ] as const) {
        for (const [server, entry] of Object.entries(at(data, base))) {
          const env = (entry as Obj).env;
          if (!isObj(env)) continue;
          for (const [name, raw] of Object.entries(env)) {
            if (rand() < 0.5 || typeof raw !== 'string') continue;
            items.push({ ref: { ...scope, server }, kind: 'env', name, raw });
            delete at(expected, [...base, server, 'env'])[name];
          }
        }
      }
      const ours = stripPlaintextText(text, items);
      expect(ours.stripped).toEqual(items);
      expect(JSON.parse(ours.text)).toEqual(expected);
      const engine = applyStrips(
        text,
        items.map((i) => ({ ...i.ref, env: i.name, removeEnvIfEmpty: false })),
        (t, v) => items.some((i) => i.ref.server === t.server && i.name === t.env && i.raw === v),
      );
      expect(ours.text).toBe(engine.text);
    }
  });
});

/** Offsets between two tokens of a JSON text: outside strings, next to a structural character or whitespace. */
function tokenGaps(text: string): number[] {
  const gaps: number[] = [];
  const sep = (c: string | undefined) => c === undefined || '{}[],: \t\r\n'.includes(c);
  let inString = false;
  for (let i = 0; i <= text.length; i++) {
    if (!inString && (sep(text[i - 1]) || sep(text[i]))) gaps.push(i);
    const c = text[i];
    if (inString && c === '\\') i++;
    else if (c === '"') inString = !inString;
  }
  return gaps;
}

/** `text` with `piece` put into `n` random token gaps. */
function sprinkle(text: string, rand: () => number, n: number, piece: (at: number) => string | undefined): string {
  const gaps = tokenGaps(text);
  const chosen = new Set(Array.from({ length: n }, () => gaps[Math.floor(rand() * gaps.length)] as number));
  let out = '';
  let pos = 0;
  for (const at of [...chosen].sort((a, b) => a - b)) {
    out += text.slice(pos, at) + (piece(at) ?? '');
    pos = at;
  }
  return out + text.slice(pos);
}

/** Just after a value, right before the `}` or `]` that closes a non-empty container. */
function beforeCloser(text: string, at: number): boolean {
  return (text[at] === '}' || text[at] === ']') && at > 0 && !'{[ \t\r\n'.includes(text[at - 1] as string);
}

describe('the comment-tolerant scanner', () => {
  it('reads a text with comments and trailing commas as the strict scanner reads it without them; the strict one refuses them', () => {
    const rand = rng(4242);
    for (let iter = 0; iter < 150; iter++) {
      const text = anyLayout(randomConfig(rand), rand);
      let n = 0;
      // Comments only where whitespace may go; a trailing comma only after a container's last value.
      const withTrivia = sprinkle(text, rand, 1 + Math.floor(rand() * 6), (at) => {
        if (beforeCloser(text, at) && rand() < 0.5) return ',';
        return rand() < 0.5 ? `/* c${n++}, "x": [ */` : ` // c${n++} }\n`;
      });
      const strict = new JsonScanner(text);
      const lenient = new JsoncScanner(withTrivia);
      const a = strict.readObject(strict.skipWs(0));
      const b = lenient.readObject(lenient.skipWs(0));
      expect(lenient.skipWs(b.end)).toBe(withTrivia.length);
      expect(b.members.map((m) => m.key)).toEqual(a.members.map((m) => m.key));
      // Values without trivia inside read the same.
      for (const [k, m] of b.members.entries()) {
        const raw = withTrivia.slice(m.valueStart, m.valueEnd);
        const am = a.members[k] as (typeof a.members)[number];
        if (!/\/[/*]|,\s*[}\]]/.test(raw)) expect(JSON.parse(raw)).toEqual(JSON.parse(text.slice(am.valueStart, am.valueEnd)));
      }
      // With no trivia added, both scanners lay the text out identically.
      const same = new JsoncScanner(text);
      expect(same.readObject(same.skipWs(0))).toEqual(a);
      if (withTrivia !== text) {
        const s = new JsonScanner(withTrivia);
        expect(() => s.skipValue(s.skipWs(0))).toThrow(ConfigParseError);
      }
    }
  });

  it('still refuses what is not JSON with comments, naming the position', () => {
    for (const [text, at] of [
      ['{"a": 1 /* open', 8],
      ['{"a": 1 / 2}', 8],
      ['{"a": 1,, "b": 2}', 8],
      ['{"a": [1,,]}', 10],
      ['{"a" // c\n 1}', 11],
      ['{"a": 1}, // c\n', 8],
    ] as const) {
      const s = new JsoncScanner(text);
      let err: unknown;
      try {
        const end = s.skipWs(s.skipValue(s.skipWs(0)));
        if (end < text.length) s.fail(end, 'unexpected text after the JSON value');
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(ConfigParseError);
      expect((err as ConfigParseError).offset, text).toBe(at);
    }
  });
});

const HOOKS: HookCommands = {
  sessionStart: markCommand(`'/usr/bin/node' '/opt/ki/dist/cli.js' hook session-start`),
  sessionEnd: markCommand(`'/usr/bin/node' '/opt/ki/dist/cli.js' hook session-end`),
  userPromptSubmit: markCommand(`'/usr/bin/node' '/opt/ki/dist/cli.js' guard user-prompt-submit`),
  preToolUse: markCommand(`'/usr/bin/node' '/opt/ki/dist/cli.js' guard pre-tool-use`),
  postToolUse: markCommand(`'/usr/bin/node' '/opt/ki/dist/cli.js' guard post-tool-use`),
};

/** User settings with user hooks; no empty list or `hooks` object of ours to leave ambiguous after a remove. */
function randomSettings(rand: () => number): Obj {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const settings: Obj = {};
  for (const key of ['model', 'env', 'permissions', 'statusLine']) if (rand() < 0.5) settings[key] = pick<Json>(['opus', 1, { allow: ['Bash(ls)', 'Read'], deny: [] }, [], {}]);
  if (rand() < 0.7) {
    const hooks: Obj = {};
    for (const event of ['SessionStart', 'Stop', 'PreToolUse', 'SessionEnd', 'PostToolUse', 'Notification']) {
      if (rand() < 0.5) continue;
      const groups: Json[] = [];
      for (let g = 1 + Math.floor(rand() * 2); g > 0; g--) {
        groups.push({ ...(rand() < 0.5 ? { matcher: pick(['startup', 'Bash', '']) } : {}), hooks: [{ type: 'command', command: `user-${g}.sh`, ...(rand() < 0.3 ? { timeout: 5 } : {}) }] });
      }
      hooks[event] = groups;
    }
    if (Object.keys(hooks).length > 0) settings.hooks = hooks;
  }
  return settings;
}

/** What addHooks must make of `settings`: every entry of ours appended where it goes. */
function withOurHooks(settings: Obj): Obj {
  const out = structuredClone(settings);
  const hooks = (out.hooks ?? {}) as Obj;
  const ours: Array<[string, string, number, string?]> = [
    ['SessionStart', HOOKS.sessionStart, 30],
    ['SessionEnd', HOOKS.sessionEnd, 10],
    ['UserPromptSubmit', HOOKS.userPromptSubmit as string, 10],
    ['PreToolUse', HOOKS.preToolUse as string, 10, '*'],
    ['PostToolUse', HOOKS.postToolUse as string, 30, '*'],
  ];
  for (const [event, command, timeout, matcher] of ours) {
    const group = { ...(matcher ? { matcher } : {}), hooks: [{ type: 'command', command, timeout }] };
    hooks[event] = [...((hooks[event] as Json[] | undefined) ?? []), group];
  }
  out.hooks = hooks;
  return out;
}

/** JSON.stringify in one of the layouts people and programs write, and which one. */
function stringifyLayout(x: Json, rand: () => number): string {
  const indent = [undefined, 1, 2, 4, '\t'][Math.floor(rand() * 5)];
  const crlf = rand() < 0.3;
  const eol = crlf ? '\r\n' : '\n';
  const text = JSON.stringify(x, null, indent).replace(/\n/g, eol);
  return rand() < 0.5 ? text + eol : text;
}

/** The same layout (indent, line ending, final line break) applied to other data. */
function sameLayout(like: string, x: Json): string {
  const indent = /^\{\r?\n([ \t]+)"/.exec(like)?.[1];
  const eol = like.includes('\r\n') ? '\r\n' : '\n';
  const text = JSON.stringify(x, null, indent).replace(/\n/g, eol);
  return like.endsWith('}') ? text : text + eol;
}

describe('settings.json hooks through the JSON core, on random layouts', () => {
  it("add lays our entries out as JSON.stringify would in the file's style, and remove gives back the exact bytes", () => {
    const rand = rng(8080);
    for (let iter = 0; iter < 300; iter++) {
      const settings = randomSettings(rand);
      const text = stringifyLayout(settings, rand);
      const added = addHooks(text, HOOKS);
      // (An empty `{}` shows no layout: it gets two-space lines, see settings-hooks.test.ts.)
      if (Object.keys(settings).length > 0) expect(added.text).toBe(sameLayout(text, withOurHooks(settings)));
      expect(addHooks(added.text, HOOKS).changed).toBe(false);
      const removed = removeHooks(added.text);
      expect(removed.removed).toBe(5);
      expect(removed.text).toBe(text);
    }
  });

  it('add then remove is byte-exact on messy layouts (any whitespace, tabs, CRLF between every token)', () => {
    const rand = rng(9191);
    for (let iter = 0; iter < 300; iter++) {
      const settings = randomSettings(rand);
      const text = anyLayout(settings, rand);
      const added = addHooks(text, HOOKS);
      expect(JSON.parse(added.text)).toEqual(withOurHooks(settings));
      expect(removeHooks(added.text).text).toBe(text);
    }
  });

  it('remove on a file with comments and trailing commas keeps them all and gives back the exact bytes', () => {
    // Whitespace no layout writes (a lone CR: layouts only write CRLF) marks token gaps; add
    // copies whitespace it sits next to (separators, indentation) like any other. Turning every
    // mark into a comment (or, right before a closing bracket, into a trailing comma) in both the
    // original and the added text gives the file a user commented by hand, with our entries in
    // it: remove must give back the commented original byte for byte.
    const MARK = '\r \r';
    const TRAIL = '\r\r\t\r\r'; // (no run of marks and whitespace forms the other mark)
    const rand = rng(5150);
    let commented = 0;
    for (let iter = 0; iter < 400; iter++) {
      const settings = randomSettings(rand);
      const text = anyLayout(settings, rand);
      const marked = sprinkle(text, rand, 1 + Math.floor(rand() * 8), (at) => (beforeCloser(text, at) && rand() < 0.4 ? TRAIL : MARK));
      const added = addHooks(marked, HOOKS).text;
      const comment = rand() < 0.5 ? '/* note, "hooks": [] */' : '// note }\n';
      const asUser = (t: string) => t.replaceAll(TRAIL, ',').replaceAll(MARK, comment);
      const original = asUser(marked);
      if (original.includes(comment)) commented++;
      const removed = removeHooks(asUser(added));
      expect(removed.removed).toBe(5);
      expect(removed.text).toBe(original);
    }
    expect(commented).toBeGreaterThan(300);
  });
});

describe('our MCP server in ~/.claude.json through the JSON core, on random layouts', () => {
  const entry = mcpServerEntry('/opt/node/bin/node', '/home/u/.local/share/keyring-inject/runtime/cli.js');

  it("register lays the entry out as JSON.stringify would in the file's style; unregister gives back the exact bytes", () => {
    const rand = rng(3131);
    for (let iter = 0; iter < 300; iter++) {
      const data = randomConfig(rand);
      if (rand() < 0.3) delete data.mcpServers;
      else if (rand() < 0.2) data.mcpServers = {};
      const text = stringifyLayout(data, rand);
      const registered = withMcpServer(text, entry) as string;
      const expected = structuredClone(data);
      expected.mcpServers = { ...((expected.mcpServers as Obj | undefined) ?? {}), [MCP_SERVER_NAME]: entry as unknown as Json };
      expect(registered).toBe(sameLayout(text, expected));
      expect(withMcpServer(registered, entry)).toBeUndefined();
      const unregistered = withoutMcpServer(registered) as string;
      // What install created ("mcpServers" itself) goes in uninstall --all's next step.
      expect(data.mcpServers === undefined ? withoutEmptyMcpServers(unregistered) : unregistered).toBe(text);
      expect(withoutMcpServer(text)).toBeUndefined();
    }
  });

  it('leaves an empty "mcpServers" that shadows an earlier duplicate (deleting it would bring those servers back)', () => {
    expect(withoutEmptyMcpServers('{"mcpServers":{"old":{"command":"x"}},"mcpServers":{}}')).toBeUndefined();
    expect(withoutEmptyMcpServers('{"a":1,"mcpServers":{}}')).toBe('{"a":1}');
  });

  it('register + unregister is byte-exact on messy layouts; an outdated entry is replaced in place', () => {
    const rand = rng(6262);
    const outdated = { type: 'stdio', command: '/old/node', args: ['/old/cli.js', 'mcp'], env: {} };
    for (let iter = 0; iter < 300; iter++) {
      const data = randomConfig(rand);
      const text = anyLayout(data, rand);
      const registered = withMcpServer(text, entry) as string;
      const expected = JSON.parse(text) as Obj;
      (expected.mcpServers as Obj)[MCP_SERVER_NAME] = entry as unknown as Json;
      expect(JSON.parse(registered)).toEqual(expected);
      expect(withoutMcpServer(registered)).toBe(text);
      const old = withMcpServer(text, outdated as never) as string;
      const updated = withMcpServer(old, entry) as string;
      expect(JSON.parse(updated)).toEqual(expected);
      expect(Object.keys((JSON.parse(updated) as Obj).mcpServers as Obj)).toEqual(Object.keys(expected.mcpServers as Obj));
      expect(withoutMcpServer(updated)).toBe(text);
    }
  });
});

describe('broken files: one line naming the position, never content', () => {
  it('settings.json (add and remove) and ~/.claude.json (register and unregister), cut or corrupted at random', () => {
    const rand = rng(1717);
    const secret = 'sk-live-NEVER-PRINT-9f8e7d';
    const entry = mcpServerEntry('/n', '/c.js');
    for (let iter = 0; iter < 300; iter++) {
      const data = randomConfig(rand);
      (data.mcpServers as Obj).s0 = { command: 'x', env: { TOKEN: secret } };
      const valid = anyLayout(data, rand);
      const at = valid.indexOf(secret) + Math.floor(rand() * secret.length);
      const broken = rand() < 0.5 ? valid.slice(0, at) : `${valid.slice(0, at)}"${valid.slice(at)}`;
      const messages: string[] = [];
      for (const f of [() => addHooks(broken, HOOKS), () => removeHooks(broken), () => withMcpServer(broken, entry), () => withoutMcpServer(broken)]) {
        try {
          f();
          messages.push('no error');
        } catch (e) {
          expect(e instanceof SettingsFormatError || e instanceof ConfigParseError).toBe(true);
          messages.push((e as Error).message);
        }
      }
      for (const m of messages) {
        expect(m).toMatch(/line \d+, column \d+/);
        expect(m).not.toMatch(/[\r\n]/);
        expect(m).not.toContain(secret.slice(0, 8));
      }
    }
  });
});

/** The hook commands Claude Code would run for a parsed settings object, as `event command` lines. */
function effectiveHooks(settings: Obj): string[] {
  const out: string[] = [];
  if (!isObj(settings.hooks)) return out;
  for (const [event, groups] of Object.entries(settings.hooks)) {
    if (!Array.isArray(groups)) continue;
    for (const g of groups) {
      if (!isObj(g) || !Array.isArray(g.hooks)) continue;
      for (const h of g.hooks) if (isObj(h) && typeof h.command === 'string') out.push(`${event} ${h.command}`);
    }
  }
  return out.sort();
}

/** An empty `hooks` object or event list, which our entries fill and removal does not give back (docs/install.md). */
function hasEmptyHookContainer(settings: Obj): boolean {
  const h = settings.hooks;
  return isObj(h) && (Object.keys(h).length === 0 || Object.values(h).some((v) => Array.isArray(v) && v.length === 0));
}

const BOM = '\uFEFF';
const unBom = (t: string) => (t.startsWith(BOM) ? t.slice(1) : t);

describe('edit round trips with shadowed duplicate keys and a leading BOM (seeded property test)', () => {
  const self: SelfPaths = { node: '/opt/node/bin/node', cli: '/opt/ki/dist/cli.js' };
  const shadowGroup = { hooks: [{ type: 'command', command: 'shadowed.sh' }] };
  const EVENTS = ['SessionStart', 'SessionEnd', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop'];

  it('settings.json: add + remove never brings back a shadowed hook, keeps the BOM, and is byte-exact unless it filled an empty list', () => {
    const rand = rng(2929);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const shadow = (key: string): Json | undefined => {
      if (rand() > 0.3) return undefined;
      if (key === 'hooks') return pick<Json>([null, {}, { Stop: [shadowGroup] }, { SessionStart: [shadowGroup], UserPromptSubmit: [] }]);
      if (EVENTS.includes(key)) return pick<Json>([null, [], [shadowGroup]]);
      return pick<Json>([null, 'shadowed', 0, {}]);
    };
    let exact = 0;
    let filled = 0;
    for (let iter = 0; iter < 300; iter++) {
      const settings = randomSettings(rand);
      // Empty containers our entries go into.
      if (rand() < 0.3) settings.hooks = {};
      if (rand() < 0.3) settings.hooks = { ...(isObj(settings.hooks) ? settings.hooks : {}), [pick(EVENTS)]: [] };
      const text = maybeBom(messy(settings, rand, shadow), rand);
      const added = addHooks(text, HOOKS);
      expect(added.text.startsWith(BOM)).toBe(text.startsWith(BOM));
      expect(effectiveHooks(JSON.parse(unBom(added.text)))).toEqual(effectiveHooks(withOurHooks(settings)));
      const removed = removeHooks(added.text);
      expect(removed.removed).toBe(5);
      expect(removed.text.startsWith(BOM)).toBe(text.startsWith(BOM));
      const after = JSON.parse(unBom(removed.text)) as Obj;
      expect(effectiveHooks(after), text).toEqual(effectiveHooks(settings));
      const { hooks: _a, ...restAfter } = after;
      const { hooks: _b, ...restBefore } = settings;
      expect(restAfter).toEqual(restBefore);
      if (hasEmptyHookContainer(settings)) filled++;
      else {
        exact++;
        expect(removed.text).toBe(text);
      }
    }
    expect(exact).toBeGreaterThan(75);
    expect(filled).toBeGreaterThan(75);
  });

  it('~/.claude.json: wrap/unwrap, inject/strip, import, register/unregister keep the BOM and give back the exact bytes', () => {
    const rand = rng(4242);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const shadow = (key: string): Json | undefined => {
      if (rand() > 0.2) return undefined;
      if (key === 'mcpServers') return { ghost: { command: 'ghost', env: { TOKEN_G: 'shadowed' } } };
      if (key === 'env') return { OLD: 'shadowed' };
      if (key === 'args') return ['shadowed'];
      return pick<Json>([null, 'shadowed', 1, {}, []]);
    };
    const entry = mcpServerEntry('/opt/node/bin/node', '/opt/ki/runtime/cli.js');
    let boms = 0;
    for (let iter = 0; iter < 300; iter++) {
      const data = randomConfig(rand);
      const plain = messy(data, rand, shadow);
      const text = maybeBom(plain, rand);
      if (text.startsWith(BOM)) boms++;
      const keepsBom = (t: string) => expect(t.startsWith(BOM)).toBe(text.startsWith(BOM));
      const locals = Object.keys(at(data, ['projects', '/p', 'mcpServers']));

      // Wrap / unwrap.
      const ref = rand() < 0.5 || locals.length === 0 ? { scope: 'user' as const, server: 's0' } : { scope: 'local' as const, project: '/p', server: locals[0] as string };
      const w = wrapInText(text, ref, self);
      if (w.outcome.kind === 'wrapped') {
        keepsBom(w.text);
        expect(JSON.parse(unBom(w.text))).not.toEqual(data);
        expect(unwrapInText(w.text, ref).text).toBe(text);
      } else {
        expect(w.text).toBe(text);
      }

      // Inject / strip (the engine).
      const reqs: InjectRequest[] = [];
      for (const s of Object.keys(at(data, ['mcpServers']))) if (rand() < 0.6) reqs.push({ scope: 'user', server: s, env: 'KI_TOKEN', value: `v-${s}` });
      for (const s of locals) if (rand() < 0.6) reqs.push({ scope: 'local', project: '/p', server: s, env: 'KI_TOKEN', value: `v-${s}` });
      const values = new Set(reqs.map((r) => r.value));
      const isOurs = (_t: unknown, v: string) => values.has(v);
      const inj = applyInjections(text, reqs, isOurs);
      keepsBom(inj.text);
      const expected = structuredClone(data);
      for (const r of reqs) {
        const server = at(expected, r.scope === 'user' ? ['mcpServers', r.server] : ['projects', '/p', 'mcpServers', r.server]);
        server.env = { ...(isObj(server.env) ? server.env : {}), KI_TOKEN: r.value };
      }
      expect(JSON.parse(unBom(inj.text))).toEqual(expected);
      const strips = reqs.map((r, i) => {
        const o = inj.outcomes[i];
        const { value: _v, ...t } = r;
        return { ...t, removeEnvIfEmpty: o?.kind === 'injected' && o.createdEnv };
      });
      expect(applyStrips(inj.text, strips, isOurs).text).toBe(text);

      // Import reads the same findings with or without the BOM, and strips like the engine.
      expect(scanPlaintext(text)).toEqual(scanPlaintext(plain));
      const items: StripItem[] = scanPlaintext(text)
        .filter((f) => f.kind === 'env' && rand() < 0.5)
        .map((f) => ({ ref: f.ref, kind: f.kind, name: f.name, raw: f.raw }));
      const ours = stripPlaintextText(text, items);
      keepsBom(ours.text);
      expect(ours.text).toBe(
        applyStrips(
          text,
          items.map((i) => ({ ...i.ref, env: i.name, removeEnvIfEmpty: false })),
          (t, v) => items.some((i) => i.ref.server === t.server && i.name === t.env && i.raw === v),
        ).text,
      );

      // Our MCP server entry.
      const registered = withMcpServer(text, entry) as string;
      keepsBom(registered);
      expect(withoutMcpServer(registered)).toBe(text);
    }
    expect(boms).toBeGreaterThan(30);
  });
});
