// What the MCP server entries of a ~/.claude.json say, decoded, with byte offsets (for zero-disk
// mode). Where they are comes from the one locator, src/claude/json/locate.ts.
import { KiError } from '../core/errors.js';
import { ConfigParseError, ConfigShapeError, JsonScanner, isArrayAt, lastMember, readArray, stringAt, type Member, type ObjectInfo } from './json/scanner.js';
import type { ConfigLayout } from './json/locate.js';
import type { ServerAddress } from './address.js';

/** Every server entry in the layout: user scope first, then each laid-out project. */
export function allServers(layout: ConfigLayout): { ref: ServerAddress; member: Member }[] {
  const out: { ref: ServerAddress; member: Member }[] = [];
  const add = (servers: ObjectInfo | undefined, base: Omit<ServerAddress, 'server'>) => {
    if (!servers) return;
    const seen = new Set<string>();
    // Last duplicate wins: walk backwards, keep the first seen.
    for (let k = servers.members.length - 1; k >= 0; k--) {
      const m = servers.members[k] as Member;
      if (seen.has(m.key)) continue;
      seen.add(m.key);
      out.push({ ref: { ...base, server: m.key }, member: m });
    }
  };
  add(layout.userServers, { scope: 'user' });
  for (const [project, p] of layout.projects) add(p.servers, { scope: 'local', project });
  return out.sort((a, b) => (a.ref.scope === b.ref.scope ? (a.ref.project ?? '').localeCompare(b.ref.project ?? '') || a.ref.server.localeCompare(b.ref.server) : a.ref.scope === 'user' ? -1 : 1));
}

export interface StringMember {
  /** Decoded key. */
  name: string;
  /** Decoded value; undefined when the value is not a string. */
  value: string | undefined;
  /** Index in its object's members. */
  index: number;
  member: Member;
}

/** What one server entry says, decoded. Offsets are in the full text. */
export interface ServerInfo {
  obj: ObjectInfo;
  /** `type`, or 'stdio' when absent; undefined when it is not a string. */
  type: string | undefined;
  command?: { member: Member; value: string | undefined };
  /** `args`: decoded strings (undefined when it is not an array of strings). */
  args?: { member: Member; values: string[] | undefined };
  /** `env` members (only when `env` is an object). */
  env?: { member: Member; obj: ObjectInfo; vars: StringMember[] };
  headers?: { member: Member; obj: ObjectInfo; vars: StringMember[] };
  headersHelper?: { member: Member; value: string | undefined };
  url?: string;
}

function stringMembers(s: JsonScanner, obj: ObjectInfo): StringMember[] {
  return obj.members.map((m, index) => ({ name: m.key, value: stringAt(s, m.valueStart, m.valueEnd), index, member: m }));
}

/** Decode a server entry at `member` (undefined when the entry is not an object). */
export function readServer(text: string, member: Member): ServerInfo | undefined {
  const s = new JsonScanner(text);
  if (!s.isObjectAt(member.valueStart)) return undefined;
  const obj = s.readObject(member.valueStart);
  const m = (k: string) => lastMember(obj.members, k);
  const typeM = m('type');
  const info: ServerInfo = { obj, type: typeM === undefined ? 'stdio' : stringAt(s, typeM.valueStart, typeM.valueEnd) };
  const cmd = m('command');
  if (cmd) info.command = { member: cmd, value: stringAt(s, cmd.valueStart, cmd.valueEnd) };
  const args = m('args');
  if (args) {
    let values: string[] | undefined;
    if (isArrayAt(s, args.valueStart)) {
      const arr = readArray(s, args.valueStart);
      const decoded = arr.elements.map((e) => stringAt(s, e.start, e.end));
      values = decoded.every((v): v is string => v !== undefined) ? decoded : undefined;
    }
    info.args = { member: args, values };
  }
  const env = m('env');
  if (env && s.isObjectAt(env.valueStart)) {
    const eo = s.readObject(env.valueStart);
    info.env = { member: env, obj: eo, vars: stringMembers(s, eo) };
  }
  const headers = m('headers');
  if (headers && s.isObjectAt(headers.valueStart)) {
    const ho = s.readObject(headers.valueStart);
    info.headers = { member: headers, obj: ho, vars: stringMembers(s, ho) };
  }
  const helper = m('headersHelper');
  if (helper) info.headersHelper = { member: helper, value: stringAt(s, helper.valueStart, helper.valueEnd) };
  const url = m('url');
  if (url) {
    const u = stringAt(s, url.valueStart, url.valueEnd);
    if (u !== undefined) info.url = u;
  }
  return info;
}

export const HTTP_TYPES = new Set(['http', 'sse']);

/**
 * The error for a parse or shape failure of `file`: one line that names the file and the fix
 * (never file content), with the same code and the scanner's error as its cause. Undefined for
 * any other error.
 */
export function configError(file: string, err: unknown): KiError | undefined {
  if (err instanceof ConfigParseError) return new KiError(err.code, `${file} is ${err.message}: fix it (Claude Code keeps copies in its backups directory) and try again`, { cause: err });
  if (err instanceof ConfigShapeError) return new KiError(err.code, `${file}: ${err.message}: fix it by hand and try again`, { cause: err });
  return undefined;
}
