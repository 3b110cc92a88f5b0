import { secretImport, secretImportWarning } from '../../claude/memory-imports.js';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { KiError } from '../../core/errors.js';
import { registryFile } from '../../core/paths.js';
import { endSession, resolveValues, startSession } from '../../engine/engine.js';
import { identify } from '../../core/process-info.js';
import { loadRegistry } from '../../registry/store.js';
import type { Command } from '../command.js';
import { output, type CliContext } from '../context.js';
import { engineContext } from '../../ops/context.js';
import { prepareProject } from '../project-setup.js';
import { LAUNCHER_ENV, launcherEnvValue } from '../../ops/launcher-env.js';
import { openRelay, relaySignals, type RelayOptions } from '../../wrap/spawn-relay.js';

export const claude: Command = {
  name: 'claude',
  passThrough: true,
  example: "keyring-inject claude --continue   # or once: alias claude='keyring-inject claude'",
  help: `Usage: keyring-inject claude [CLAUDE ARGUMENTS...]

Claude Code starts its MCP servers before SessionStart hooks run, so keys injected by the hook
reach servers only when they restart. The launcher injects first, then runs 'claude' with the
same terminal, arguments, signals and exit code, and strips the keys after it exits if no other
session needs them. Every argument goes to claude unchanged (see 'help claude' for this text).

In a project with a .claude/secrets.json (approved with 'keyring-inject allow'), the launcher
first asks, on the terminal and hidden, for each keyring value of that file this machine does not
hold yet (once: it is stored in the keyring), and makes the project's MCP servers the file maps
keys to read them at spawn (zero-disk; a .mcp.json server gets a wrapped local-scope copy,
.mcp.json is never written). An unapproved or changed file stops it before Claude Code starts.

Environment: KEYRING_INJECT_CLAUDE_BIN (path of the claude binary; default: 'claude' on PATH).`,

  async run(argv, ctx) {
    const bin = findClaude(ctx);
    const me = identify(process.pid);
    if (!me) throw new KiError('platform-unsupported', 'cannot read this process start time; the launcher needs /proc (Linux) or ps');
    const registry = await loadRegistry(registryFile(ctx.paths));
    // A project's .claude/secrets.json: approved? anything to ask for? its servers wrapped? (before anything starts)
    await prepareProject(ctx, registry);
    const { known: values, missing, failures = [] } = await resolveValues(registry, ctx.backend());
    // A memory file that imports the config would put the keys into the model's prompt: inject nothing.
    const found = secretImport(ctx.cwd, ctx.paths, ctx.env.HOME || ctx.env.USERPROFILE || ctx.cwd);
    const known = found ? [] : values;
    // Signal handlers before the keys go in: from here a signal reaches Claude Code (or, before it
    // starts, the moment it does), and the keys are stripped after; never a launcher that dies
    // and leaves Claude Code running with the keys injected.
    const relay = openRelay(LAUNCHER_SIGNALS);
    try {
      const engine = engineContext(ctx);
      const report = await startSession(engine, { ...me, launcher: true }, known);
      const out = output(ctx);
      if (found) out.warn(secretImportWarning(found));
      const notInKeyring = missing.filter((k) => (registry.keys[k]?.source?.source ?? 'keyring') === 'keyring');
      if (notInKeyring.length > 0) out.warn(`not in the keyring: ${notInKeyring.join(', ')}`);
      for (const f of failures) out.warn(`could not read ${f}`);
      for (const n of report.notices) out.warn(n);
      if (report.conflicts.length > 0) out.warn(`left alone (already set by someone else): ${report.conflicts.join(', ')}`);
      try {
        return await relay.run(bin, argv, { ...(ctx.env as NodeJS.ProcessEnv), [LAUNCHER_ENV]: launcherEnvValue(me) }, ctx.cwd, async (pid) => {
          const childId = identify(pid);
          if (childId) await startSession(engine, { ...me, launcher: true, claude: childId }, []);
        });
      } finally {
        await endSession(engine, me).catch((err: Error) => out.error(`could not strip after exit: ${err.message}; run 'keyring-inject cleanup'`));
      }
    } finally {
      relay.close();
    }
  },
};

/**
 * The terminal sends Ctrl-C / Ctrl-\ to the whole foreground group: claude gets them itself.
 * The rest is passed on, a window resize too.
 */
const LAUNCHER_SIGNALS: RelayOptions = { forward: [...relaySignals(true).forward, 'SIGWINCH'], ignore: relaySignals(true).ignore ?? [] };

function findClaude(ctx: CliContext): string {
  const explicit = ctx.env.KEYRING_INJECT_CLAUDE_BIN;
  if (explicit) return explicit;
  for (const dir of (ctx.env.PATH ?? '').split(delimiter)) {
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
