// The SessionStart hook spawns the watchdog while it holds the state lock, and writes the first
// state (with the session) only afterwards. A watchdog that looks before that write must wait for
// it, not take the missing file for "nothing to watch" and exit: on a first session that left a
// SIGKILLed client's keys with no one to strip them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { identify } from '../../src/core/process-info.js';
import { claudePaths } from '../../src/core/paths.js';
import { withLock, writePrivateFile } from '../../src/core/secure-file.js';
import { stateFile } from '../../src/engine/state.js';
import { CLI } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome | undefined;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.length = 0;
  t?.cleanup();
  t = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

it('a watchdog started before the first state is written waits for it, watches the session, and exits after it', async () => {
  t = makeTempHome();
  const paths = claudePaths(t.env);
  mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  const client = spawn('sleep', ['60']);
  children.push(client);
  const session = identify(client.pid as number);
  expect(session).toBeDefined();

  let watchdog: ChildProcess | undefined;
  await withLock(stateFile(paths), async () => {
    watchdog = spawn(process.execPath, [CLI, 'watchdog'], { env: t?.env, stdio: 'ignore' });
    children.push(watchdog);
    await sleep(800); // the watchdog is up and looks while the file is still missing
    const wd = identify(watchdog.pid as number);
    await writePrivateFile(stateFile(paths), JSON.stringify({ version: 1, sessions: [{ ...session, startedAt: new Date().toISOString() }], injected: [], ...(wd ? { watchdog: wd } : {}) }));
  });
  if (!watchdog) throw new Error('no watchdog spawned');
  await sleep(1500);
  expect(watchdog.exitCode, 'the watchdog exited while its session lives').toBeNull();

  client.kill('SIGKILL');
  const done = await Promise.race([exited(watchdog).then(() => true), sleep(10_000).then(() => false)]);
  expect(done, 'the watchdog exits once its session is gone').toBe(true);
  expect(JSON.parse(readFileSync(stateFile(paths), 'utf8')).sessions).toEqual([]);
}, 30_000);
