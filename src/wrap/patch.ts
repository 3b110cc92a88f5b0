// Pure wrap / unwrap of one MCP server entry in a ~/.claude.json text. No disk, no keyring.
//
// stdio: `command` becomes the node binary and the original command token moves, byte for byte,
// into `args` right after our exec prefix (which is inserted before the first original element).
// unwrap puts that token back as `command` and removes the prefix: the original bytes return.
// http/sse: a `headersHelper` member of ours is added (unwrap removes it again).
// A server that only exists in the project's `.mcp.json` gets a wrapped local-scope copy in
// `projects[P].mcpServers` (marked `--mcp-json`); unwrap deletes that copy. `.mcp.json` itself
// is never written.
import {
  applyEdits,
  formatValue,
  insertMemberEdit,
  lineIndent,
  memberIndentOf,
  prependElementsEdit,
  removeArrayPrefixEdit,
  removeMemberEdit,
  styleOf,
  type Edit,
  type Style,
} from '../claude/json/edit.js';
import { layoutOf, serverMemberOf, serversObjectOf, type ConfigLayout } from '../claude/json/locate.js';
import { JsonScanner, readArray, shadowsEarlier, type Member } from '../claude/json/scanner.js';
import { HTTP_TYPES, allServers, readServer, type ServerInfo } from '../claude/config-servers.js';
import { execPrefix, headersHelperCommand, parseHeadersHelper, parseWrappedArgs, type SelfPaths } from './format.js';
import { isRecord } from '../core/is-record.js';
import type { ServerAddress } from '../claude/address.js';

/** What a wrapped entry wraps: the original command of a stdio server, the URL of an http one. */
export type WrapTarget = { kind: 'stdio'; command: string[] } | { kind: 'http'; url: string };

export type WrapOutcome =
  /** Changed: stdio entry wrapped, headersHelper set, or a local copy of a .mcp.json server made. */
  | { kind: 'wrapped'; how: 'stdio' | 'http' | 'mcp-json-stdio' | 'mcp-json-http' }
  /** Was wrapped with other paths/options: re-written. */
  | { kind: 'rewrapped'; how: 'stdio' | 'http' }
  | { kind: 'unchanged'; http: boolean }
  | { kind: 'missing' }
  /** Cannot be wrapped; `reason` names only types and member names, never content. */
  | { kind: 'unsupported'; reason: string };

export type UnwrapOutcome = { kind: 'unwrapped'; how: 'stdio' | 'http' | 'mcp-json' } | { kind: 'not-wrapped' } | { kind: 'missing' };

function layoutFor(text: string, ref: ServerAddress): ConfigLayout {
  return layoutOf(text, ref.scope === 'local' ? new Set([ref.project as string]) : new Set());
}

function wantsLocalProject(ref: ServerAddress): void {
  if (ref.scope === 'local' && typeof ref.project !== 'string') throw new TypeError('a local-scope server needs a project path');
}

/** A fresh array text holding `items` (JSON texts), laid out like the surrounding object. */
function arrayText(items: readonly string[], style: Style, indent: string): string {
  if (!style.pretty) return `[${items.join(',')}]`;
  const inner = style.eol + indent + style.unit;
  return `[${items.map((i) => inner + i).join(',')}${style.eol}${indent}]`;
}

/**
 * A wrap's edit: the new text, its outcome, and what the server's wrapped entry wraps in the new
 * text (when it is wrapped: wrapped, rewrapped or unchanged; absent for an http server without a
 * URL), which is what `wrap` records for exec and headers (record.ts).
 */
export interface WrapEdit {
  text: string;
  outcome: WrapOutcome;
  target?: WrapTarget;
}

/** `target` as an optional member. */
function withTarget(target: WrapTarget | undefined): { target?: WrapTarget } {
  return target ? { target } : {};
}

/**
 * What a wrapped stdio entry wraps, read as wrappedTargetIn reads it: our headersHelper with a URL
 * says http (a stdio edit leaves both as they are), else the original command.
 */
function stdioTarget(info: ServerInfo, command: string[]): WrapTarget {
  return info.headersHelper?.value !== undefined && parseHeadersHelper(info.headersHelper.value) && info.url !== undefined ? { kind: 'http', url: info.url } : { kind: 'stdio', command };
}

function stdioUnsupported(info: ServerInfo): string | undefined {
  if (info.command === undefined) return 'the entry has no command';
  if (info.command.value === undefined) return 'command is not a string';
  if (info.args && info.args.values === undefined) return 'args is not an array of strings';
  return undefined;
}

/**
 * Wrap server `ref` in `text`. `mcpJsonEntry`: the server's entry from the project's
 * `.mcp.json` (parsed), used only when `ref` is local scope and the server is not in
 * ~/.claude.json itself.
 */
export function wrapInText(text: string, ref: ServerAddress, self: SelfPaths, mcpJsonEntry?: unknown): { text: string; outcome: WrapOutcome } {
  const { text: out, outcome } = wrapEditOf(text, ref, self, mcpJsonEntry);
  return { text: out, outcome };
}

/** wrapInText, with what the wrapped entry now wraps (WrapEdit's `target`). */
export function wrapEditOf(text: string, ref: ServerAddress, self: SelfPaths, mcpJsonEntry?: unknown): WrapEdit {
  wantsLocalProject(ref);
  const layout = layoutFor(text, ref);
  const member = serverMemberOf(layout, ref);
  if (member === undefined) {
    if (ref.scope === 'local' && mcpJsonEntry !== undefined) return wrapMcpJsonCopy(layout, ref, self, mcpJsonEntry);
    return { text, outcome: { kind: 'missing' } };
  }
  const info = readServer(text, member);
  if (info === undefined) return { text, outcome: { kind: 'unsupported', reason: 'the server entry is not an object' } };
  if (ref.scope === 'local' && isMcpJsonCopy(info)) {
    // A copy we made of a .mcp.json server: refresh it by making the copy again.
    const un = unwrapInText(text, ref);
    const again = wrapEditOf(un.text, ref, self, mcpJsonEntry ?? copyFromWrapped(text, member, info));
    const target = withTarget(again.outcome.kind === 'wrapped' ? again.target : undefined);
    if (again.text === text) return { text, outcome: { kind: 'unchanged', http: info.type !== undefined && HTTP_TYPES.has(info.type) }, ...target };
    return again.outcome.kind === 'wrapped'
      ? { text: again.text, outcome: { kind: 'rewrapped', how: again.outcome.how === 'mcp-json-http' ? 'http' : 'stdio' }, ...target }
      : { text: again.text, outcome: again.outcome };
  }
  if (info.type !== undefined && HTTP_TYPES.has(info.type)) return wrapHttp(text, ref, self, info);
  if (info.type !== 'stdio') return { text, outcome: { kind: 'unsupported', reason: info.type === undefined ? 'type is not a string' : `servers of type "${safeType(info.type)}" cannot be wrapped` } };
  const bad = stdioUnsupported(info);
  if (bad) return { text, outcome: { kind: 'unsupported', reason: bad } };

  const current = parseWrappedArgs(info.command?.value as string, info.args?.values ?? []);
  if (current) {
    const want = execPrefix(self.cli, ref, { noArgsKey: current.noArgsKey, mcpJson: false });
    const have = (info.args?.values ?? []).slice(0, current.commandIndex);
    const target = stdioTarget(info, (info.args?.values ?? []).slice(current.commandIndex));
    if (info.command?.value === self.node && want.length === have.length && want.every((a, i) => a === have[i])) return { text, outcome: { kind: 'unchanged', http: false }, target };
    const un = unwrapInText(text, ref);
    const again = wrapEditOf(un.text, ref, self);
    if (again.text === text) return { text, outcome: { kind: 'unchanged', http: false }, target };
    return again.outcome.kind === 'wrapped' ? { text: again.text, outcome: { kind: 'rewrapped', how: 'stdio' }, ...withTarget(again.target) } : { text: again.text, outcome: again.outcome };
  }
  const target = stdioTarget(info, [info.command?.value as string, ...(info.args?.values ?? [])]);
  return { text: applyEdits(text, stdioWrapEdits(text, ref, self, info, false)), outcome: { kind: 'wrapped', how: 'stdio' }, target };
}

export function isMcpJsonCopy(info: ServerInfo): boolean {
  if (info.headersHelper?.value !== undefined && parseHeadersHelper(info.headersHelper.value)?.mcpJson) return true;
  if (info.command?.value === undefined || info.args?.values === undefined) return false;
  return parseWrappedArgs(info.command.value, info.args.values)?.mcpJson === true;
}

function safeType(t: string): string {
  return /^[a-z-]{1,16}$/.test(t) ? t : '…';
}

function stdioWrapEdits(text: string, ref: ServerAddress, self: SelfPaths, info: ServerInfo, mcpJson: boolean): Edit[] {
  const cmd = info.command?.member as Member;
  const style = styleOf(text, info.obj);
  const prefix = execPrefix(self.cli, ref, { noArgsKey: info.args === undefined, mcpJson }).map((a) => JSON.stringify(a));
  const items = [...prefix, text.slice(cmd.valueStart, cmd.valueEnd)];
  const edits: Edit[] = [{ start: cmd.valueStart, end: cmd.valueEnd, text: JSON.stringify(self.node) }];
  if (info.args) {
    const s = new JsonScanner(text);
    const arr = readArray(s, info.args.member.valueStart);
    edits.push(prependElementsEdit(text, arr, items, style, lineIndent(text, info.args.member.valueStart)));
  } else {
    edits.push(insertMemberEdit(text, info.obj, 'args', arrayText(items, style, memberIndentOf(text, info.obj, style)), style));
  }
  return edits;
}

function wrapHttp(text: string, ref: ServerAddress, self: SelfPaths, info: ServerInfo): WrapEdit {
  const helper = headersHelperCommand(self.node, self.cli, ref);
  const style = styleOf(text, info.obj);
  const target = withTarget(info.url !== undefined ? { kind: 'http', url: info.url } : undefined);
  if (info.headersHelper) {
    const cur = info.headersHelper.value;
    const ours = cur === undefined ? undefined : parseHeadersHelper(cur);
    if (!ours) return { text, outcome: { kind: 'unsupported', reason: 'the server already has a headersHelper of its own (remove it first, or keep it and do not wrap)' } };
    if (cur === helper) return { text, outcome: { kind: 'unchanged', http: true }, ...target };
    const m = info.headersHelper.member;
    return { text: applyEdits(text, [{ start: m.valueStart, end: m.valueEnd, text: JSON.stringify(helper) }]), outcome: { kind: 'rewrapped', how: 'http' }, ...target };
  }
  return { text: applyEdits(text, [insertMemberEdit(text, info.obj, 'headersHelper', JSON.stringify(helper), style)]), outcome: { kind: 'wrapped', how: 'http' }, ...target };
}

/** Rebuild the original .mcp.json entry from a wrapped copy of it (when .mcp.json is gone). */
export function copyFromWrapped(text: string, member: Member, info: ServerInfo): unknown {
  const entry = JSON.parse(text.slice(member.valueStart, member.valueEnd)) as Record<string, unknown>;
  if (info.headersHelper !== undefined) {
    delete entry.headersHelper;
    return entry;
  }
  const args = info.args?.values ?? [];
  const parsed = parseWrappedArgs(info.command?.value ?? '', args);
  if (!parsed) return entry;
  entry.command = args[parsed.commandIndex];
  entry.args = args.slice(parsed.commandIndex + 1);
  return entry;
}

function wrapMcpJsonCopy(layout: ConfigLayout, ref: ServerAddress, self: SelfPaths, entry: unknown): WrapEdit {
  const text = layout.text;
  const project = layout.projects.get(ref.project as string);
  if (!isRecord(entry)) return { text, outcome: { kind: 'unsupported', reason: 'the .mcp.json entry is not an object' } };
  const type = entry.type === undefined ? 'stdio' : entry.type;
  let copy: Record<string, unknown>;
  let how: 'mcp-json-stdio' | 'mcp-json-http';
  let target: WrapTarget | undefined;
  if (typeof type === 'string' && HTTP_TYPES.has(type)) {
    if (entry.headersHelper !== undefined) return { text, outcome: { kind: 'unsupported', reason: 'the .mcp.json server already has a headersHelper of its own' } };
    copy = { ...entry, headersHelper: headersHelperCommand(self.node, self.cli, ref, true) };
    how = 'mcp-json-http';
    if (typeof entry.url === 'string') target = { kind: 'http', url: entry.url };
  } else if (type === 'stdio') {
    const args = entry.args ?? [];
    if (typeof entry.command !== 'string') return { text, outcome: { kind: 'unsupported', reason: 'the .mcp.json entry has no command' } };
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) return { text, outcome: { kind: 'unsupported', reason: 'args of the .mcp.json entry is not an array of strings' } };
    copy = { ...entry, command: self.node, args: [...execPrefix(self.cli, ref, { noArgsKey: false, mcpJson: true }), entry.command, ...(args as string[])] };
    how = 'mcp-json-stdio';
    const ourHelper = typeof entry.headersHelper === 'string' && parseHeadersHelper(entry.headersHelper) !== undefined;
    target = ourHelper && typeof entry.url === 'string' ? { kind: 'http', url: entry.url } : { kind: 'stdio', command: [entry.command, ...(args as string[])] };
  } else {
    return { text, outcome: { kind: 'unsupported', reason: 'servers of this type cannot be wrapped' } };
  }
  let edit: Edit;
  if (!project) {
    // A fresh clone Claude Code has not seen yet: the project's entry is created holding only the
    // copy (Claude Code fills in the rest, and still asks whether to trust the folder).
    const holder = layout.projectsObj;
    if (holder?.members.some((m) => m.key === ref.project)) return { text, outcome: { kind: 'unsupported', reason: `the entry of project ${ref.project} in ~/.claude.json is not an object` } };
    if (holder) {
      const style = styleOf(text, holder, styleOf(text, layout.top));
      edit = insertMemberEdit(text, holder, ref.project as string, formatValue({ mcpServers: { [ref.server]: copy } }, style, memberIndentOf(text, holder, style)), style);
    } else {
      const style = styleOf(text, layout.top);
      edit = insertMemberEdit(text, layout.top, 'projects', formatValue({ [ref.project as string]: { mcpServers: { [ref.server]: copy } } }, style, memberIndentOf(text, layout.top, style)), style);
    }
  } else if (project.servers) {
    const style = styleOf(text, project.servers, styleOf(text, project.entry));
    edit = insertMemberEdit(text, project.servers, ref.server, formatValue(copy, style, memberIndentOf(text, project.servers, style)), style);
  } else {
    const style = styleOf(text, project.entry);
    edit = insertMemberEdit(text, project.entry, 'mcpServers', formatValue({ [ref.server]: copy }, style, memberIndentOf(text, project.entry, style)), style);
  }
  return { text: applyEdits(text, [edit]), outcome: { kind: 'wrapped', how }, ...withTarget(target) };
}

/** Undo wrapInText for server `ref`. */
export function unwrapInText(text: string, ref: ServerAddress): { text: string; outcome: UnwrapOutcome } {
  wantsLocalProject(ref);
  const layout = layoutFor(text, ref);
  const member = serverMemberOf(layout, ref);
  if (member === undefined) return { text, outcome: { kind: 'missing' } };
  const info = readServer(text, member);
  if (info === undefined) return { text, outcome: { kind: 'not-wrapped' } };
  const servers = serversObjectOf(layout, ref);
  const removeCopy = () => {
    if (!servers) throw new Error('internal: no servers object');
    return { text: applyEdits(text, [removeMemberEdit(text, servers, servers.members.indexOf(member))]), outcome: { kind: 'unwrapped', how: 'mcp-json' } as UnwrapOutcome };
  };

  if (info.headersHelper?.value !== undefined) {
    const ours = parseHeadersHelper(info.headersHelper.value);
    if (ours) {
      if (ours.mcpJson && ref.scope === 'local') return removeCopy();
      return { text: applyEdits(text, [removeMemberEdit(text, info.obj, info.obj.members.indexOf(info.headersHelper.member))]), outcome: { kind: 'unwrapped', how: 'http' } };
    }
  }
  const cmd = info.command;
  const args = info.args;
  if (cmd?.value === undefined || args?.values === undefined) return { text, outcome: { kind: 'not-wrapped' } };
  const parsed = parseWrappedArgs(cmd.value, args.values);
  if (!parsed) return { text, outcome: { kind: 'not-wrapped' } };
  if (parsed.mcpJson && ref.scope === 'local') return removeCopy();

  const s = new JsonScanner(text);
  const arr = readArray(s, args.member.valueStart);
  const original = arr.elements[parsed.commandIndex];
  if (original === undefined) return { text, outcome: { kind: 'not-wrapped' } };
  const edits: Edit[] = [{ start: cmd.member.valueStart, end: cmd.member.valueEnd, text: text.slice(original.start, original.end) }];
  const rest = arr.elements.length - (parsed.commandIndex + 1);
  const argsAt = info.obj.members.indexOf(args.member);
  // The `args` we added goes again, unless it hides an earlier one (that would become the args).
  if (rest === 0 && parsed.noArgsKey && !shadowsEarlier(info.obj.members, argsAt)) edits.push(removeMemberEdit(text, info.obj, argsAt));
  else edits.push(removeArrayPrefixEdit(text, arr, parsed.commandIndex + 1));
  return { text: applyEdits(text, edits), outcome: { kind: 'unwrapped', how: 'stdio' } };
}

/** Is server `ref` wrapped in `text` (stdio exec or our headersHelper)? undefined when absent. */
export function wrapStateIn(text: string, ref: ServerAddress): 'wrapped' | 'not-wrapped' | undefined {
  const layout = layoutFor(text, ref);
  const member = serverMemberOf(layout, ref);
  if (member === undefined) return undefined;
  const info = readServer(text, member);
  return info && isWrapped(info) ? 'wrapped' : 'not-wrapped';
}

/** Every wrapped server in `text` (user and local scope), with the cli path its wrapper names. */
export function wrappedServersIn(text: string): Array<{ ref: ServerAddress; cli: string }> {
  const out: Array<{ ref: ServerAddress; cli: string }> = [];
  for (const { ref, member } of allServers(layoutOf(text, 'all'))) {
    const info = readServer(text, member);
    if (!info) continue;
    const helper = info.headersHelper?.value !== undefined ? parseHeadersHelper(info.headersHelper.value) : undefined;
    const exec = info.command?.value !== undefined && info.args?.values !== undefined ? parseWrappedArgs(info.command.value, info.args.values) : undefined;
    const cli = helper?.cli ?? exec?.cli;
    if (cli !== undefined) out.push({ ref, cli });
  }
  return out;
}

export function isWrapped(info: ServerInfo): boolean {
  if (info.headersHelper?.value !== undefined && parseHeadersHelper(info.headersHelper.value)) return true;
  return info.command?.value !== undefined && info.args?.values !== undefined && parseWrappedArgs(info.command.value, info.args.values) !== undefined;
}

/** What a wrapped entry in `text` wraps: the original command of a stdio server, the URL of an http one. */
export function wrappedTargetIn(text: string, ref: ServerAddress): WrapTarget | undefined {
  const member = serverMemberOf(layoutFor(text, ref), ref);
  const info = member === undefined ? undefined : readServer(text, member);
  if (!info) return undefined;
  if (info.headersHelper?.value !== undefined && parseHeadersHelper(info.headersHelper.value) && info.url !== undefined) return { kind: 'http', url: info.url };
  const args = info.args?.values;
  const parsed = info.command?.value !== undefined && args !== undefined ? parseWrappedArgs(info.command.value, args) : undefined;
  return parsed && args ? { kind: 'stdio', command: args.slice(parsed.commandIndex) } : undefined;
}
