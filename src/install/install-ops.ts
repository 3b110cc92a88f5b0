// "Install the runtime and the hooks": what `install` does, importable (the `setup` command
// calls it too). The runtime copy goes under our data dir (runtime.ts); every hook command
// names its stable launcher, never the clone or package it was installed from.
import type { ZeroDiskContext } from '../wrap/zero-disk-context.js';
import { existsSync, rmSync } from 'node:fs';
import { writeFileAtomicSync } from '../core/atomic-write.js';
import { readConfigText } from '../claude/config-file.js';
import { join } from 'node:path';
import { layoutOf } from '../claude/json/locate.js';
import type { ClaudePaths, Env } from '../core/paths.js';
import { chooseGuards, type GuardTransport } from './guard-choice.js';
import { repointWrapped } from '../wrap/wrap-server.js';
import { hookCommands } from './hook-command.js';

export { hookCommands } from './hook-command.js';
import { MCP_SERVER_NAME, mcpServerEntry, registerMcpServer } from './mcp-registration.js';
import { installRuntime, runtimePaths, type InstalledRuntime } from './runtime.js';
import { readSettingsText, settingsError, writeSettingsText } from './settings-file.js';
import { addHooks, HOOK_TIMEOUTS, type HookCommands, type HttpGuardHook } from './settings-hooks.js';
import { guardServiceFile, guardUrl, newToken, pickFreePort, portIsFree, readGuardServiceConfig, TOKEN_HEADER, type GuardServiceConfig } from '../guard-service/config.js';
import { pingGuardService } from '../guard-service/client.js';
import { writePrivateFile } from '../core/secure-file.js';
import { describeServer } from '../claude/address.js';

export interface InstallOptions {
  paths: ClaudePaths;
  /** Register the `keyring-inject mcp` server too (default true). */
  mcp?: boolean;
  /** dist/ of the package or clone to copy the runtime from (bundleDir() of the running CLI). */
  sourceDir: string;
  dryRun?: boolean;
  node?: string;
  /** How the three guards run: 'command' (a process per call) or 'http' (the guard service). Default: chooseGuards (http where the user's client is known to support it). */
  guards?: GuardTransport;
  /** The environment the default guards are chosen by (the user's PATH); default none: command guards. */
  env?: Env;
}

/** The three guards as http hooks to the guard service of this install record. */
export function httpGuards(config: GuardServiceConfig): Pick<HookCommands, 'userPromptSubmit' | 'preToolUse' | 'postToolUse'> {
  const hook = (event: string, timeout: number): HttpGuardHook => ({ type: 'http', url: guardUrl(config.port, event), headers: { [TOKEN_HEADER]: config.token }, timeout, onFailure: 'block' });
  return {
    userPromptSubmit: hook('user-prompt-submit', HOOK_TIMEOUTS.UserPromptSubmit),
    preToolUse: hook('pre-tool-use', HOOK_TIMEOUTS.PreToolUse),
    postToolUse: hook('post-tool-use', HOOK_TIMEOUTS.PostToolUse),
  };
}

/**
 * The install record of the guard service: the one there is (a re-install keeps port and token,
 * so running sessions keep working), but a new port when another program holds the recorded one.
 */
async function serviceConfigFor(paths: ClaudePaths): Promise<GuardServiceConfig> {
  const current = readGuardServiceConfig(paths);
  if (!current) return { port: await pickFreePort(), token: newToken() };
  if ((await portIsFree(current.port)) || (await pingGuardService(current))) return current;
  return { port: await pickFreePort(), token: current.token };
}

export interface InstallResult {
  settingsFile: string;
  /** settings.json changed (or would, with dryRun). */
  changed: boolean;
  commands: HookCommands;
  /** The runtime copy; undefined on a dry run. */
  runtime: InstalledRuntime | undefined;
  /** The stable path every hook names. */
  launcher: string;
  /** The MCP server entry (undefined with mcp: false) and whether ~/.claude.json changed for it. */
  mcpServer: { configFile: string; name: string; changed: boolean; command: string[] } | undefined;
}

/** Copy the runtime under the data dir, then add (or update) our hooks in settings.json. */
export async function installRuntimeAndHooks(opts: InstallOptions): Promise<InstallResult> {
  const file = opts.paths.settingsFile;
  const launcher = runtimePaths(opts.paths.dataDir).launcher;
  const cmds = hookCommands({ script: launcher, ...(opts.node !== undefined ? { node: opts.node } : {}) });
  const service = chooseGuards(opts.guards, opts.env ?? {}) === 'http' ? await serviceConfigFor(opts.paths) : undefined;
  const commands: HookCommands = service ? { ...cmds, ...httpGuards(service) } : cmds;
  const before = await readSettingsText(file);
  let result: { text: string; changed: boolean };
  try {
    result = addHooks(before ?? '', commands);
  } catch (err) {
    throw settingsError(file, err);
  }
  const entry = opts.mcp === false ? undefined : mcpServerEntry(opts.node ?? process.execPath, launcher);
  const mcp = (changed: boolean) => (entry ? { configFile: opts.paths.configFile, name: MCP_SERVER_NAME, changed, command: [entry.command, ...entry.args] } : undefined);
  if (opts.dryRun) {
    const mcpChanged = entry ? await registerMcpServer(opts.paths.configFile, entry, true) : false;
    return { settingsFile: file, changed: result.changed, commands, runtime: undefined, launcher, mcpServer: mcp(mcpChanged) };
  }
  const configBefore = await readConfigText(opts.paths.configFile).catch(() => undefined);
  // Runtime first: a hook written before its script exists would fail in a session starting meanwhile.
  const runtime = installRuntime(opts.paths.dataDir, opts.sourceDir);
  recordFirstInstall(opts.paths.dataDir, {
    createdSettings: before === undefined,
    createdConfig: configBefore === undefined,
    createdMcpServers: entry !== undefined && !hasMcpServers(configBefore),
  });
  // The service's record before the hooks that name it; gone with command guards, so that no session starts a service.
  if (service) await writePrivateFile(guardServiceFile(opts.paths), `${JSON.stringify(service)}\n`);
  else rmSync(guardServiceFile(opts.paths), { force: true });
  if (result.changed) await writeSettingsText(file, result.text);
  const mcpChanged = entry ? await registerMcpServer(opts.paths.configFile, entry) : false;
  return { settingsFile: file, changed: result.changed || runtime.changed, commands, runtime, launcher, mcpServer: mcp(mcpChanged) };
}

export interface FullInstallResult extends InstallResult {
  /** Wrapped servers now pointed at the runtime's launcher (described, e.g. "github (user)"). */
  rewrapped: string[];
}

/**
 * Everything `install` does: the runtime, the hooks, and every wrapped server re-pointed at the
 * runtime's launcher (so that no entry keeps naming the clone or package it was wrapped from).
 */
export async function installForUser(ctx: ZeroDiskContext, opts: Omit<InstallOptions, 'paths'>): Promise<FullInstallResult> {
  const r = await installRuntimeAndHooks({ env: ctx.env, ...opts, paths: ctx.paths });
  const rewrapped = opts.dryRun ? [] : (await repointWrapped(ctx)).map(describeServer);
  return { ...r, changed: r.changed || rewrapped.length > 0 || r.mcpServer?.changed === true, rewrapped };
}

/**
 * What the first install created, so that 'uninstall --all' can leave the files exactly as they
 * were: a settings.json or ~/.claude.json that did not exist, an "mcpServers" object that was
 * not there. Written once; a later install (which finds those files) keeps it.
 */
export interface InstallRecord {
  createdSettings: boolean;
  createdConfig: boolean;
  createdMcpServers: boolean;
}

export function installRecordFile(dataDir: string): string {
  return join(dataDir, 'install.json');
}

function recordFirstInstall(dataDir: string, record: InstallRecord): void {
  const file = installRecordFile(dataDir);
  if (!existsSync(file)) writeFileAtomicSync(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

function hasMcpServers(configText: string | undefined): boolean {
  if (configText === undefined) return false;
  try {
    return layoutOf(configText, new Set(), { user: false, projectsShape: false }).top.members.some((m) => m.key === 'mcpServers');
  } catch {
    return false; // not valid JSON, or not an object: registering the server will say so
  }
}
