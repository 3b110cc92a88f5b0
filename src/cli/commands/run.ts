import { runWithKeys } from '../../ops/run-with-keys.js';
import { splitCommand, wantsHelp } from '../../wrap/argv.js';
import { bool, list, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';

const USAGE = 'keyring-inject run [--only NAME[,NAME...]] [--no-project] -- COMMAND [ARGS...]';

export const run: Command = {
  name: 'run',
  passThrough: true,
  example: 'keyring-inject run --only stripe -- npm test   # npm test sees STRIPE_SECRET_KEY, no file does',
  help: `Usage: ${USAGE}

Runs any COMMAND with your keys in its environment, like 'doppler run' or 'op run': each key
under the environment variable names of its targets (a key mapped to GITHUB_TOKEN of two servers
is set once). Nothing is written to disk; values never appear in arguments. stdin/stdout/stderr
are COMMAND's own, signals are passed on (on a terminal, Ctrl-C reaches COMMAND directly), and
the exit code is COMMAND's (128+n for signal n). A key missing from the keyring, or a locked
keyring, stops run before COMMAND starts (exit 1, one line on stderr).

Each key comes from its source: the keyring, or the reference it was added with (--source:
pass, env-file, 1password, doppler, aws, gcp, keepassxc, age, vault, bitwarden, azure,
infisical). Inside a project with a .claude/secrets.json (the
nearest one up to the top of the git work tree), every name in that file is resolved too and
given to COMMAND under the env names of its targets, or under its own name when it has none.
The file is used only once you approved it as it is ('keyring-inject allow'); run refuses an
unapproved or changed file and shows what it would do. On a name clash your own registry wins
(the project entry is ignored, with a warning).

A placeholder key (one with hosts: 'add --host', or "hosts" in the project file) reaches COMMAND
as a placeholder, never as its value: run starts a proxy on 127.0.0.1 that only COMMAND can use
(HTTP_PROXY/HTTPS_PROXY) and that puts the value into HTTP(S) requests to the key's hosts only
(docs/placeholder-keys.md).

  --only NAMES   only these keys (comma-separated, or repeat the option)
  --no-project   ignore the project's .claude/secrets.json`,

  async run(argv, ctx) {
    const out = output(ctx);
    if (wantsHelp(argv)) {
      out.line(run.help);
      return 0;
    }
    const { head, command, args } = splitCommand(argv, USAGE);
    const p = parseArgs(head, { only: { type: 'string', multiple: true }, 'no-project': { type: 'boolean' } });
    positionals(p, [], "put the command after '--'");
    const only = list(p, 'only')
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return runWithKeys(ctx, { only, noProject: bool(p, 'no-project'), command, args, terminal: ctx.stdin.isTTY === true, warn: out.warn });
  },
};
