// The one JSON core (src/claude/json) and every user of it, on random layouts: the edit API
// directly (insert / replace / remove a member: the data is what JSON.parse says it must be, and
// insert + remove gives back the exact bytes), zero-disk wrap/unwrap (byte-exact round trip),
// and import's plaintext strip, checked against the engine's strip of the same variables.
// (The engine's own inject/strip round trips are in config-patch.test.ts.)
import { describe, expect, it } from 'vitest';
import { applyEdits, formatValue, insertMemberEdit, memberIndentOf, removeMemberEdit, replaceValueEdit, styleOf } from '../../src/claude/json/edit.js';
import { layoutOf } from '../../src/claude/json/locate.js';
import { JsonScanner, lastMember, type ObjectInfo } from '../../src/claude/json/scanner.js';
import { applyStrips } from '../../src/engine/config-patch.js';
import { stripPlaintextText, type StripItem } from '../../src/import/plaintext.js';
import type { SelfPaths } from '../../src/wrap/format.js';
import { unwrapInText, wrapInText } from '../../src/wrap/patch.js';
import { anyLayout, isObj, rng, type Json, type Obj } from '../helpers/json-layouts.js';

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
      expect(after.args).toEqual([self.cli, 'exec', '--server', ref.server, ...(ref.scope === 'local' ? ['--scope', 'local', '--project', '/p'] : []), '--', before.command, ...(before.args as Json[])]);
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
      for (const [base, scope] of [[['mcpServers'], { scope: 'user' as const }], [['projects', '/p', 'mcpServers'], { scope: 'local' as const, project: '/p' }]] as const) {
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
