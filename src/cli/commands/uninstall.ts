import { MCP_SERVER_NAME, unregisterMcpServer } from '../../install/mcp-registration.js';
import { removeHooks } from '../../install/settings-hooks.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../context.js';
import { readSettingsText, settingsError, writeSettingsText } from '../../install/settings-file.js';

export const uninstall: Command = {
  name: 'uninstall',
  example: 'keyring-inject uninstall --dry-run',
  help: `Usage: keyring-inject uninstall [--dry-run] [--json]

Removes every hook whose command ends with the marker '# keyring-inject' from
<config dir>/settings.json (<config dir> is $CLAUDE_CONFIG_DIR, else ~/.claude), and the hook
group, event list or "hooks" object that this leaves empty. Hooks of your own are never
touched, and the rest of the file is kept byte for byte. A missing settings.json is left missing.
If you use the Claude Code plugin instead of 'install', disable or uninstall the plugin in
Claude Code; this command does not touch plugins. It also removes the MCP server
'keyring-inject' that install registered in ~/.claude.json. Keys stay in the keyring: see 'remove'.

Options:
  --dry-run  show what would change; write nothing
  --json     machine-readable output on stdout

JSON shape (stable): {"settingsFile", "changed": boolean, "dryRun": boolean, "removed": number,
  "mcpServerRemoved": boolean}`,

  async run(argv, ctx) {
    const p = parseArgs(argv, { json: { type: 'boolean' }, 'dry-run': { type: 'boolean' } });
    positionals(p, []);
    const dryRun = bool(p, 'dry-run');
    const file = ctx.paths.settingsFile;
    const before = await readSettingsText(file);
    let result = { text: before ?? '', changed: false, removed: 0 };
    if (before !== undefined) {
      try {
        result = removeHooks(before);
      } catch (err) {
        throw settingsError(file, err);
      }
    }
    if (result.changed && !dryRun) await writeSettingsText(file, result.text);
    const mcpRemoved = await unregisterMcpServer(ctx.paths.configFile, dryRun);

    const out = output(ctx);
    if (bool(p, 'json')) {
      out.json({ settingsFile: file, changed: result.changed, dryRun, removed: result.removed, mcpServerRemoved: mcpRemoved });
      return 0;
    }
    if (mcpRemoved) out.line(`${dryRun ? 'would remove' : 'removed'} the MCP server '${MCP_SERVER_NAME}' from ${ctx.paths.configFile}`);
    if (!result.changed) {
      out.line(`no keyring-inject hooks in ${file}; nothing ${dryRun ? 'would change' : 'changed'}`);
      return 0;
    }
    const n = `${result.removed} keyring-inject hook${result.removed === 1 ? '' : 's'}`;
    out.line(dryRun ? `would remove ${n} from ${file} (dry run, nothing written)` : `removed ${n} from ${file}`);
    return 0;
  },
};
