import { MCP_SERVER_NAME } from '../../install/mcp-registration.js';
import { uninstallEverything, uninstallHooks } from '../../ops/uninstall-hooks.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output, type CliContext } from '../cli-context.js';
import { UsageError } from '../../core/errors.js';

export const uninstall: Command = {
  name: 'uninstall',
  example: 'keyring-inject uninstall --dry-run',
  help: `Usage: keyring-inject uninstall [--all [--purge-keys]] [--dry-run] [--json]

Removes every hook whose command ends with the marker '# keyring-inject' from
<config dir>/settings.json (<config dir> is $CLAUDE_CONFIG_DIR, else ~/.claude), and the hook
group, event list or "hooks" object that this leaves empty. Hooks of your own are never
touched, and the rest of the file is kept byte for byte. A missing settings.json is left missing.
If you use the Claude Code plugin instead of 'install', disable or uninstall the plugin in
Claude Code; this command does not touch plugins. It also removes the MCP server
'keyring-inject' that install registered in ~/.claude.json. Keys stay in the keyring: see 'remove'.

--all undoes everything keyring-inject did: every wrapped server gets its original entry back
(unwrap), every injected value is stripped from the config and its backups (cleanup), the hooks,
the guards and the MCP server are removed, a settings.json or "mcpServers" object that install
created is removed again, and so is the data dir (<config dir>/keyring-inject: the runtime copy,
the registry, the state). ~/.claude.json ends as it would be had keyring-inject never been
installed. Keys stay in the OS keyring (look them up there, or run 'keyring-inject list' before)
unless --purge-keys, which deletes the keyring values of every registered key (keys that live
in pass, 1Password, ... are never touched). Run it with no Claude Code session open.

Options:
  --all         everything, as above
  --purge-keys  with --all: delete the keys' values from the OS keyring too
  --dry-run  show what would change; write nothing
  --json     machine-readable output on stdout

JSON shape (stable): {"settingsFile", "changed": boolean, "dryRun": boolean, "removed": number,
  "mcpServerRemoved": boolean}; with --all: {"dryRun", "unwrapped": [server], "stripped": [...],
  "hooksRemoved": number, "mcpServerRemoved", "filesRemoved": [file], "dataDirRemoved",
  "keysPurged": [name], "keysKept": [name], "keyless": [{"server", "vars", "keys"}]}`,

  async run(argv, ctx) {
    const p = parseArgs(argv, { json: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, all: { type: 'boolean' }, 'purge-keys': { type: 'boolean' } });
    positionals(p, []);
    const dryRun = bool(p, 'dry-run');
    if (bool(p, 'purge-keys') && !bool(p, 'all')) throw new UsageError('--purge-keys goes with --all');
    if (bool(p, 'all')) return runAll(ctx, dryRun, bool(p, 'purge-keys'), bool(p, 'json'));
    const r = await uninstallHooks(ctx, dryRun);
    const out = output(ctx);
    if (bool(p, 'json')) {
      out.json(r);
      return 0;
    }
    if (r.mcpServerRemoved) out.line(`${dryRun ? 'would remove' : 'removed'} the MCP server '${MCP_SERVER_NAME}' from ${ctx.paths.configFile}`);
    if (!r.changed) {
      out.line(`no keyring-inject hooks in ${r.settingsFile}; nothing ${dryRun ? 'would change' : 'changed'}`);
      return 0;
    }
    const n = `${r.removed} keyring-inject hook${r.removed === 1 ? '' : 's'}`;
    out.line(dryRun ? `would remove ${n} from ${r.settingsFile} (dry run, nothing written)` : `removed ${n} from ${r.settingsFile}`);
    return 0;
  },
};

async function runAll(ctx: CliContext, dryRun: boolean, purgeKeys: boolean, json: boolean): Promise<number> {
  const { report: r, warnings } = await uninstallEverything(ctx, { dryRun, purgeKeys });
  const out = output(ctx);
  for (const w of warnings) out.warn(w);
  if (json) {
    out.json(r);
    return 0;
  }
  const verb = dryRun ? 'would ' : '';
  for (const s of r.unwrapped) out.line(`${verb}${dryRun ? 'unwrap' : 'unwrapped'} ${s}`);
  for (const s of r.stripped) out.line(`${verb}${dryRun ? 'strip' : 'stripped'} ${s} from ${ctx.paths.configFile}`);
  if (r.hooksRemoved > 0) out.line(`${verb}${dryRun ? 'remove' : 'removed'} ${r.hooksRemoved} keyring-inject hook(s) from ${ctx.paths.settingsFile}`);
  if (r.mcpServerRemoved) out.line(`${verb}${dryRun ? 'remove' : 'removed'} the MCP server '${MCP_SERVER_NAME}' from ${ctx.paths.configFile}`);
  for (const f of r.filesRemoved) out.line(`${verb}${dryRun ? 'delete' : 'deleted'} ${f} (install had created it)`);
  if (r.dataDirRemoved) out.line(`${verb}${dryRun ? 'delete' : 'deleted'} ${ctx.paths.dataDir} (runtime, registry, state)`);
  if (r.keysPurged.length > 0) out.line(`${verb}${dryRun ? 'delete' : 'deleted'} from the keyring: ${r.keysPurged.join(', ')}`);
  for (const k of r.keyless) {
    const where = purgeKeys ? `its key ${k.keys.join(', ')} ${dryRun ? 'would be' : 'was'} deleted from the keyring` : `kept in the keyring as ${k.keys.join(', ')}`;
    out.line(`note: ${k.server} starts without its key now: ${k.vars.join(', ')} (${where})`);
  }
  if (r.keysKept.length > 0)
    out.line(`kept in the keyring or their source: ${r.keysKept.join(', ')}; 'keyring-inject uninstall --all --purge-keys' deletes the keyring ones, now or later (it finds them in the keyring)`);
  if (dryRun) out.line('dry run: nothing changed');
  return 0;
}
