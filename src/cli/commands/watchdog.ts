import { watchTick } from '../../engine/engine.js';
import { identify, isAlive } from '../../core/process-info.js';
import { existsSync } from 'node:fs';
import { readStateForReport, stateFile } from '../../engine/state.js';
import type { Command } from '../command.js';
import { engineContext } from '../context.js';

const TICK_MS = 500;
/** A watchdog that keeps failing (a vanished HOME, a broken disk) must not live on forever. */
const MAX_FAILED_TICKS = 20;

export const watchdog: Command = {
  name: 'watchdog',
  example: 'keyring-inject status   # shows whether the watchdog runs (the SessionStart hook starts it)',
  help: `Usage: keyring-inject watchdog

Started detached by the SessionStart hook and the launcher; you do not run it yourself. Every
0.5 s it checks that the recorded Claude Code processes are alive (pid and start time). When
none is, it strips what was injected. While sessions live, it scrubs injected values out of new
Claude Code backups (every 2 s). After a strip it re-checks for 3 s that no racing writer put a
value back, then exits. It also exits when another watchdog has taken over.`,

  async run(_argv, ctx) {
    const me = identify(process.pid);
    const engine = engineContext({ ...ctx, spawnWatchdog: undefined });
    let failed = 0;
    for (let tick = 0; ; tick++) {
      if (!existsSync(stateFile(ctx.paths))) return 0;
      const recorded = (await readStateForReport(ctx.paths)).watchdog;
      if (recorded && me && (recorded.pid !== me.pid || recorded.procStart !== me.procStart) && isAlive(recorded)) return 0;
      const more = await watchTick(engine, tick % 4 === 0, me).then(
        (m) => ((failed = 0), m),
        () => ++failed < MAX_FAILED_TICKS,
      );
      if (!more) return 0;
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
  },
};
