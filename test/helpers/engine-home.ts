// The engine's tests (unit and integration): a temp HOME with a two-server config, the engine's
// context on it, the two keys it injects, and a dead process to stand for a SIGKILLed session.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { claudePaths } from '../../src/core/paths.js';
import { identify, type ProcessId } from '../../src/core/process-info.js';
import type { EngineContext } from '../../src/engine/engine.js';
import type { KnownValue } from '../../src/engine/config-copies.js';
import { makeTempHome, type TempHome } from './temp-home.js';

export const ENGINE_CONFIG = `${JSON.stringify({ numStartups: 3, mcpServers: { gh: { type: 'stdio', command: 'gh-mcp', args: [] }, db: { command: 'pg', env: { PGHOST: 'localhost' } } } }, null, 2)}\n`;

/** A temp HOME whose ~/.claude.json is ENGINE_CONFIG (0644), and the engine's context on it. */
export function engineHome(): { t: TempHome; ctx: EngineContext; configFile: string } {
  const t = makeTempHome();
  const ctx: EngineContext = { paths: claudePaths(t.env), now: () => new Date('2026-03-01T00:00:00Z') };
  writeFileSync(ctx.paths.configFile, ENGINE_CONFIG, { mode: 0o644 });
  return { t, ctx, configFile: ctx.paths.configFile };
}

/** The values of keys gh and db, as the keyring layer hands them to the engine. */
export function knownValues(values: Record<string, string>): KnownValue[] {
  return [
    { key: 'gh', target: { server: 'gh', env: 'GITHUB_TOKEN', scope: 'user' }, value: values.gh! },
    { key: 'db', target: { server: 'db', env: 'PGPASSWORD', scope: 'user' }, value: values.db! },
  ];
}

/** The identity of a process that has been SIGKILLed (and reaped). */
export async function deadProcess(): Promise<ProcessId> {
  const child = spawn('sleep', ['30']);
  const id = identify(child.pid!)!;
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  return id;
}
