// Pure patching of Claude Code's ~/.claude.json text: put env values into MCP server entries and
// take them out again. No disk, no keyring, no clock.
//
// Edits are minimal and byte-exact: every byte outside the property we add, replace or remove
// stays as it was, and stripping what we injected restores the original text exactly. The big
// text is scanned once per call (src/claude/json/locate.ts); all editing happens on the small
// substring of one server object, with the edits of src/claude/json/edit.ts, then spliced back.
//
// JSON semantics (same as JSON.parse, which is what Claude Code uses to read the file):
// - duplicate keys: the last occurrence wins, at every level; edits go to that occurrence;
// - input must be strict JSON (no comments, no trailing commas); a leading BOM is skipped, as
//   Claude Code skips it, and kept;
// - a member we emptied is deleted only when no earlier duplicate would become the value again.

import { envAddressOf, type EnvAddress } from '../claude/address.js';
import { applyEdits, eolOf, indentAfterBreak, insertMemberEdit, lineIndent, removeMemberEdit, replaceValueEdit, styleOf, wsBefore, type Style } from '../claude/json/edit.js';
import { layoutOf, serverMemberOf, type ConfigLayout } from '../claude/json/locate.js';
import { ConfigParseError, ConfigShapeError, JsonScanner, lastMember, shadowsEarlier, stringAt, type Member, type ObjectInfo } from '../claude/json/scanner.js';

export { ConfigParseError, ConfigShapeError };

// A target is an EnvAddress (src/claude/address.ts); `project` is required for scope local.
export interface InjectRequest extends EnvAddress {
  value: string;
}
export type InjectOutcome =
  /** replaced: an older value of OURS was replaced (rotation). */
  | { kind: 'injected'; target: EnvAddress; createdEnv: boolean; replaced: boolean }
  /** Already holds exactly this value and it is ours. */
  | { kind: 'unchanged'; target: EnvAddress }
  /** The variable holds a value we did not put there (or is duplicated / not a string): left alone. */
  | { kind: 'conflict'; target: EnvAddress }
  /** No such server in that scope (or no `mcpServers`, or no `projects[project]`). */
  | { kind: 'missing-server'; target: EnvAddress }
  /** The server cannot take env values: not stdio, entry not an object, env not an object. */
  | { kind: 'unsupported-server'; target: EnvAddress; reason: string };
/** removeEnvIfEmpty: we created the env object at inject time. */
export interface StripRequest extends EnvAddress {
  removeEnvIfEmpty: boolean;
}
export type StripOutcome =
  | { kind: 'stripped'; target: EnvAddress; removedEnv: boolean }
  /** Nothing there (already stripped, server gone, env gone, ...). */
  | { kind: 'absent'; target: EnvAddress }
  /** A value is there but isOurs says it is not ours: left alone. */
  | { kind: 'foreign'; target: EnvAddress };
export type IsOurs = (target: EnvAddress, currentValue: string) => boolean;

// Outcomes carry only the target, never the value (outcomes get logged).
const targetOf = envAddressOf;

function checkRequest(r: EnvAddress): void {
  if (r.scope === 'local' && typeof r.project !== 'string') {
    throw new TypeError('a local-scope target needs a project path');
  }
  if (r.scope !== 'local' && r.scope !== 'user') throw new TypeError('unknown scope');
}

/**
 * Lay out the document for exactly the scopes the requests need. Throws ConfigParseError, or
 * ConfigShapeError when something on the way to a requested server is not an object.
 */
function indexFor(text: string, targets: readonly EnvAddress[]): ConfigLayout {
  let wantUser = false;
  const projects = new Set<string>();
  for (const t of targets) {
    checkRequest(t);
    if (t.scope === 'user') wantUser = true;
    else projects.add(t.project as string);
  }
  const layout = layoutOf(text, projects, { user: wantUser, projectsShape: projects.size > 0 });
  for (const p of projects) {
    const bad = layout.badProjects.get(p);
    const where = `projects[${JSON.stringify(p)}]`;
    if (bad === 'entry') throw new ConfigShapeError(where, 'is not an object');
    if (bad === 'servers') throw new ConfigShapeError(`${where}.mcpServers`, 'is not an object');
  }
  return layout;
}

// ---------------------------------------------------------------------------------------------
// Formatting: inserted text copies the style around it, so a pretty file stays pretty.

/** Style of one server entry located in the big text (server object at `m.valueStart`, its text `w`). */
function styleFor(text: string, m: Member, server: ObjectInfo, w: string): Style {
  // Indentation of the line with the server's `{`: the window's first line starts outside it.
  const baseIndent = lineIndent(text, m.valueStart);
  const fallbackUnit = baseIndent.includes('\t') ? '\t' : '  ';
  if (server.members[0] === undefined) {
    // Empty server object: follow how mcpServers lays out its entries.
    const parentWs = wsBefore(text, m.keyStart);
    return { pretty: indentAfterBreak(parentWs) !== undefined, eol: eolOf(parentWs), unit: fallbackUnit, colon: text.slice(m.keyEnd, m.valueStart), baseIndent };
  }
  return { ...styleOf(w, server, { pretty: true, eol: '\n', unit: fallbackUnit, colon: ': ' }, baseIndent), baseIndent };
}

/** Adds `key: valueText` as the last member of `obj` (undone exactly by removeMember). */
function insertMember(w: string, obj: ObjectInfo, key: string, valueText: string, style: Style): string {
  return applyEdits(w, [insertMemberEdit(w, obj, key, valueText, style)]);
}

/** Removes member `k` of `obj` with its separator; the inverse of insertMember. */
function removeMember(w: string, obj: ObjectInfo, k: number): string {
  return obj.members[k] === undefined ? w : applyEdits(w, [removeMemberEdit(w, obj, k)]);
}

// ---------------------------------------------------------------------------------------------
// Per-server editing on the window `w` = text of one server object (offset 0 = its `{`).

interface Indexed<R> {
  req: R;
  index: number;
}

interface ServerGroup<R> {
  member: Member;
  items: Indexed<R>[];
}

function groupByServer<R extends EnvAddress>(index: ConfigLayout, requests: readonly R[], onMissing: (i: number) => void): ServerGroup<R>[] {
  const groups = new Map<number, ServerGroup<R>>();
  requests.forEach((req, i) => {
    const m = serverMemberOf(index, req);
    if (m === undefined) {
      onMissing(i);
      return;
    }
    let g = groups.get(m.valueStart);
    if (g === undefined) {
      g = { member: m, items: [] };
      groups.set(m.valueStart, g);
    }
    g.items.push({ req, index: i });
  });
  return [...groups.values()];
}

function stringValue(s: JsonScanner, m: Member): string | undefined {
  return stringAt(s, m.valueStart, m.valueEnd);
}

const NON_STDIO_TYPES = new Set(['http', 'sse', 'ws', 'sse-ide', 'ws-ide', 'sdk', 'claudeai-proxy']);

/** Why this server entry cannot take env values, or undefined if it can. */
function unsupportedReason(s: JsonScanner): string | undefined {
  if (!s.isObjectAt(0)) return 'server entry is not an object';
  const typeM = lastMember(s.readObject(0).members, 'type');
  if (typeM === undefined) return undefined; // no type means stdio
  const type = stringValue(s, typeM);
  if (type === 'stdio') return undefined;
  if (type === undefined) return 'server type is not a string';
  // Name only well-known types: the reason is shown to users and must not echo arbitrary content.
  return NON_STDIO_TYPES.has(type) ? `server type "${type}" has no env block` : 'server type is not stdio';
}

function injectIntoServer(text: string, g: ServerGroup<InjectRequest>, isOurs: IsOurs, outcomes: InjectOutcome[]): string {
  let w = text.slice(g.member.valueStart, g.member.valueEnd);
  const reason = unsupportedReason(new JsonScanner(w));
  if (reason !== undefined) {
    for (const { req, index } of g.items) outcomes[index] = { kind: 'unsupported-server', target: targetOf(req), reason };
    return w;
  }
  const style = styleFor(text, g.member, new JsonScanner(w).readObject(0), w);
  let createdEnv = false; // by an earlier request of this call: later ones share that env object
  for (const { req, index } of g.items) {
    const target = targetOf(req);
    let s = new JsonScanner(w);
    let envM = lastMember(s.readObject(0).members, 'env');
    if (envM === undefined) {
      w = insertMember(w, s.readObject(0), 'env', '{}', style);
      createdEnv = true;
      s = new JsonScanner(w);
      envM = lastMember(s.readObject(0).members, 'env');
      if (envM === undefined) throw new Error('internal: env insertion failed');
    }
    if (!s.isObjectAt(envM.valueStart)) {
      outcomes[index] = { kind: 'unsupported-server', target, reason: 'env is not an object' };
      continue;
    }
    const env = s.readObject(envM.valueStart);
    const same = env.members.filter((m) => m.key === req.env);
    const cur = same[0];
    if (cur === undefined) {
      w = insertMember(w, env, req.env, JSON.stringify(req.value), style);
      outcomes[index] = { kind: 'injected', target, createdEnv, replaced: false };
      continue;
    }
    // A duplicated variable was not written by us (we never create duplicates): hands off.
    const current = same.length === 1 ? stringValue(s, cur) : undefined;
    if (current === undefined || !isOurs(target, current)) {
      outcomes[index] = { kind: 'conflict', target };
    } else if (current === req.value) {
      outcomes[index] = { kind: 'unchanged', target };
    } else {
      w = applyEdits(w, [replaceValueEdit(cur, JSON.stringify(req.value))]);
      outcomes[index] = { kind: 'injected', target, createdEnv: false, replaced: true };
    }
  }
  return w;
}

function stripFromServer(text: string, g: ServerGroup<StripRequest>, isOurs: IsOurs, outcomes: StripOutcome[]): string {
  let w = text.slice(g.member.valueStart, g.member.valueEnd);
  if (!new JsonScanner(w).isObjectAt(0)) {
    for (const { req, index } of g.items) outcomes[index] = { kind: 'absent', target: targetOf(req) };
    return w;
  }
  // The server type is not checked: a value of ours must go wherever it is.
  const stripped: number[] = [];
  let removeEnvIfEmpty = false;
  for (const { req, index } of g.items) {
    const target = targetOf(req);
    let result: StripOutcome = { kind: 'absent', target };
    // Remove every occurrence of the variable that holds a value of ours (duplicates included,
    // so no shadowed copy of a secret stays behind), one at a time since offsets shift.
    for (;;) {
      const s = new JsonScanner(w);
      const envM = lastMember(s.readObject(0).members, 'env');
      if (envM === undefined || !s.isObjectAt(envM.valueStart)) break;
      const env = s.readObject(envM.valueStart);
      let found = false;
      let k = -1;
      env.members.forEach((m, i) => {
        if (m.key !== req.env) return;
        found = true;
        const v = stringValue(s, m);
        if (v !== undefined && isOurs(target, v)) k = i;
      });
      if (k === -1) {
        if (found && result.kind === 'absent') result = { kind: 'foreign', target };
        break;
      }
      w = removeMember(w, env, k);
      result = { kind: 'stripped', target, removedEnv: false };
    }
    outcomes[index] = result;
    if (result.kind === 'stripped') {
      stripped.push(index);
      if (req.removeEnvIfEmpty) removeEnvIfEmpty = true;
    }
  }
  if (removeEnvIfEmpty) {
    const s = new JsonScanner(w);
    const server = s.readObject(0);
    const envM = lastMember(server.members, 'env');
    const k = envM === undefined ? -1 : server.members.lastIndexOf(envM);
    if (envM !== undefined && !shadowsEarlier(server.members, k) && s.isObjectAt(envM.valueStart) && s.readObject(envM.valueStart).members.length === 0) {
      w = removeMember(w, server, k);
      for (const i of stripped) {
        const o = outcomes[i];
        if (o !== undefined && o.kind === 'stripped') o.removedEnv = true;
      }
    }
  }
  return w;
}

// ---------------------------------------------------------------------------------------------

/**
 * Puts each value into `<scope servers>[server].env[env]`, creating `env` if needed.
 * One scan of `text`; requests for the same server are applied in order on that server's text.
 * Throws ConfigParseError / ConfigShapeError (see indexDocument); a missing server is an outcome.
 */
export function applyInjections(text: string, requests: readonly InjectRequest[], isOurs: IsOurs): { text: string; outcomes: InjectOutcome[] } {
  const index = indexFor(text, requests);
  const outcomes: InjectOutcome[] = new Array<InjectOutcome>(requests.length);
  const groups = groupByServer(index, requests, (i) => {
    const r = requests[i];
    if (r !== undefined) outcomes[i] = { kind: 'missing-server', target: targetOf(r) };
  });
  const edits = groups.map((g) => ({ start: g.member.valueStart, end: g.member.valueEnd, text: injectIntoServer(text, g, isOurs, outcomes) }));
  return { text: applyEdits(text, edits), outcomes };
}

/**
 * Removes each variable whose current value isOurs; removes the whole `env` property when it
 * became empty and some stripped request of that server says we created it.
 */
export function applyStrips(text: string, requests: readonly StripRequest[], isOurs: IsOurs): { text: string; outcomes: StripOutcome[] } {
  const index = indexFor(text, requests);
  const outcomes: StripOutcome[] = new Array<StripOutcome>(requests.length);
  const groups = groupByServer(index, requests, (i) => {
    const r = requests[i];
    if (r !== undefined) outcomes[i] = { kind: 'absent', target: targetOf(r) };
  });
  const edits = groups.map((g) => ({ start: g.member.valueStart, end: g.member.valueEnd, text: stripFromServer(text, g, isOurs, outcomes) }));
  return { text: applyEdits(text, edits), outcomes };
}

/**
 * Current string value at each target (last duplicate wins, whatever the server type), or
 * undefined if absent or not a string. Throws like applyInjections.
 */
export function readEnvValues(text: string, targets: readonly EnvAddress[]): (string | undefined)[] {
  const index = indexFor(text, targets);
  const s = new JsonScanner(text);
  return targets.map((t) => {
    const m = serverMemberOf(index, t);
    if (m === undefined || !s.isObjectAt(m.valueStart)) return undefined;
    const envM = lastMember(s.readObject(m.valueStart).members, 'env');
    if (envM === undefined || !s.isObjectAt(envM.valueStart)) return undefined;
    const v = lastMember(s.readObject(envM.valueStart).members, t.env);
    return v === undefined ? undefined : stringValue(s, v);
  });
}
