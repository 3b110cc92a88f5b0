import { sweepDead } from '../../engine/engine.js';
import { configCopies, scrubCopies } from '../../engine/scrub.js';
import { identify, isAlive } from '../../engine/process-info.js';
import { readStateForReport, sessionAlive } from '../../engine/state.js';
import { stat } from 'node:fs/promises';
import type { Command } from '../command.js';
import { engineContext } from '../context.js';

const TICK_MS = 500;

export const watchdog: Command = {
  name: 'watchdog',
  summary: '(internal) strips keys when every session died without SessionEnd',
  help: `Usage: keyring-inject watchdog

Started detached by the SessionStart hook and the launcher; you do not run it yourself. Every
0.5 s it checks that the recorded Claude Code processes are alive (pid and start time). When
none is, it strips what was injected and exits. While sessions live, it also scrubs injected
values out of new Claude Code backups. It exits when there is nothing left to watch, or when
another watchdog has taken over.`,

  async run(_argv, ctx) {
    const me = identify(process.pid);
    const engine = engineContext({ ...ctx, spawnWatchdog: undefined });
    let lastCopies = '';
    for (let tick = 0; ; tick++) {
      const state = await readStateForReport(ctx.paths);
      if (state.watchdog && me && (state.watchdog.pid !== me.pid || state.watchdog.procStart !== me.procStart) && isAlive(state.watchdog)) return 0;
      if (state.sessions.length === 0 && state.injected.length === 0) return 0;
      if (!state.sessions.some(sessionAlive)) {
        const done = await sweepDead(engine).catch(() => undefined);
        if (done) return 0;
      } else if (tick % 4 === 0 && state.injected.length > 0) {
        // Claude Code copies the config into backups while a key is in it: scrub new copies.
        const sig = await copiesSignature(ctx.paths);
        if (sig !== lastCopies) {
          await scrubCopies(ctx.paths, state.injected, [], false).catch(() => undefined);
          lastCopies = await copiesSignature(ctx.paths);
        }
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
  },
};

async function copiesSignature(paths: Parameters<typeof configCopies>[0]): Promise<string> {
  const files = await configCopies(paths);
  const stats = await Promise.all(files.map((f) => stat(f).then((s) => `${f}:${s.mtimeMs}:${s.size}`, () => f)));
  return stats.join('|');
}
