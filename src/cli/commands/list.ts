import { listKeys } from '../../ops/list-keys.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';
import { describeEnv } from '../../claude/address.js';

export const list: Command = {
  name: 'list',
  example: 'keyring-inject list --json',
  help: `Usage: keyring-inject list [--json]

Lists every registered key: its targets, when it was stored and last rotated, and whether it
is injected into the Claude Code config right now. Reads no value and needs no unlocked keyring
(with no key registered it lists, if it can, the values left in the keyring under our service).

JSON shape (stable): {"keys": [{"name", "backend", "createdAt", "rotatedAt"|null,
  "targets": [{"server", "env", "scope", "project"|null, "mode": "inject"|"wrap", "injected": boolean}],
  "headers": [{"server", "header", "scope", "project"|null}], "hosts": [HOST...]}]}
A key with hosts is a placeholder key: 'run' gives its command a placeholder, and the value
goes only into HTTP(S) requests to those hosts.`,

  async run(argv, ctx) {
    const p = parseArgs(argv, { json: { type: 'boolean' } });
    positionals(p, []);
    const { keys, leftInKeyring: left } = await listKeys(ctx, { leftovers: !bool(p, 'json') });
    const out = output(ctx);
    if (bool(p, 'json')) {
      out.json({ keys });
      return 0;
    }
    if (keys.length === 0) {
      // The registry can be gone while values stay (after 'uninstall --all'): say so.
      if (left.length > 0) {
        out.line(`no keys registered, but the keyring still holds values keyring-inject stored: ${left.join(', ')}`);
        out.line("  'keyring-inject add NAME --server S --env VAR' maps one again; 'keyring-inject uninstall --all --purge-keys' deletes them");
        return 0;
      }
      out.line("no keys yet: add one with 'keyring-inject add NAME --server S --env VAR'");
      return 0;
    }
    for (const k of keys) {
      out.line(`${k.name}  (stored ${k.createdAt}${k.rotatedAt ? `, rotated ${k.rotatedAt}` : ''})`);
      for (const t of k.targets) {
        out.line(
          `  -> ${describeEnv({ server: t.server, env: t.env, scope: t.scope, ...(t.project ? { project: t.project } : {}) })}${t.mode === 'wrap' ? '  [zero-disk]' : ''}${t.injected ? '  [injected now]' : ''}`,
        );
      }
      for (const h of k.headers) out.line(`  -> ${h.server} header ${h.header} (${h.scope}${h.project ? `: ${h.project}` : ''})  [zero-disk]`);
      if (k.hosts.length > 0) out.line(`  placeholder key: 'run' sends the value only to ${k.hosts.join(', ')}`);
    }
    return 0;
  },
};
