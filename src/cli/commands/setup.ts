import { EXIT_PROBLEMS, UsageError } from '../../core/errors.js';
import { describeServer } from '../../claude/address.js';
import { formatTable, type Step } from '../../setup/plan.js';
import { applyMachineSetup, machineSetupOutcome, planMachineSetup } from '../../ops/machine-setup.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';
import { askLine } from '../secret-input.js';
import { offerAlias } from '../offer-alias.js';

function describeStep(step: Step, label: string): string {
  if (step.kind === 'import') {
    return step.mode === 'wrap'
      ? `move ${step.count} plaintext key(s) from the config into the ${label}, and make their servers zero-disk`
      : `move ${step.count} plaintext key(s) of servers that cannot be zero-disk into the ${label} (injected while a session runs)`;
  }
  if (step.kind === 'wrap') return `make ${describeServer(step.ref)} zero-disk: it reads its keys from the keyring when it starts`;
  return "install the session hooks, the guards (which keep keys out of the model's context) and the 'keyring-inject mcp' server (Claude asks for keys through it)";
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

    const start = await planMachineSetup(ctx);
    if (!start.ok) {
      out.note(start.screen);
      return 1;
    }
    const { storeLabel: label, plan, legacy } = start;
    out.line(`secret store: ${label}: ok`);
    if (start.configMissing) out.line(`${ctx.paths.configFile} does not exist yet: run Claude Code once and add your MCP servers ('claude mcp add'), then run setup again`);

    const planned = plan.steps.length > 0 || legacy !== undefined;
    if (planned) {
      out.line(dryRun ? 'Setup would:' : 'Setup will:');
      if (legacy)
        out.line(
          `  - move ${legacy.count} key(s) of mcp-keyring-injector (${legacy.file}): each is read from its keyring item where it is, its server made zero-disk ('keyring-inject import --from mcp-keyring-injector')`,
        );
      for (const s of plan.steps) out.line(`  - ${describeStep(s, label)}`);
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
      const done = await applyMachineSetup(ctx, start);
      if (done.legacy) {
        const moved = done.legacy.result;
        out.line(`  done: moved ${done.legacy.moved} key(s) of mcp-keyring-injector (${moved.wrapped.join(', ') || 'no server'} zero-disk)`);
        for (const w of moved.warnings) out.warn(w);
        for (const line of moved.removal) out.line(`  ${line}`);
      }
      for (const d of done.applied.done) out.line(`  done: ${d}`);
      for (const w of done.applied.warnings) out.warn(w);
    }

    const now = await machineSetupOutcome(ctx);
    if (now.rows.length > 0) {
      out.line('');
      for (const line of formatTable(now.rows, describeServer)) out.line(line);
      out.line('');
    }
    if (now.needsLauncher) await offerAlias(ctx, interactive);
    else if (now.rows.some((r) => r.how !== 'none')) out.line("Plain 'claude' is enough: every server with a key is zero-disk.");
    if (now.steps.length === 0 && now.left.length === 0) {
      out.line(planned ? 'All is well.' : 'All is well: nothing to change.');
      if (planned) out.note('Claude Code sessions already running keep their old servers: restart them (or /mcp -> Reconnect).');
      return 0;
    }
    for (const l of now.left) out.line(`! ${l}`);
    for (const s of now.steps) out.line(`! still to do: ${describeStep(s, label)}`);
    return EXIT_PROBLEMS;
  },
};
