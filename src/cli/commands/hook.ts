import { audit } from '../../core/audit.js';
import { secretImport, secretImportWarning } from '../../claude/memory-imports.js';
import { KiError, oneLine, UsageError } from '../../core/errors.js';
import { realpathSync } from 'node:fs';
import { hasPendingScrubs } from '../../claude/pending-scrub.js';
import { childProcess, nodeCrypto } from '../../core/lazy-load.js';
import { isCliFileName, registryFile } from '../../core/paths.js';
import { endSession, resolveValues, startSession, type InjectReport } from '../../engine/engine.js';
import { findClaudeProcess, isAlive, type ProcessId } from '../../core/process-info.js';
import type { Registry } from '../../registry/registry.js';
import { loadRegistry } from '../../registry/store.js';
import { isOursIn, readStateForReport, sessionAlive } from '../../engine/state.js';
import { readConfigText } from '../../claude/config-file.js';
import { readEnvValues } from '../../engine/config-patch.js';
import type { Command } from '../command.js';
import { output, type CliContext } from '../context.js';
import { engineContext } from '../../ops/context.js';
import { readHookInput, type HookInput } from '../hook-input.js';
import { LAUNCHER_ENV } from '../launcher-env.js';
import { ensureGuardServiceProcess } from '../guard-service-start.js';
import { projectSecretsContext } from '../../mcp/session-context.js';
import { sameEnv } from '../../claude/address.js';

export const hook: Command = {
  name: 'hook',
  example: 'keyring-inject hook session-end < hook-input.json   # Claude Code runs it with the hook JSON',
  help: `Usage: keyring-inject hook session-start|session-end

Run by Claude Code, with the hook JSON on stdin ('keyring-inject install' declares them).
session-start registers the session, sweeps dead ones, injects the registered keys into the
config and starts the watchdog. session-end forgets the session and, when it was the last live
one, strips what was injected; it never touches the keyring.

Exit status: 0, or 1 with one line on stderr (the session goes on either way).
Output: session-start may print {"systemMessage": "..."} for the user and, in a project with a
.claude/secrets.json, {"hookSpecificOutput": {"additionalContext": "..."}} naming that file's
secrets for the model (names and sources only); never a value.`,

  async run(argv, ctx) {
    const [event, ...rest] = argv;
    if (rest.length > 0 || (event !== 'session-start' && event !== 'session-end')) throw new UsageError('usage: keyring-inject hook session-start|session-end');
    return event === 'session-start' ? sessionStart(ctx) : sessionEnd(ctx);
  },
};

/** The launcher that started this Claude Code, if any, and still alive. */
function launcherOf(ctx: CliContext): ProcessId | undefined {
  const m = /^(\d+):(.+)$/.exec(ctx.env[LAUNCHER_ENV] ?? '');
  if (!m) return undefined;
  const id = { pid: Number(m[1]), procStart: m[2] as string };
  return isAlive(id) ? id : undefined;
}

function claudeProcess(ctx: CliContext, sessionId: string): ProcessId {
  const found = findClaudeProcess(ctx.paths.sessionsDir, sessionId);
  if (!found) throw new KiError('claude-not-found', 'hook: cannot find the Claude Code process that ran this hook; nothing was changed');
  return found;
}

async function sessionStart(ctx: CliContext): Promise<number> {
  // Input first: a refused run (garbage, another event, a terminal) must not ask any secret
  // store for a value (an unlock prompt, a vendor CLI). Then the keyring's answer (tens of ms over
  // D-Bus, on the thread pool) is on its way while we find the client. Not under the launcher
  // (no keyring read at all).
  const input = await readHookInput(ctx, 'SessionStart');
  // The guard service (http guards only) starts beside the injection: up before the first prompt or tool call.
  const service = ctx.spawnWatchdog ? ensureGuardServiceProcess(ctx.paths, ctx.env, true, input.session_id) : Promise.resolve(undefined);
  const values = launcherOf(ctx) ? undefined : valuesForSession(ctx);
  values?.catch(() => undefined);
  // Names (never values) of the project's secrets, for the model: read beside the injection.
  const context = projectSecretsContext(ctx.paths, input.cwd ?? ctx.env.CLAUDE_PROJECT_DIR ?? ctx.cwd).catch(() => undefined);
  const message = await injectForSession(ctx, input, values);
  const additionalContext = await context;
  const serviceProblem = await service;
  const out: Record<string, unknown> = {};
  const lines = [message, serviceProblem].filter((l) => l !== undefined);
  if (lines.length > 0) out.systemMessage = lines.join('\n');
  if (additionalContext) out.hookSpecificOutput = { hookEventName: 'SessionStart', additionalContext };
  if (Object.keys(out).length > 0) output(ctx).line(JSON.stringify(out));
  return 0;
}

interface SessionValues {
  registry: Registry;
  /** Another live session injected every key: register only. */
  already: boolean;
  resolved: Awaited<ReturnType<typeof resolveValues>>;
  keyringError?: string;
}

/** The registry and, unless another live session injected them all, the values to inject. */
async function valuesForSession(ctx: CliContext): Promise<SessionValues> {
  const registry = await loadRegistry(registryFile(ctx.paths));
  const none = { known: [], missing: [] };
  // Another live session injected every key before this process started, so its servers had
  // them at spawn: no keyring round trip.
  if (await alreadyInjected(ctx, registry)) return { registry, already: true, resolved: none };
  try {
    // A failed early load only loses the head start: the real use reports it.
    const [resolved] = await Promise.all([resolveValues(registry, ctx.backend()), loadWhileWaiting().catch(() => undefined)]);
    return { registry, already: false, resolved };
  } catch (err) {
    return { registry, already: false, resolved: none, keyringError: oneLine((err as Error).message) };
  }
}

/** The injection of a session start; returns the message for the user, if any. */
async function injectForSession(ctx: CliContext, input: HookInput, early: Promise<SessionValues> | undefined): Promise<string | undefined> {
  const claude = claudeProcess(ctx, input.session_id);
  const engine = engineContext(ctx);
  const launcher = launcherOf(ctx);
  if (launcher) {
    // `keyring-inject claude` injected before this process started; only note the session.
    const noted = await startSession(engine, { ...launcher, sessionId: input.session_id, claude }, []);
    return noted.notices.length > 0 ? `keyring-inject: ${noted.notices.join(' ')}` : undefined;
  }
  const { registry, already, resolved, keyringError } = await (early ?? valuesForSession(ctx));
  if (already) {
    const noted = await startSession(engine, { ...claude, sessionId: input.session_id }, []);
    return noted.notices.length > 0 ? `keyring-inject: ${noted.notices.join(' ')}` : undefined;
  }
  // A memory file that imports the config would put the keys into the model's prompt: inject nothing.
  const found = secretImport(input.cwd ?? ctx.cwd, ctx.paths, ctx.env.HOME || ctx.env.USERPROFILE || ctx.cwd);
  if (found) {
    const noted = await startSession(engine, { ...claude, sessionId: input.session_id }, []);
    return `keyring-inject: ${[secretImportWarning(found), ...noted.notices].join(' ')}`;
  }
  const report = await startSession(engine, { ...claude, sessionId: input.session_id }, resolved.known);
  if (report.injected.length > 0) audit(ctx.paths, { event: 'inject', keys: keysOf(report.injected) }, ctx.env);
  // Keys of other sources that failed are described by `failures`; "missing" is for the keyring.
  const missing = resolved.missing.filter((k) => (registry.keys[k]?.source?.source ?? 'keyring') === 'keyring');
  return startMessage(ctx, report, missing, [...(resolved.failures ?? [])], keyringError, input.source);
}

/**
 * Loads the modules the injection needs next (a few ms of CPU) while the keyring answers over
 * D-Bus, instead of after. setImmediate: the keyring request is on its way by then.
 */
async function loadWhileWaiting(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  nodeCrypto();
}

/** Every inject-mode target has a live injection record (another session put it there). */
async function alreadyInjected(ctx: CliContext, registry: Registry): Promise<boolean> {
  const state = await readStateForReport(ctx.paths);
  if (!state.sessions.some(sessionAlive)) return false;
  const targets = Object.entries(registry.keys).flatMap(([key, rec]) => rec.targets.filter((t) => t.mode !== 'wrap').map((t) => ({ key, t })));
  if (targets.length === 0 || !targets.every(({ key, t }) => state.injected.some((r) => r.key === key && sameEnv(r, t)))) return false;
  // The records say so; the config must agree (a failed or interrupted write leaves records only).
  const text = await readConfigText(ctx.paths.configFile).catch(() => undefined);
  if (text === undefined) return false;
  let values: (string | undefined)[];
  try {
    values = readEnvValues(
      text,
      targets.map(({ t }) => t),
    );
  } catch {
    return false;
  }
  return targets.every(({ t }, i) => values[i] !== undefined && isOursIn(state.injected, t, values[i] as string));
}

function startMessage(ctx: CliContext, r: InjectReport, missing: string[], failures: string[], keyringError: string | undefined, source: string | undefined): string | undefined {
  const parts: string[] = [...r.notices];
  if (keyringError) parts.push(`could not read the keyring: ${keyringError}`);
  if (failures.length > 0) parts.push(`could not read: ${failures.join('; ')}`);
  if (r.noConfig) parts.push(`${ctx.paths.configFile} does not exist yet, so nothing was injected: add your MCP servers with 'claude mcp add'`);
  if (r.injected.length > 0 && (source === undefined || source === 'startup' || source === 'resume')) {
    parts.push(
      `put ${r.injected.length} key(s) into ${ctx.paths.configFile} for this session. Claude Code started its MCP servers before this hook ran, so they do not have them yet: run /mcp and reconnect them, or start Claude Code with 'keyring-inject claude' next time.`,
    );
  }
  if (r.conflicts.length > 0) parts.push(`left alone (already set by someone else): ${r.conflicts.join(', ')}`);
  if (missing.length > 0) parts.push(`not in the keyring: ${missing.join(', ')} (run 'keyring-inject add')`);
  if (r.missingServers.length > 0) parts.push(`no such MCP server: ${r.missingServers.join(', ')}`);
  if (r.unsupported.length > 0) parts.push(`cannot take env values: ${r.unsupported.join(', ')}`);
  return parts.length > 0 ? `keyring-inject: ${parts.join(' ')}` : undefined;
}

async function sessionEnd(ctx: CliContext): Promise<number> {
  const input = await readHookInput(ctx, 'SessionEnd');
  scrubAfterBlock(ctx, input);
  // /clear and /resume end a session inside a process that goes on: the keys stay for it.
  if (input.reason === 'clear' || input.reason === 'resume') return 0;
  // Under the launcher, the launcher strips once Claude Code has exited.
  if (launcherOf(ctx)) return 0;
  const claude = claudeProcess(ctx, input.session_id);
  const stripped = await endSession(engineContext(ctx), claude);
  if (stripped.stripped.length > 0) audit(ctx.paths, { event: 'strip', keys: keysOf(stripped.stripped) }, ctx.env);
  return 0;
}

/** Key names of the engine's labels: "KEY -> server.env.VAR" (inject), "KEY: server.env.VAR" (strip). */
function keysOf(labels: readonly string[]): string[] {
  return [...new Set(labels.map((l) => l.split(/ -> |: /)[0] as string))];
}

/**
 * A prompt the guard blocked for holding a stored key was written by the client to its files:
 * scrub them now that the session is over, with `scrub --pending` in a child process (the
 * matcher and the stores' code live in the main bundle, so this one, which every session pays
 * for, stays small). Waited for; its failure leaves the note for the next session end.
 */
function scrubAfterBlock(ctx: CliContext, input: HookInput): void {
  if (!hasPendingScrubs(ctx.paths)) return;
  const script = process.argv[1];
  if (!script || !isCliFileName(script)) return; // not our CLI (in-process tests): nothing to start
  childProcess().spawnSync(process.execPath, [realpathSync(script), 'scrub', '--pending'], {
    env: ctx.env as NodeJS.ProcessEnv,
    cwd: input.cwd ?? ctx.cwd,
    stdio: 'ignore',
    timeout: 8000,
  });
}
