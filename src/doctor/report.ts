// Read-only health report for `doctor`: which mode each MCP server is in, and whether any
// plaintext secret remains in the config, its copies or a project's .mcp.json. Names only.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { projectKeyFor } from '../claude/project-key.js';
import { readConfigText } from '../claude/config-file.js';
import { appearsInJson } from '../core/value-in-text.js';
import { configCopies, orphanTempFiles, stripText } from '../engine/config-copies.js';
import { readStateForReport, sessionAlive } from '../engine/state.js';
import type { SecretBackend } from '../keyring/backend.js';
import { targetMode, type Registry } from '../registry/registry.js';
import type { ClaudePaths } from '../core/paths.js';
import { layoutOf } from '../claude/json/locate.js';
import { allServers, configError, HTTP_TYPES, readServer, type ServerInfo } from '../claude/config-servers.js';
import { scanMcpJson, scanPlaintext, type Finding } from '../import/plaintext.js';
import { envTargetsFor, headerTargetsFor } from '../wrap/values.js';
import { parseHeadersHelper, parseWrappedArgs, shellWords } from '../wrap/format.js';
import { mcpJsonFiles } from '../claude/mcp-json.js';
import { copyFromWrapped, isMcpJsonCopy } from '../wrap/patch.js';
import { describeEnv, sameServer, serverAddressJson, type ServerAddress, type ServerAddressJson } from '../claude/address.js';

export type ServerMode = 'wrapped' | 'inject' | 'plaintext' | 'none';

export interface ServerHealth extends ServerAddressJson {
  /** Where the entry is: ~/.claude.json, or a project's .mcp.json (never edited by us). */
  source: 'config' | 'mcp.json';
  type: string;
  mode: ServerMode;
  /** Keys (names) mapped to this server. */
  keys: string[];
  /** Plaintext secrets (variable / header names) in the entry. */
  plaintext: string[];
  problems: string[];
}

export interface CopyHealth {
  file: string;
  /** Plaintext secrets found ("server env NAME"). */
  plaintext: string[];
  /** Values injected by keyring-inject that the scrubber has not removed yet. */
  injected: string[];
}

export interface DoctorReport {
  configFile: string;
  servers: ServerHealth[];
  copies: CopyHealth[];
  tempFiles: string[];
  /** Registry targets whose server is configured nowhere. */
  orphanTargets: string[];
  /** With --values: where stored values were found verbatim (key names and files only). */
  values: { checked: boolean; found: { key: string; file: string }[] };
  liveSessions: number;
  ok: boolean;
}

/** JSON with sorted keys, to compare entries whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function label(f: Finding): string {
  return `${f.kind === 'env' ? 'env' : 'header'} ${f.name}`;
}

function wrapperProblems(info: ServerInfo): string[] {
  const problems: string[] = [];
  const check = (node: string | undefined, cli: string | undefined) => {
    if (node?.startsWith('/') && !existsSync(node)) problems.push(`the wrapper's node binary ${node} no longer exists: run 'keyring-inject wrap' again`);
    if (cli && !existsSync(cli)) problems.push(`the wrapper's ${cli} no longer exists: run 'keyring-inject wrap' again`);
  };
  if (info.command?.value !== undefined && info.args?.values !== undefined) {
    const w = parseWrappedArgs(info.command.value, info.args.values);
    if (w) check(w.cli === info.command.value ? undefined : info.command.value, w.cli);
  }
  if (info.headersHelper?.value !== undefined && parseHeadersHelper(info.headersHelper.value)) {
    const words = shellWords(info.headersHelper.value) ?? [];
    check(words[0], parseHeadersHelper(info.headersHelper.value)?.cli);
  }
  return problems;
}

function health(ref: ServerAddress, info: ServerInfo, reg: Registry, findings: Finding[], source: ServerHealth['source']): ServerHealth {
  const http = info.type !== undefined && HTTP_TYPES.has(info.type);
  const envT = envTargetsFor(reg, ref);
  const hdrT = headerTargetsFor(reg, ref);
  const wrapped =
    (info.headersHelper?.value !== undefined && parseHeadersHelper(info.headersHelper.value) !== undefined) ||
    (info.command?.value !== undefined && info.args?.values !== undefined && parseWrappedArgs(info.command.value, info.args.values) !== undefined);
  const plaintext = findings.filter((f) => f.secret).map(label);
  const problems: string[] = [];
  if (wrapped) {
    problems.push(...wrapperProblems(info));
    if (http ? hdrT.length === 0 : envT.length === 0) problems.push(`wrapped, but no ${http ? 'header' : 'key'} is mapped to it`);
    const injectMode = envT.filter((t) => targetMode(t.target) === 'inject');
    if (injectMode.length > 0)
      problems.push(
        `${injectMode.map((t) => t.target.env).join(', ')} still in inject mode (written into the config during sessions): run 'keyring-inject wrap ${ref.server}${ref.scope === 'local' ? ' --scope local' : ''}' again`,
      );
  } else {
    const wrapMode = envT.filter((t) => targetMode(t.target) === 'wrap');
    if (wrapMode.length > 0)
      problems.push(
        `keys in wrap mode (${wrapMode.map((t) => t.key).join(', ')}) but the server is not wrapped, so it gets no key: run 'keyring-inject wrap ${ref.server}${ref.scope === 'local' ? ' --scope local' : ''}'`,
      );
    if (hdrT.length > 0)
      problems.push(
        `headers mapped (${hdrT.map((t) => t.target.header).join(', ')}) but no headersHelper of ours: run 'keyring-inject wrap ${ref.server}${ref.scope === 'local' ? ' --scope local' : ''}'`,
      );
  }
  if (plaintext.length > 0)
    problems.push(
      source === 'mcp.json'
        ? `plaintext in .mcp.json (${plaintext.join(', ')}): keyring-inject never edits that file; replace each value with \${VAR} by hand and rotate the key if the file was committed`
        : `plaintext secret(s) in the config (${plaintext.join(', ')}): run 'keyring-inject setup'`,
    );
  const mode: ServerMode = wrapped ? 'wrapped' : plaintext.length > 0 ? 'plaintext' : envT.length > 0 ? 'inject' : 'none';
  return {
    ...serverAddressJson(ref),
    source,
    type: info.type ?? 'unknown',
    mode,
    keys: [...new Set([...envT, ...hdrT].map((t) => t.key))].sort(),
    plaintext,
    problems,
  };
}

export async function doctorReport(paths: ClaudePaths, reg: Registry, cwd: string, backend?: SecretBackend): Promise<DoctorReport> {
  const state = await readStateForReport(paths);
  const liveSessions = state.sessions.filter(sessionAlive).length;
  const text = await readConfigText(paths.configFile);
  const servers: ServerHealth[] = [];
  const problems: string[] = [];
  const configured: ServerAddress[] = [];
  /** Local copies wrap made of .mcp.json servers: the original entry they were made from. */
  const copies0 = new Map<string, unknown>();
  if (text !== undefined) {
    try {
      const layout = layoutOf(text, 'all');
      const findings = scanPlaintext(text, { injected: state.injected });
      for (const { ref, member } of allServers(layout)) {
        const info = readServer(text, member);
        if (!info) continue;
        configured.push(ref);
        servers.push(
          health(
            ref,
            info,
            reg,
            findings.filter((f) => sameServer(f.ref, ref)),
            'config',
          ),
        );
        if (ref.scope === 'local' && isMcpJsonCopy(info)) copies0.set(`${ref.project}\u0000${ref.server}`, copyFromWrapped(text, member, info));
      }
    } catch (err) {
      problems.push(configError(paths.configFile, err)?.message ?? 'the config cannot be read');
    }
  }
  // The current project's .mcp.json: reported, never edited.
  const project = projectKeyFor(cwd);
  for (const file of await mcpJsonFiles(cwd, project)) {
    const t = await readFile(file, 'utf8').catch(() => undefined);
    if (t === undefined) continue;
    try {
      const layout = layoutOf(t, new Set());
      const findings = scanMcpJson(t, project);
      for (const { ref, member } of allServers(layout)) {
        const local: ServerAddress = { server: ref.server, scope: 'local', project };
        const info = readServer(t, member);
        const copy = copies0.get(`${project}\u0000${ref.server}`);
        if (copy !== undefined && canonical(copy) !== canonical(JSON.parse(t.slice(member.valueStart, member.valueEnd)))) {
          servers
            .find((s) => s.scope === 'local' && s.project === project && s.server === ref.server)
            ?.problems.push(`the wrapped local copy differs from ${file} (edited since?): run 'keyring-inject wrap ${ref.server} --scope local' again`);
        }
        if (!info || configured.some((c) => sameServer(c, local))) continue; // a local copy (e.g. ours) takes precedence
        configured.push(local);
        servers.push(
          health(
            local,
            info,
            reg,
            findings.filter((f) => f.ref.server === ref.server),
            'mcp.json',
          ),
        );
      }
    } catch {
      problems.push(`${file} is not valid JSON`);
    }
  }

  const copies: CopyHealth[] = [];
  for (const file of await configCopies(paths)) {
    const t = await readFile(file, 'utf8').catch(() => undefined);
    if (t === undefined) continue;
    let plaintext: string[] = [];
    try {
      plaintext = scanPlaintext(t, { injected: state.injected })
        .filter((f) => f.secret)
        .map((f) => `${f.ref.server}${f.ref.scope === 'local' ? ` (local: ${f.ref.project})` : ''} ${label(f)}`);
    } catch {
      plaintext = [];
    }
    const injected = stripText(t, state.injected, [])?.found ?? [];
    if (plaintext.length > 0 || injected.length > 0) copies.push({ file, plaintext, injected });
  }

  const orphanTargets: string[] = [];
  for (const [key, rec] of Object.entries(reg.keys)) {
    for (const t of rec.targets) if (!configured.some((c) => sameServer(c, t))) orphanTargets.push(`${key} -> ${describeEnv(t)}`);
  }

  const values: DoctorReport['values'] = { checked: false, found: [] };
  if (backend) {
    const names = Object.keys(reg.keys);
    const got = names.length > 0 ? await backend.getMany(names) : new Map<string, string>();
    values.checked = true;
    const files = [...(text !== undefined ? [paths.configFile] : []), ...(await configCopies(paths)), ...(await orphanTempFiles(paths))];
    for (const file of files) {
      const t = file === paths.configFile ? (text as string) : await readFile(file, 'utf8').catch(() => undefined);
      if (t === undefined) continue;
      for (const [key, value] of got) {
        if (!appearsInJson(t, value)) continue;
        // While a session runs, inject-mode values are in the config on purpose.
        const injectedNow = file === paths.configFile && liveSessions > 0 && state.injected.some((r) => r.key === key);
        if (!injectedNow) values.found.push({ key, file });
      }
    }
  }
  const tempFiles = await orphanTempFiles(paths);
  const ok = problems.length === 0 && servers.every((s) => s.problems.length === 0) && copies.length === 0 && values.found.length === 0 && tempFiles.length === 0;
  if (problems.length > 0)
    servers.push(
      ...problems.map((p) => ({
        server: '(config)',
        scope: 'user' as const,
        project: null,
        source: 'config' as const,
        type: 'unknown',
        mode: 'none' as const,
        keys: [],
        plaintext: [],
        problems: [p],
      })),
    );
  return { configFile: paths.configFile, servers, copies, tempFiles, orphanTargets, values, liveSessions, ok };
}
