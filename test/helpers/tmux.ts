// A program on a real terminal: a detached tmux session on a private socket, its screen, and a
// wait for text to appear (for tests of prompts that need a TTY).
import { execFileSync, spawnSync } from 'node:child_process';

export const HAVE_TMUX = spawnSync('sh', ['-c', 'command -v tmux'], { stdio: 'ignore' }).status === 0;

export interface Terminal {
  /** Start `command` (a shell command line) in a new session. */
  start(command: string, size?: { width: number; height: number }): void;
  /** Send keys (tmux key names, e.g. 'Enter', 'BSpace'); `literal` sends the text as typed. */
  keys(keys: string[], literal?: boolean): void;
  /** The screen and its scroll-back, wrapped lines joined. */
  screen(): string;
  /** Waits (up to `ms`) until the screen shows `text`; returns the screen. */
  waitFor(text: string, ms?: number): Promise<string>;
  kill(): void;
}

export function terminal(socket: string, session: string, env: Record<string, string>): Terminal {
  // No shell history: a shell killed with the server writes it to its HOME on the way out, after
  // the test (or the run's wrapper) may already have removed that HOME, and leaves it behind.
  const tmuxEnv = { ...env, HISTFILE: '/dev/null' };
  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8', env: tmuxEnv });
  const screen = () => tmux('capture-pane', '-p', '-J', '-t', session, '-S', '-200');
  return {
    start: (command, size = { width: 200, height: 50 }) => void tmux('new-session', '-d', '-s', session, '-x', String(size.width), '-y', String(size.height), command),
    keys: (keys, literal = false) => void tmux('send-keys', '-t', session, ...(literal ? ['-l'] : []), ...keys),
    screen,
    waitFor: async (text, ms = 15_000) => {
      for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
        const s = screen();
        if (s.includes(text)) return s;
      }
      throw new Error(`screen never showed ${JSON.stringify(text)}:\n${screen()}`);
    },
    kill: () => void spawnSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' }),
  };
}
