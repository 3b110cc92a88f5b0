// Plaintext values in MCP server entries: find them (for import and doctor) and remove them
// (from ~/.claude.json and from Claude Code's copies of it). Values stay in memory; everything
// that is reported or thrown names servers and variables only.
import { REMOVED_PLACEHOLDER } from '../engine/config-copies.js';
import { isOursIn, type InjectionRecord } from '../engine/state.js';
import { classifyEnv, classifyHeader, headerTemplate } from './classify.js';
import { applyEdits, removeMemberEdit, type Edit } from '../claude/json/edit.js';
import { layoutOf, serverMemberOf } from '../claude/json/locate.js';
import type { Member } from '../claude/json/scanner.js';
import { allServers, HTTP_TYPES, readServer, type ServerInfo } from '../claude/config-servers.js';
import { isWrapped } from '../wrap/patch.js';
import type { ServerAddress } from '../claude/address.js';
import { withoutBom } from '../core/bom.js';
import { jsonNeedle } from '../core/value-in-text.js';

export type FindingKind = 'env' | 'header';

export interface Finding {
  ref: ServerAddress;
  kind: FindingKind;
  /** Variable or header name. */
  name: string;
  /** True: looks like a secret (by the rules of classify.ts and --include/--exclude). */
  secret: boolean;
  /** Why (rule name; never content). */
  why: string;
  /** The value as it is in the file. Memory only: never print, log or write this. */
  raw: string;
  /** Headers: the part that goes to the keyring and its template ("Bearer {value}"). */
  template?: string;
  value: string;
  /** The server is wrapped (stdio exec or our headersHelper). */
  serverWrapped: boolean;
  /** The server is http/sse. */
  http: boolean;
}

/** `server.NAME` as used by --include / --exclude. */
export function findingId(f: Pick<Finding, 'ref' | 'name'>): string {
  return `${f.ref.server}.${f.name}`;
}

export interface ScanOptions {
  /** Injection records: values we injected for live sessions are not plaintext of the user's. */
  injected?: readonly InjectionRecord[];
  include?: ReadonlySet<string>;
  exclude?: ReadonlySet<string>;
  /** Only these projects' local servers (default: all). */
  projects?: ReadonlySet<string>;
  /** Scan user scope (default true). */
  user?: boolean;
}

function serverFindings(ref: ServerAddress, info: ServerInfo, opts: ScanOptions): Finding[] {
  // Walked backwards (the last duplicate is the live one), reported in file order.
  const out: Finding[] = [];
  const wrapped = isWrapped(info);
  const http = info.type !== undefined && HTTP_TYPES.has(info.type);
  const decide = (f: Omit<Finding, 'secret' | 'why'>, verdict: { secret: boolean; why: string }): Finding => {
    const id = findingId(f);
    if (opts.exclude?.has(id)) return { ...f, secret: false, why: 'excluded (--exclude)' };
    if (opts.include?.has(id) && !verdict.secret && !f.raw.includes('${') && f.raw !== '') return { ...f, secret: true, why: 'included (--include)' };
    return { ...f, ...verdict };
  };
  const seen = new Set<string>();
  for (const v of [...(info.env?.vars ?? [])].reverse()) {
    // Every duplicate holding a string is a copy of a value on disk; report each name once (the live one).
    if (v.value === undefined || seen.has(v.name)) continue;
    seen.add(v.name);
    const base = { ref, kind: 'env' as const, name: v.name, raw: v.value, value: v.value, serverWrapped: wrapped, http };
    if (opts.injected && isOursIn(opts.injected, { server: ref.server, env: v.name, scope: ref.scope, ...(ref.project ? { project: ref.project } : {}) }, v.value)) {
      out.push({ ...base, secret: false, why: 'injected by keyring-inject for a running session' });
      continue;
    }
    out.push(decide(base, classifyEnv(v.name, v.value)));
  }
  if (http) {
    const seenH = new Set<string>();
    for (const h of [...(info.headers?.vars ?? [])].reverse()) {
      if (h.value === undefined || seenH.has(h.name.toLowerCase())) continue;
      seenH.add(h.name.toLowerCase());
      const { template, secret } = headerTemplate(h.value);
      out.push(decide({ ref, kind: 'header', name: h.name, raw: h.value, value: secret, template, serverWrapped: wrapped, http }, classifyHeader(h.name, h.value)));
    }
  }
  const env = out.filter((f) => f.kind === 'env').reverse();
  const hdr = out.filter((f) => f.kind === 'header').reverse();
  return [...env, ...hdr];
}

/** Every string in every server's env (and http headers) of a config text, classified. Throws on invalid JSON. */
export function scanPlaintext(text: string, opts: ScanOptions = {}): Finding[] {
  const layout = layoutOf(text, opts.projects ?? 'all');
  const out: Finding[] = [];
  for (const { ref, member } of allServers(layout)) {
    if (ref.scope === 'user' && opts.user === false) continue;
    const info = readServer(text, member);
    if (info) out.push(...serverFindings(ref, info, opts));
  }
  return out;
}

/** Findings of a project's `.mcp.json` text (reported only; we never edit that file). */
export function scanMcpJson(text: string, project: string): Finding[] {
  const layout = layoutOf(text, new Set());
  const out: Finding[] = [];
  for (const { ref, member } of allServers(layout)) {
    const info = readServer(text, member);
    if (info) out.push(...serverFindings({ server: ref.server, scope: 'local', project }, info, {}));
  }
  return out;
}

export interface StripItem {
  ref: ServerAddress;
  kind: FindingKind;
  name: string;
  /** Remove the member only while it still holds exactly this value. */
  raw: string;
}

/**
 * Remove each item's member (every duplicate holding that exact value) from `text`. The text is
 * scanned once; each server entry is then edited on its own (small) text and spliced back.
 * Returns the new text and the items that were found.
 */
export function stripPlaintextText(text: string, items: readonly StripItem[]): { text: string; stripped: StripItem[] } {
  const projects = new Set(items.flatMap((i) => (i.ref.scope === 'local' ? [i.ref.project as string] : [])));
  const layout = layoutOf(text, projects);
  const windows = new Map<Member, { text: string; items: StripItem[] }>();
  for (const item of items) {
    const member = serverMemberOf(layout, item.ref);
    if (!member) continue;
    let w = windows.get(member);
    if (!w) windows.set(member, (w = { text: text.slice(member.valueStart, member.valueEnd), items: [] }));
    w.items.push(item);
  }
  const hits = new Set<StripItem>();
  const edits: Edit[] = [];
  for (const [member, w] of windows) {
    let t = w.text;
    for (const item of w.items) {
      // One member at a time: offsets in the window shift.
      for (;;) {
        const info = readServer(t, { key: member.key, keyStart: 0, keyEnd: 0, valueStart: 0, valueEnd: t.length });
        const block = item.kind === 'env' ? info?.env : info?.headers;
        if (!block) break;
        const same = (n: string) => (item.kind === 'env' ? n === item.name : n.toLowerCase() === item.name.toLowerCase());
        const v = block.vars.find((x) => same(x.name) && x.value === item.raw);
        if (!v) break;
        t = applyEdits(t, [removeMemberEdit(t, block.obj, v.index)]);
        hits.add(item);
      }
    }
    if (t !== w.text) edits.push({ start: member.valueStart, end: member.valueEnd, text: t });
  }
  return { text: applyEdits(text, edits), stripped: items.filter((i) => hits.has(i)) };
}

/**
 * Last resort for copies (backups): replace any remaining JSON-escaped occurrence of a value.
 * Only kept when the text still parses as before (a copy that did not parse is fixed anyway).
 */
export function replaceRaw(text: string, values: readonly string[]): { text: string; count: number } {
  let out = text;
  let count = 0;
  for (const v of values) {
    const needle = jsonNeedle(v);
    if (needle === undefined) continue;
    const parts = out.split(needle);
    if (parts.length > 1) {
      count += parts.length - 1;
      out = parts.join(REMOVED_PLACEHOLDER);
    }
  }
  if (count === 0) return { text, count };
  const parsedBefore = parses(text);
  if (parsedBefore && !parses(out)) return { text, count: 0 };
  return { text: out, count };
}

function parses(t: string): boolean {
  try {
    JSON.parse(withoutBom(t));
    return true;
  } catch {
    return false;
  }
}
