import { registryFile } from '../../core/paths.js';
import { loadRegistry } from '../../registry/store.js';
import { splitCommand, wantsHelp } from '../../zerodisk/argv.js';
import { envForRun } from '../../zerodisk/resolve.js';
import { spawnRelay } from '../../zerodisk/spawn-relay.js';
import { list, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../context.js';

const USAGE = 'keyring-inject run [--only NAME[,NAME...]] -- COMMAND [ARGS...]';

export const run: Command = {
  name: 'run',
  passThrough: true,
  help: `Usage: ${USAGE}

Runs any COMMAND with your keys in its environment, like 'doppler run' or 'op run': each key
under the environment variable names of its targets (a key mapped to GITHUB_TOKEN of two servers
is set once). Nothing is written to disk; values never appear in arguments. stdin/stdout/stderr
are COMMAND's own, signals are passed on (on a terminal, Ctrl-C reaches COMMAND directly), and
the exit code is COMMAND's (128+n for signal n). A key missing from the keyring, or a locked
keyring, stops run before COMMAND starts (exit 1, one line on stderr).

  --only NAMES   only these keys (comma-separated, or repeat the option)`,

  async run(argv, ctx) {
    const out = output(ctx);
    if (wantsHelp(argv)) {
      out.line(run.help);
      return 0;
    }
    const { head, command, args } = splitCommand(argv, USAGE);
    const p = parseArgs(head, { only: { type: 'string', multiple: true } });
    positionals(p, [], "put the command after '--'");
    const only = list(p, 'only').flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
    const reg = await loadRegistry(registryFile(ctx.paths));
    const { env } = await envForRun(reg, ctx.backend(), only.length > 0 ? [...new Set(only)] : undefined);
    const terminal = ctx.stdin.isTTY === true;
    return spawnRelay(command, args, { ...(ctx.env as NodeJS.ProcessEnv), ...env }, ctx.cwd, {
      forward: terminal ? ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] : ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'],
      ignore: terminal ? ['SIGINT', 'SIGQUIT'] : [],
    });
  },
};
