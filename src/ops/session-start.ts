// The SessionStart hook's work: register the session, inject the registered keys into the config
// (unless the launcher or another live session did), and tell the user and the model what they
// need to know. Not under the launcher: no keyring read at all.
import { secretImport, secretImportWarning } from '../claude/memory-imports.js';
import type { SessionHookInput } from '../claude/hook-input.js';
import { oneLine } from '../core/errors.js';
import { nodeCrypto } from '../core/lazy-load.js';
import { prepareExchange } from '../core/rename-exchange.js';
import { registryFile } from '../core/paths.js';
import { injectedByLiveSession, startSession, type InjectReport } from '../engine/engine.js';
import type { SecretBackend } from '../keyring/backend.js';
import { loadRegistry } from '../registry/registry-file.js';
import { projectSecretsContext } from '../mcp/session-context.js';
import { engineContext, type OpsContext } from './ops-context.js';
import { launcherOf } from './launcher-env.js';
import { auditLabels, claudeProcess } from './session-client.js';
import { readSessionValues, type SessionValues } from './session-values.js';

export interface SessionStartRequest {
  input: SessionHookInput;
  /** Starts our guard service beside the injection; resolves to a line for the user, if any. */
  startGuardService?: () => Promise<string | undefined>;
  /** Wraps the keyring for this session start's read (the guard service is handed its answer). */
  keyringRead?: (backend: SecretBackend) => SecretBackend;
}

export interface SessionStartReport {
  /** Lines for the user (the hook's systemMessage). */
  messages: string[];
  /** The names (never values) of the project's secrets, for the model. */
  additionalContext?: string;
}

/** Another live session injected every key: register only. */
type EarlyValues = SessionValues | 'already';

export async function sessionStart(ctx: OpsContext, req: SessionStartRequest): Promise<SessionStartReport> {
  // The caller checked the input first: a refused run must not ask any secret store for a value
  // (an unlock prompt, a vendor CLI). The keyring's answer (tens of ms over D-Bus, on the thread
  // pool) is on its way while we find the client.
  const service = req.startGuardService?.() ?? Promise.resolve(undefined);
  const launcher = launcherOf(ctx.env);
  const read = req.keyringRead;
  const values = launcher ? undefined : valuesForSession(ctx, read ? () => read(ctx.backend()) : ctx.backend);
  values?.catch(() => undefined);
  const { input } = req;
  const context = projectSecretsContext(ctx.paths, input.cwd ?? ctx.env.CLAUDE_PROJECT_DIR ?? ctx.cwd).catch(() => undefined);
  const message = await injectForSession(ctx, input, values);
  const additionalContext = await context;
  const serviceProblem = await service;
  return { messages: [message, serviceProblem].filter((l) => l !== undefined), ...(additionalContext ? { additionalContext } : {}) };
}

/** The registry and, unless another live session injected them all, the values to inject (read through `backend`). */
async function valuesForSession(ctx: OpsContext, backend: OpsContext['backend'] = ctx.backend): Promise<EarlyValues> {
  const registry = await loadRegistry(registryFile(ctx.paths));
  // Another live session injected every key before this process started, so its servers had
  // them at spawn: no keyring round trip.
  if (await injectedByLiveSession(ctx.paths, registry)) return 'already';
  // A failed early load only loses the head start: the real use reports it.
  const [values] = await Promise.all([readSessionValues({ paths: ctx.paths, env: ctx.env, backend }, registry), loadWhileWaiting().catch(() => undefined)]);
  return values;
}

/**
 * Loads the modules the injection needs next (a few ms of CPU: node:crypto, and koffi for the
 * config write's swap) while the keyring answers over D-Bus, instead of after. setImmediate: the
 * keyring request is on its way by then.
 */
async function loadWhileWaiting(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  nodeCrypto();
  prepareExchange();
}

/** The injection of a session start; returns the message for the user, if any. */
async function injectForSession(ctx: OpsContext, input: SessionHookInput, early: Promise<EarlyValues> | undefined): Promise<string | undefined> {
  const claude = claudeProcess(ctx, input.session_id);
  const engine = engineContext(ctx);
  const launcher = launcherOf(ctx.env);
  const noted = (r: InjectReport) => (r.notices.length > 0 ? `keyring-inject: ${r.notices.join(' ')}` : undefined);
  // `keyring-inject claude` injected before this process started; only note the session.
  if (launcher) return noted(await startSession(engine, { ...launcher, sessionId: input.session_id, claude }, []));
  const values = await (early ?? valuesForSession(ctx));
  const session = { ...claude, sessionId: input.session_id };
  if (values === 'already') return noted(await startSession(engine, session, []));
  // A memory file that imports the config would put the keys into the model's prompt: inject nothing.
  const found = secretImport(input.cwd ?? ctx.cwd, ctx.paths, ctx.env.HOME || ctx.env.USERPROFILE || ctx.cwd);
  if (found) {
    const r = await startSession(engine, session, []);
    return `keyring-inject: ${[secretImportWarning(found), ...r.notices].join(' ')}`;
  }
  const report = await startSession(engine, session, values.known);
  auditLabels(ctx, 'inject', report.injected);
  return startMessage(ctx, report, values, input.source);
}

function startMessage(ctx: OpsContext, r: InjectReport, v: SessionValues, source: string | undefined): string | undefined {
  const parts: string[] = [...r.notices];
  if (v.keyringError) parts.push(`could not read the keyring: ${oneLine(v.keyringError.message)}`);
  if (v.failures.length > 0) parts.push(`could not read: ${v.failures.join('; ')}`);
  if (r.noConfig) parts.push(`${ctx.paths.configFile} does not exist yet, so nothing was injected: add your MCP servers with 'claude mcp add'`);
  if (r.injected.length > 0 && (source === undefined || source === 'startup' || source === 'resume')) {
    parts.push(
      `put ${r.injected.length} key(s) into ${ctx.paths.configFile} for this session. Claude Code started its MCP servers before this hook ran, so they do not have them yet: run /mcp and reconnect them, or start Claude Code with 'keyring-inject claude' next time.`,
    );
  }
  if (r.conflicts.length > 0) parts.push(`left alone (already set by someone else): ${r.conflicts.join(', ')}`);
  if (v.notInKeyring.length > 0) parts.push(`not in the keyring: ${v.notInKeyring.join(', ')} (run 'keyring-inject add')`);
  if (r.missingServers.length > 0) parts.push(`no such MCP server: ${r.missingServers.join(', ')}`);
  if (r.unsupported.length > 0) parts.push(`cannot take env values: ${r.unsupported.join(', ')}`);
  return parts.length > 0 ? `keyring-inject: ${parts.join(' ')}` : undefined;
}
