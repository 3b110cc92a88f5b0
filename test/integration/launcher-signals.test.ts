// The launcher (`keyring-inject claude`) as a real process: a signal that reaches it at any
// moment after keys were injected goes to Claude Code, and the launcher strips and exits with
// the code a shell reports (128 + n); it never dies leaving Claude Code running with the keys.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killAll, killStarted, track, watchdogsFor } from '../helpers/processes.js';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLI, runNode } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { waitUntil } from '../helpers/wait.js';

const LOCK_HOLDER = fileURLToPath(new URL('../helpers/fake-claude/lock-holder.mjs', import.meta.url));

let t: TempHome;
beforeEach(() => {
  t = makeTempHome({ KEYRING_INJECT_SERVICE: testService() });
  writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { srv: { command: 'x', args: [] } } }, null, 2));
});
afterEach(async () => {
  killStarted();
  await waitUntil(() => watchdogsFor(t.home).length === 0, 5000);
  killAll(watchdogsFor(t.home));
  t.cleanup();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Run the launcher around a stand-in claude (a shell script); resolves with how it ended. `started` gets the launcher's pid. */
function launch(claudeScript: string, started?: (pid: number) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const bin = join(t.home, 'claude');
  writeFileSync(bin, claudeScript);
  chmodSync(bin, 0o755);
  const p = spawn(process.execPath, [CLI, 'claude'], { env: { ...t.env, KEYRING_INJECT_CLAUDE_BIN: bin }, cwd: t.home, stdio: ['ignore', 'ignore', 'pipe'] });
  started?.(p.pid as number);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
  track(
    () => p.kill('SIGKILL'),
    exited.then(() => undefined),
  );
  return exited;
}

describe.runIf(HAVE_SECRET_SERVICE)('the launcher as a process', () => {
  it('a SIGTERM that arrives while the launcher records Claude Code goes to Claude Code; the launcher strips and exits 143', async () => {
    const v = testSecret('launcher');
    const add = await runNode([CLI, 'add', 'tok', '--server', 'srv', '--env', 'SRV_TOKEN', '--stdin'], { env: t.env, input: v });
    expect(add.code, add.stderr).toBe(0);
    // Many backups make the launcher's session start (it looks at each of Claude Code's copies)
    // slow, so the stand-in surely catches the launcher between starting it and recording it.
    const backups = join(t.home, '.claude', 'backups');
    mkdirSync(backups, { recursive: true });
    for (let i = 0; i < 3000; i++) writeFileSync(join(backups, `.claude.json.backup.${1000 + i}`), '{}');
    const pidFile = join(t.home, 'claude.pid');
    // The stand-in stops the launcher wherever it is, queues a SIGTERM for it and lets it go on.
    const standIn = `#!/bin/sh\nkill -STOP $PPID\necho $$ > '${pidFile}'\nkill -TERM $PPID\nkill -CONT $PPID\nexec sleep 30\n`;
    for (let trial = 0; trial < 4; trial++) {
      const r = await launch(standIn);
      const claudePid = Number(readFileSync(pidFile, 'utf8'));
      const claudeLeft = alive(claudePid);
      if (claudeLeft) process.kill(claudePid, 'SIGKILL');
      expect({ trial, code: r.code, signal: r.signal, claudeLeft }, r.stderr).toEqual({ trial, code: 143, signal: null, claudeLeft: false });
      expect(readFileSync(join(t.home, '.claude.json'), 'utf8')).not.toContain(v);
    }
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('a %s before Claude Code starts (here: while the launcher waits for the config lock to inject): it never starts, exit %i', async (sig, code) => {
    const v = testSecret('launcher');
    const add = await runNode([CLI, 'add', 'tok', '--server', 'srv', '--env', 'SRV_TOKEN', '--stdin'], { env: t.env, input: v });
    expect(add.code, add.stderr).toBe(0);
    const config = join(t.home, '.claude.json');
    // Claude Code's side of the config lock, held for a while.
    const holder = spawn(process.execPath, [LOCK_HOLDER, config, join(t.home, 'lock.log'), '1500'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const holderGone = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
    track(() => holder.kill('SIGKILL'), holderGone);
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const pidFile = join(t.home, 'claude.pid');
    let launcher = 0;
    const ended = launch(`#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 30\n`, (pid) => (launcher = pid));
    // Our state lock taken: the launcher is in its session start, waiting for the config lock.
    expect(await waitUntil(() => existsSync(join(t.home, '.claude', 'keyring-inject', 'state.json.lock')), 10_000, 5)).toBe(true);
    process.kill(launcher, sig);
    const r = await ended;
    await holderGone;
    expect({ code: r.code, signal: r.signal, claudeStarted: existsSync(pidFile) }, r.stderr).toEqual({ code, signal: null, claudeStarted: false });
    expect(readFileSync(config, 'utf8')).not.toContain(v);
  });

  it('exits with the code a shell reports for the signal that ended Claude Code (SIGUSR1: 138)', async () => {
    const r = await launch('#!/bin/sh\nkill -USR1 $$\n');
    expect(r.code, r.stderr).toBe(138);
  });
});
