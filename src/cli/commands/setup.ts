import { existsSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { importLegacyPlugin, legacyConfigFile } from '../../import/legacy-plugin.js';
import { basename, join } from 'node:path';
import { registryFile } from '../../core/paths.js';
import { KiError, UsageError } from '../../core/errors.js';
import { installForUser } from '../../install/install-ops.js';
import { runtimeSourceDir } from '../../install/runtime.js';
import { loadRegistry } from '../../registry/store.js';
import { applySetup, type HooksInstaller } from '../../setup/apply.js';
import { serverFacts } from '../../setup/facts.js';
import { formatTable, planSetup, type Step } from '../../setup/plan.js';
import { checkStore, storeScreen } from '../../setup/store.js';
import { doctorReport } from '../../doctor/report.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output, type CliContext } from '../context.js';
import { askLine } from '../secret-input.js';
import { EXIT_PROBLEMS } from '../../core/errors.js';
import { describeServer } from '../../claude/address.js';

const ALIAS = "alias claude='keyring-inject claude'";

/** Everything install does: the runtime copy, the session hooks and the guards, the 'keyring-inject mcp' server (Claude asks for keys through it), wrapped servers pointed at the runtime. */
const installHooks: HooksInstaller<CliContext> = async (ctx, dryRun) => {
  const sourceDir = runtimeSourceDir();
  if (sourceDir === undefined) throw new KiError('install-broken', 'cannot tell where the keyring-inject bundles are: run setup through the keyring-inject command');
  const r = await installForUser(ctx, { sourceDir, dryRun });
  return { changed: r.changed, settingsFile: r.settingsFile };
};

function describeStep(step: Step, label: string): string {
  if (step.kind === 'import') {
    return step.mode === 'wrap'
      ? `move ${step.count} plaintext key(s) from the config into the ${label}, and make their servers zero-disk`
      : `move ${step.count} plaintext key(s) of servers that cannot be zero-disk into the ${label} (injected while a session runs)`;
  }
  if (step.kind === 'wrap') return `make ${describeServer(step.ref)} zero-disk: it reads its keys from the keyring when it starts`;
  return "install the session hooks, the guards (which keep keys out of the model's context) and the 'keyring-inject mcp' server (Claude asks for keys through it)";
}

/** The rc file of the user's shell, for the alias; undefined for shells we do not edit. */
function rcFile(ctx: CliContext): string | undefined {
  const shell = basename(ctx.env.SHELL ?? '');
  const home = ctx.env.HOME;
  if (!home) return undefined;
  if (shell === 'bash') return join(home, '.bashrc');
  if (shell === 'zsh') return join(home, '.zshrc');
  return undefined;
}

async function offerAlias(ctx: CliContext, interactive: boolean): Promise<void> {
  const out = output(ctx);
  const rc = rcFile(ctx);
  const has = rc ? (await readFile(rc, 'utf8').catch(() => '')).includes(ALIAS) : false;
  if (has) {
    out.line(`The 'claude' alias is in ${rc}: plain 'claude' starts the launcher.`);
    return;
  }
  out.line(`Start Claude Code with 'keyring-inject claude' so injected servers get their keys at first start, or make it the default:\n  ${ALIAS}`);
  if (!interactive || !rc) return;
  const answer = (await askLine(ctx, `Add this alias to ${rc}? [y/N] `)).trim();
  if (!/^y(es)?$/i.test(answer)) return;
  await appendFile(rc, `\n# keyring-inject: start Claude Code through the launcher\n${ALIAS}\n`);
  out.line(`added to ${rc}: open a new shell (or 'source ${rc}') to use it`);
}

export const setup: Command = {
  name: 'setup',
  example: 'keyring-inject setup --yes   # first run: move plaintext keys into the keyring, protect every server',
  help: `Usage: keyring-inject setup [--yes] [--dry-run]

The main job, in one command. It
  1. checks the secret store (on a machine without a desktop session it explains the choices
     that work, and stops: it never falls back to another store on its own);
  2. finds the MCP servers in ~/.claude.json and the plaintext keys in them, and moves each key
     into the keyring ('keyring-inject import'); when the older plugin mcp-keyring-injector's
     list is there, moves its keys too ('keyring-inject import --from mcp-keyring-injector');
  3. puts every server with a key in the best mode it supports: zero-disk ('wrap': the key is
     read from the keyring when the server starts, never written to a file) wherever possible,
     injection (in the config only while a session runs) where not;
  4. does what 'keyring-inject install' does: the runtime copy, the session hooks, the guards,
     and the 'keyring-inject mcp' server through which Claude can ask you for a key;
  5. offers the 'claude' alias when a server needs the launcher;
  6. ends with a table: server, where its key comes from, how it is protected.
It shows the plan and asks before changing anything. Running it again changes nothing and says
all is well. Projects' .mcp.json files are never edited ('keyring-inject doctor' reports them).

  --yes      apply the plan without asking (for scripts); the alias is only printed
  --dry-run  show the plan and the resulting table; change nothing

Exit status: 0 all is well, 3 done but something is left (listed), 1 error (e.g. no secret
store), 2 usage error.`,

  async run(argv, ctx) {
    const p = parseArgs(argv, { yes: { type: 'boolean' }, 'dry-run': { type: 'boolean' } });
    positionals(p, []);
    const out = output(ctx);
    const yes = bool(p, 'yes');
    const dryRun = bool(p, 'dry-run');
    const interactive = !yes && ctx.stdin.isTTY === true;

    const backend = ctx.backend();
    const store = await checkStore(backend);
    if (!store.ok) {
      out.note(storeScreen(backend.id, store.reason, process.platform, store.fix));
      return 1;
    }
    out.line(`secret store: ${backend.label}: ok`);

    const facts = await serverFacts(ctx);
    if (facts === undefined) out.line(`${ctx.paths.configFile} does not exist yet: run Claude Code once and add your MCP servers ('claude mcp add'), then run setup again`);
    let plan = planSetup({ servers: facts ?? [], hooksInstalled: !(await installHooks(ctx, true)).changed });
    // The older plugin's keys, when its list is there: moved first (import --from mcp-keyring-injector).
    const legacyFile = legacyConfigFile(ctx.env);
    const legacy = legacyFile && existsSync(legacyFile) && facts !== undefined ? await importLegacyPlugin(ctx, { dryRun: true }).catch(() => undefined) : undefined;
    const legacyCount = legacy?.items.filter((i) => i.action === 'register').length ?? 0;

    const planned = plan.steps.length > 0 || legacyCount > 0;
    if (planned) {
      out.line(dryRun ? 'Setup would:' : 'Setup will:');
      if (legacyCount > 0)
        out.line(
          `  - move ${legacyCount} key(s) of mcp-keyring-injector (${legacyFile}): each is read from its keyring item where it is, its server made zero-disk ('keyring-inject import --from mcp-keyring-injector')`,
        );
      for (const s of plan.steps) out.line(`  - ${describeStep(s, backend.label)}`);
      if (dryRun) {
        out.line('\nAfterwards:');
        for (const line of formatTable(plan.rows, describeServer)) out.line(line);
        return 0;
      }
      if (!yes) {
        if (!interactive) throw new UsageError("no terminal to confirm on: run 'keyring-inject setup --yes' to apply the plan above");
        const answer = (await askLine(ctx, 'Go ahead? [Y/n] ')).trim();
        if (answer !== '' && !/^y(es)?$/i.test(answer)) {
          out.line('nothing changed');
          return 0;
        }
      }
      if (legacyCount > 0) {
        const moved = await importLegacyPlugin(ctx, { dryRun: false });
        out.line(`  done: moved ${moved.items.filter((i) => i.action === 'register').length} key(s) of mcp-keyring-injector (${moved.wrapped.join(', ') || 'no server'} zero-disk)`);
        for (const w of moved.warnings) out.warn(w);
        for (const line of moved.removal) out.line(`  ${line}`);
        // What is left to do is planned again: those servers are wrapped now.
        plan = planSetup({ servers: (await serverFacts(ctx)) ?? [], hooksInstalled: !(await installHooks(ctx, true)).changed });
      }
      const applied = await applySetup(ctx, plan.steps, installHooks);
      for (const d of applied.done) out.line(`  done: ${d}`);
      for (const w of applied.warnings) out.warn(w);
    }

    // The table and the verdict come from what is on disk now, not from the plan.
    const now = planSetup({ servers: (await serverFacts(ctx)) ?? [], hooksInstalled: !(await installHooks(ctx, true)).changed });
    const report = await doctorReport(ctx.paths, await loadRegistry(registryFile(ctx.paths)), ctx.cwd);
    if (now.rows.length > 0) {
      out.line('');
      for (const line of formatTable(now.rows, describeServer)) out.line(line);
      out.line('');
    }
    if (now.needsLauncher) await offerAlias(ctx, interactive);
    else if (now.rows.some((r) => r.how !== 'none')) out.line("Plain 'claude' is enough: every server with a key is zero-disk.");
    const left = report.servers.flatMap((s) => s.problems.map((pr) => `${s.server === '(config)' ? s.server : describeServer(s)}: ${pr}`));
    left.push(...report.copies.map((c) => `plaintext or injected values left in ${c.file}`), ...report.tempFiles.map((f) => `leftover temp file ${f}`));
    if (now.steps.length === 0 && left.length === 0) {
      out.line(planned ? 'All is well.' : 'All is well: nothing to change.');
      if (planned) out.note('Claude Code sessions already running keep their old servers: restart them (or /mcp -> Reconnect).');
      return 0;
    }
    for (const l of left) out.line(`! ${l}`);
    for (const s of now.steps) out.line(`! still to do: ${describeStep(s, backend.label)}`);
    return EXIT_PROBLEMS;
  },
};
