// `keyring-inject watchdog`: the detached process the session hooks start; the loop is the op's.
import { watchSessions } from '../../ops/watch-sessions.js';
import type { Command } from '../command.js';
import { ensureGuardServiceProcess } from '../guard-service-start.js';

export const watchdog: Command = {
  name: 'watchdog',
  example: 'keyring-inject status   # shows whether the watchdog runs (the SessionStart hook starts it)',
  help: `Usage: keyring-inject watchdog

Started detached by the SessionStart hook and the launcher; you do not run it yourself. Every
0.5 s it checks that the recorded Claude Code processes are alive (pid and start time). When
none is, it strips what was injected. While sessions live, it scrubs injected values out of new
Claude Code backups (every 2 s). After a strip it re-checks for 3 s that no racing writer put a
value back, then exits. It also exits when another watchdog has taken over.

When our state file was damaged or removed during a session, it reads the keyring (the
session-end hook never does), finds the injected values and the live Claude Code sessions
again, and goes on as before. When it cannot finish (20 failed rounds in a row), it leaves a
notice that 'status' and the next SessionStart message show.`,

  run: (_argv, ctx) => watchSessions(ctx, { ensureGuardService: () => ensureGuardServiceProcess(ctx.paths, ctx.env) }),
};
