// Starting a command (run's COMMAND, a wrapped MCP server) whose keys may include placeholder
// keys: those variables get placeholders and the command a proxy of its own (src/proxy/), which
// lives in this process and ends with it. Without placeholder keys: the plain relay.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeSourceDir } from '../install/runtime.js';
import { audit } from '../core/audit-trail.js';
import { interceptionFor, startPlaceholderRun } from '../proxy/run-proxy.js';
import type { Substitution } from '../proxy/proxy-server.js';
import type { Registry } from '../registry/registry.js';
import { relaySignals, spawnRelay } from '../wrap/spawn-relay.js';
import type { OpsContext } from './ops-context.js';

export interface PlaceholderSpawn {
  command: string;
  args: readonly string[];
  /** Variable -> value, as the command would get them without placeholders. */
  values: Record<string, string>;
  /** Variable -> key name, for every variable `values` sets. */
  keyOf: Record<string, string>;
  /** Our stdin is a terminal: Ctrl-C and Ctrl-\ reach the command from it directly. */
  terminal: boolean;
}

/** The command's exit code (128 + n for signal n), once it ended and its proxy closed. */
export async function spawnWithPlaceholders(ctx: OpsContext, reg: Registry, s: PlaceholderSpawn): Promise<number> {
  const placeholderVars: Record<string, string> = {};
  const hosts: Record<string, readonly string[]> = {};
  for (const [variable, key] of Object.entries(s.keyOf)) {
    const h = reg.keys[key]?.hosts ?? [];
    if (h.length === 0) continue;
    hosts[key] = h;
    placeholderVars[variable] = key;
  }
  const signals = relaySignals(s.terminal);
  if (Object.keys(placeholderVars).length === 0) return spawnRelay(s.command, s.args, { ...(ctx.env as NodeJS.ProcessEnv), ...s.values }, ctx.cwd, signals);
  const dir = runtimeSourceDir();
  const preload = dir !== undefined && existsSync(join(dir, 'proxy-preload.js')) ? join(dir, 'proxy-preload.js') : undefined;
  const tls = await interceptionFor(ctx.backend(), ctx.paths.dataDir, ctx.env, ctx.now);
  const onSubstitute = (u: Substitution) => audit(ctx.paths, { event: 'substitute', keys: [u.key], host: u.host, method: u.method, path: u.path }, ctx.env);
  const session = await startPlaceholderRun({ base: ctx.env, dataDir: ctx.paths.dataDir, values: s.values, placeholderVars, hosts, tls, onSubstitute, ...(preload ? { preload } : {}) });
  try {
    return await spawnRelay(s.command, s.args, session.env, ctx.cwd, signals);
  } finally {
    await session.close();
  }
}
