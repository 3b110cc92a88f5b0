// `keyring-inject claude`: inject before Claude Code starts (its MCP servers spawn before any
// hook runs), run it with the same terminal, arguments, signals and exit code, and strip after
// it exits if no other session needs the keys.
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { secretImport, secretImportWarning } from '../claude/memory-imports.js';
import { KiError } from '../core/errors.js';
import type { Env } from '../core/paths.js';
import { identify } from '../core/process-info.js';
import { registryFile } from '../core/paths.js';
import { endSession, startSession } from '../engine/engine.js';
import { loadRegistry } from '../registry/registry-file.js';
import { openRelay, relaySignals, type RelayOptions } from '../wrap/spawn-relay.js';
import { engineContext, type OpsContext } from './ops-context.js';
import { LAUNCHER_ENV, launcherEnvValue } from './launcher-env.js';
import { prepareProject, type Tell } from './team-file-setup.js';
import { readSessionValues } from './session-values.js';

export interface LaunchRequest {
  /** Claude Code's arguments, passed on unchanged. */
  argv: readonly string[];
  /** Asks for a project's value, hidden; absent when there is no terminal to ask on. */
  askSecret?: (label: string) => Promise<string>;
  /** Lines for the user as they happen: all of them before Claude Code takes the terminal, but a failed strip. */
  tell: Tell;
}

/** Runs Claude Code; returns its exit code (a signal's as the shell gives it). */
export async function launchClaude(ctx: OpsContext, req: LaunchRequest): Promise<number> {
  const bin = findClaude(ctx.env);
  const me = identify(process.pid);
  if (!me) throw new KiError('platform-unsupported', 'cannot read this process start time; the launcher needs /proc (Linux) or ps');
  const registry = await loadRegistry(registryFile(ctx.paths));
  // A project's .claude/secrets.json: approved? anything to ask for? its servers wrapped? (before anything starts)
  await prepareProject(ctx, { registry, tell: req.tell, ...(req.askSecret ? { askSecret: req.askSecret } : {}) });
  const values = await readSessionValues(ctx, registry);
  if (values.keyringError) throw values.keyringError;
  // A memory file that imports the config would put the keys into the model's prompt: inject nothing.
  const found = secretImport(ctx.cwd, ctx.paths, ctx.env.HOME || ctx.env.USERPROFILE || ctx.cwd);
  // Signal handlers before the keys go in: from here a signal reaches Claude Code (or, before it
  // starts, the moment it does), and the keys are stripped after; never a launcher that dies
  // and leaves Claude Code running with the keys injected.
  const relay = openRelay(LAUNCHER_SIGNALS);
  try {
    const engine = engineContext(ctx);
    const report = await startSession(engine, { ...me, launcher: true }, found ? [] : values.known);
    if (found) req.tell('warn', secretImportWarning(found));
    if (values.notInKeyring.length > 0) req.tell('warn', `not in the keyring: ${values.notInKeyring.join(', ')}`);
    for (const f of values.failures) req.tell('warn', `could not read ${f}`);
    for (const n of report.notices) req.tell('warn', n);
    if (report.conflicts.length > 0) req.tell('warn', `left alone (already set by someone else): ${report.conflicts.join(', ')}`);
    try {
      return await relay.run(bin, req.argv, { ...(ctx.env as NodeJS.ProcessEnv), [LAUNCHER_ENV]: launcherEnvValue(me) }, ctx.cwd, async (pid) => {
        const childId = identify(pid);
        if (childId) await startSession(engine, { ...me, launcher: true, claude: childId }, []);
      });
    } finally {
      await endSession(engine, me).catch((err: Error) => req.tell('error', `could not strip after exit: ${err.message}; run 'keyring-inject cleanup'`));
    }
  } finally {
    relay.close();
  }
}

/**
 * The terminal sends Ctrl-C / Ctrl-\ to the whole foreground group: claude gets them itself.
 * The rest is passed on, a window resize too.
 */
const LAUNCHER_SIGNALS: RelayOptions = { forward: [...relaySignals(true).forward, 'SIGWINCH'], ignore: relaySignals(true).ignore ?? [] };

function findClaude(env: Env): string {
  const explicit = env.KEYRING_INJECT_CLAUDE_BIN;
  if (explicit) return explicit;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, process.platform === 'win32' ? 'claude.exe' : 'claude');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new KiError('claude-not-found', "cannot find 'claude' on PATH: install Claude Code (npm install -g @anthropic-ai/claude-code) or set KEYRING_INJECT_CLAUDE_BIN");
}
