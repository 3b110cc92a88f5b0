// Torture 4: the bad-input matrix. Each case expects one clear line (or a systemMessage, for
// the session-start hook), the config untouched, and no value anywhere: not in any output, not
// in any file under HOME.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HAVE_SECRET_SERVICE, secretToolLookup, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { endInput, StandIn, startInput, type HookResult } from '../helpers/fake-claude/hooks.js';
import { leakingFiles, Outputs } from '../helpers/leak.js';
import { killStarted } from '../helpers/processes.js';
import { CLI, shellQuote as q } from '../helpers/spawn-cli.js';
import { cli, exists, leftovers, quiesce, retireWatchdogs, ROOT } from '../helpers/torture.js';

const AS_NOBODY = fileURLToPath(new URL('../helpers/children/as-nobody.mjs', import.meta.url));
const ORIGINAL = `${JSON.stringify({ numStartups: 4, mcpServers: { gh: { type: 'stdio', command: 'gh-mcp', args: [] } } }, null, 2)}\n`;
const oneLine = (s: string) => s.trim() !== '' && s.trim().split('\n').length === 1;

describe.runIf(HAVE_SECRET_SERVICE)('torture: bad input', () => {
  let t: TempHome;
  let config: string;
  let outputs: Outputs;
  let value: string;
  const standins: StandIn[] = [];

  beforeEach(() => {
    t = makeTempHome({ KEYRING_INJECT_SERVICE: testService() });
    config = join(t.home, '.claude.json');
    outputs = new Outputs();
    value = testSecret('bad');
  });
  afterEach(async () => {
    killStarted();
    for (const s of standins.splice(0)) s.kill();
    await retireWatchdogs(t.home);
    await quiesce(t.home, 2000);
    t.cleanup();
  });

  async function addKey(name = 'gh', server = 'gh', env = 'GITHUB_TOKEN', v = value) {
    const r = await cli(['add', name, '--server', server, '--env', env, '--stdin'], t.env, outputs, v);
    expect(r.code, r.stderr).toBe(0);
    return r;
  }
  function standIn(env = t.env): StandIn {
    const s = new StandIn(env, outputs);
    standins.push(s);
    return s;
  }
  async function hook(event: 'session-start' | 'session-end', sid = 'bad-1', c = standIn()): Promise<HookResult> {
    const r = await c.run(event, event === 'session-start' ? startInput(sid) : endInput(sid));
    expect(r, 'the stand-in died').toBeDefined();
    return r as HookResult;
  }
  /** Nothing of the value anywhere, in no output. */
  function noLeak(): void {
    expect(leakingFiles([value], [t.home])).toEqual([]);
    expect(outputs.leaks([value])).toEqual([]);
  }
  const systemMessage = (r: HookResult) => (r.out.trim() ? (JSON.parse(r.out) as { systemMessage?: string }).systemMessage : undefined);

  describe('config content', () => {
    for (const [label, text] of [
      ['malformed JSON', '{"mcpServers": {"gh": {"command": "gh-mcp"}'],
      ['an empty file', ''],
      ['JSONC with comments', '{\n  // my servers\n  "mcpServers": {"gh": {"command": "gh-mcp"}} /* trailing */\n}\n'],
    ] as const) {
      it(`${label}: one line naming the file, exit 1, file untouched`, async () => {
        writeFileSync(config, text, { mode: 0o600 });
        await addKey();
        const s = await hook('session-start');
        expect(s.code).toBe(1);
        expect(s.out).toBe('');
        expect(oneLine(s.err), s.err).toBe(true);
        expect(s.err).toMatch(/not valid JSON/);
        expect.soft(s.err, 'the message should name the config file (and not call it "unexpected")').toContain(config);
        expect.soft(s.err).not.toMatch(/unexpected error/);
        const c = await cli(['cleanup'], t.env, outputs);
        expect(c.code).toBe(1);
        expect(oneLine(c.stderr), c.stderr).toBe(true);
        expect(c.stderr).toContain(config);
        expect(readFileSync(config, 'utf8')).toBe(text);
        noLeak();
      });
    }

    it('a missing file: the session goes on (exit 0), no file is created', async () => {
      await addKey();
      const s = await hook('session-start');
      expect(s.code, s.err).toBe(0);
      expect(s.err).toBe('');
      expect(existsSync(config)).toBe(false);
      expect((await hook('session-end')).code).toBe(0);
      expect(existsSync(config)).toBe(false);
      noLeak();
    });

    it('a 20 MB config: inject and strip work, byte-exact, within the SessionEnd budget', async () => {
      const projects: Record<string, unknown> = {};
      const line = 'x'.repeat(180);
      for (let p = 0; p < 1100; p++)
        projects[`/home/user/project-${p}`] = { allowedTools: [], history: Array.from({ length: 80 }, (_, i) => ({ display: `${line} ${i}`, pastedContents: {} })), hasTrustDialogAccepted: true };
      // mcpServers last: the worst place for a scan from the top.
      const big = `${JSON.stringify({ numStartups: 900, projects, mcpServers: { gh: { type: 'stdio', command: 'gh-mcp', args: [] } } }, null, 2)}\n`;
      expect(big.length).toBeGreaterThan(20_000_000);
      writeFileSync(config, big, { mode: 0o600 });
      await addKey();
      const c = standIn();
      const s = await hook('session-start', 'big', c);
      expect(s.code, s.err).toBe(0);
      const during = readFileSync(config, 'utf8');
      expect(JSON.parse(during).mcpServers.gh.env.GITHUB_TOKEN).toBe(value);
      expect(during.length - big.length).toBeLessThan(200 + value.length);
      const e = await hook('session-end', 'big', c);
      expect(e.code, e.err).toBe(0);
      expect(readFileSync(config, 'utf8') === big, 'stripping did not restore the 20 MB file byte for byte').toBe(true);
      console.log(`  20 MB config: session-start ${s.ms.toFixed(0)} ms, session-end ${e.ms.toFixed(0)} ms (Claude Code's SessionEnd budget: 1500 ms)`);
      expect(e.ms).toBeLessThan(1500);
      expect(s.ms).toBeLessThan(5000);
      noLeak();
    }, 60_000);

    it('a read-only file: one line, exit 1, bytes and mode untouched; once made writable, the next session injects', async () => {
      writeFileSync(config, ORIGINAL);
      chmodSync(config, 0o444);
      await addKey();
      const a = standIn();
      const s = await hook('session-start', 'ro-a', a);
      expect(s.code).toBe(1);
      expect(oneLine(s.err), s.err).toBe(true);
      expect(s.err).toMatch(/read-only.*chmod u\+w/);
      expect(readFileSync(config, 'utf8')).toBe(ORIGINAL);
      expect(statSync(config).mode & 0o777).toBe(0o444);
      noLeak();
      // The user fixes the mode while session A still runs, and starts session B.
      chmodSync(config, 0o644);
      const b = await hook('session-start', 'ro-b');
      expect(b.code, b.err).toBe(0);
      const injected = (JSON.parse(readFileSync(config, 'utf8')) as { mcpServers: { gh: { env?: Record<string, string> } } }).mcpServers.gh.env?.GITHUB_TOKEN === value;
      console.log(`  read-only then writable: session B ${injected ? 'injected' : 'did NOT inject'} (systemMessage: ${systemMessage(b) ?? 'none'})`);
      expect(injected, 'after the failed injection, the next SessionStart believes the keys are in the config (state records written ahead) and injects nothing').toBe(true);
    });

    it('a symlinked config: the link stays a link, the target gets the key and loses it byte-exact', async () => {
      const dot = join(t.home, 'dotfiles');
      mkdirSync(dot);
      const target = join(dot, 'claude.json');
      writeFileSync(target, ORIGINAL, { mode: 0o600 });
      symlinkSync(target, config);
      await addKey();
      const c = standIn();
      const s = await hook('session-start', 'link', c);
      expect(s.code, s.err).toBe(0);
      expect(lstatSync(config).isSymbolicLink()).toBe(true);
      expect(readlinkSync(config)).toBe(target);
      expect(JSON.parse(readFileSync(target, 'utf8')).mcpServers.gh.env.GITHUB_TOKEN).toBe(value);
      const e = await hook('session-end', 'link', c);
      expect(e.code, e.err).toBe(0);
      expect(lstatSync(config).isSymbolicLink()).toBe(true);
      expect(readFileSync(target, 'utf8')).toBe(ORIGINAL);
      expect(leftovers(t.home)).toEqual({ lockDirs: [], holders: [], tempFiles: [], ownTempFiles: [] });
      noLeak();
    });

    it('a dangling symlink: one line, exit 1, the link stays dangling, nothing created', async () => {
      const target = join(t.home, 'gone', 'claude.json');
      symlinkSync(target, config);
      await addKey();
      const s = await hook('session-start');
      expect(s.code).toBe(1);
      expect(oneLine(s.err), s.err).toBe(true);
      expect(s.err).toMatch(/symlink to a file that does not exist/);
      expect(lstatSync(config).isSymbolicLink()).toBe(true);
      expect(existsSync(target)).toBe(false);
      const c = await cli(['cleanup'], t.env, outputs);
      expect(c.code).toBe(1);
      expect(oneLine(c.stderr), c.stderr).toBe(true);
      expect(lstatSync(config).isSymbolicLink()).toBe(true);
      noLeak();
    });
  });

  describe('permissions, as an unprivileged user', () => {
    // Root ignores permissions: the cases run as nobody (needs root and setpriv; skipped otherwise).
    // nobody must also be able to reach the checkout (a clone under a 0700 temp dir is not).
    const root =
      process.getuid?.() === 0 &&
      spawnSync('sh', ['-c', 'command -v setpriv'], { stdio: 'ignore' }).status === 0 &&
      spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', CLI], { stdio: 'ignore' }).status === 0;
    it.runIf(root)('a read-only directory and a config owned by another user (run as nobody)', () => {
      // The foreign config: root's, mode 0600, in a directory nobody may write (so our lock works).
      const foreign = mkdtempSync(join(tmpdir(), 'ki-foreign-'));
      try {
        chmodSync(foreign, 0o700);
        chownSync(foreign, 65534, 65534);
        writeFileSync(join(foreign, '.claude.json'), ORIGINAL, { mode: 0o600 });
        const script = `exec setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=${q(process.env.PATH ?? '/usr/bin:/bin')} KI_CLI=${q(CLI)} KI_FOREIGN_DIR=${q(foreign)} TMPDIR=/tmp bash ${q(join(ROOT, 'scripts/with-secret-service.sh'))} ${q(process.execPath)} ${q(AS_NOBODY)}`;
        const text = execFileSync('sh', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 });
        const r = JSON.parse(text.trim().split('\n').pop() as string);
        console.log(`  as nobody: read-only dir -> ${r.roDir.start.stderr.trim()} | foreign config -> ${r.foreign.start.stderr.trim()}`);
        expect(r.uid).toBe(65534);
        expect(r.add).toBe(0);
        // Read-only directory: the config cannot be replaced atomically.
        expect(r.roDir.start.code).toBe(1);
        expect(oneLine(r.roDir.start.stderr)).toBe(true);
        expect(r.roDir.untouched).toBe(true);
        expect(r.roDir.entries).toEqual(['.cache', '.claude', '.claude.json', '.config', '.local']);
        expect.soft(r.roDir.start.stderr, 'a permission problem reported as a busy lock ("retry in a moment")').not.toMatch(/retry in a moment/);
        expect.soft(r.roDir.start.stderr).toMatch(/writable|permission/i);
        // Foreign config: unreadable.
        expect(r.foreign.start.code).toBe(1);
        expect(oneLine(r.foreign.start.stderr)).toBe(true);
        expect(r.foreign.start.stderr).toMatch(/cannot read .*\.claude\.json \(EACCES\): check its permissions/);
        expect(r.foreign.cleanup.code).toBe(1);
        expect(oneLine(r.foreign.cleanup.stderr)).toBe(true);
        expect(readFileSync(join(foreign, '.claude.json'), 'utf8')).toBe(ORIGINAL);
        expect(statSync(join(foreign, '.claude.json')).uid).toBe(0);
        expect(r.filesWithValue).toEqual([]);
        expect(r.outputsWithValue).toBe(0);
      } finally {
        rmSync(foreign, { recursive: true, force: true });
      }
    });
  });

  describe('locks left behind', () => {
    const deadId = () => {
      const r = spawnSync('sh', ['-c', 'echo $$; cat /proc/$$/stat']);
      const [pid, stat] = r.stdout.toString().split('\n');
      const procStart = (stat as string).slice((stat as string).lastIndexOf(')') + 2).split(' ')[19];
      return { pid: Number(pid), procStart };
    };
    const stateLock = () => join(t.home, '.claude', 'keyring-inject', 'state.json.lock');

    it('a stale config lock (old mtime, no holder) and one whose holder is a dead process: taken over at once', async () => {
      writeFileSync(config, ORIGINAL, { mode: 0o600 });
      await addKey();
      const lock = `${config}.lock`;
      mkdirSync(lock);
      const old = new Date(Date.now() - 60_000);
      utimesSync(lock, old, old);
      const c = standIn();
      const s = await hook('session-start', 'stale', c);
      expect(s.code, s.err).toBe(0);
      expect(s.ms).toBeLessThan(1500);
      expect(readFileSync(config, 'utf8')).toContain('GITHUB_TOKEN');
      // Now a fresh lock whose holder sidecar names a dead process (a SIGKILLed keyring-inject).
      mkdirSync(lock);
      writeFileSync(`${lock}.holder`, JSON.stringify({ ...deadId(), lock: statSync(lock).ino }));
      const e = await hook('session-end', 'stale', c);
      expect(e.code, e.err).toBe(0);
      expect(e.ms).toBeLessThan(1500);
      expect(readFileSync(config, 'utf8')).toBe(ORIGINAL);
      expect(exists(lock) || exists(`${lock}.holder`)).toBe(false);
      noLeak();
    });

    it('a state lock whose holder is a dead process: taken over at once', async () => {
      writeFileSync(config, ORIGINAL, { mode: 0o600 });
      await addKey();
      mkdirSync(join(t.home, '.claude', 'keyring-inject'), { recursive: true });
      mkdirSync(stateLock());
      writeFileSync(`${stateLock()}.holder`, JSON.stringify(deadId()));
      const c = standIn();
      const s = await hook('session-start', 'stale-state', c);
      expect(s.code, s.err).toBe(0);
      expect(s.ms).toBeLessThan(1500);
      const e = await hook('session-end', 'stale-state', c);
      expect(e.code, e.err).toBe(0);
      expect(readFileSync(config, 'utf8')).toBe(ORIGINAL);
      noLeak();
    });

    it('a state lock WITHOUT holder, as left by a keyring-inject SIGKILLed between mkdir and writing the holder: SessionEnd still strips within its 1.5 s', async () => {
      // The crash test shows that a kill leaves exactly this (holder-less `state.json.lock`).
      // Claude Code never takes this lock, and ours write their holder within microseconds of
      // the mkdir: such a lock can only be an orphan.
      writeFileSync(config, ORIGINAL, { mode: 0o600 });
      await addKey();
      const c = standIn();
      expect((await hook('session-start', 'orphan', c)).code).toBe(0);
      expect(readFileSync(config, 'utf8')).toContain(value);
      await retireWatchdogs(t.home);
      mkdirSync(stateLock());
      const e = await hook('session-end', 'orphan', c);
      console.log(`  holder-less state lock: session-end exit ${e.code} after ${e.ms.toFixed(0)} ms: ${e.err.trim() || 'no message'}`);
      expect.soft(e.code, e.err).toBe(0);
      expect.soft(e.ms).toBeLessThan(1500);
      expect(readFileSync(config, 'utf8'), 'the key stayed in the config after the last SessionEnd').toBe(ORIGINAL);
    }, 20_000);

    it('a config lock whose holder is EMPTY, as left by a keyring-inject SIGKILLed while writing it: SessionEnd still strips within its 1.5 s', async () => {
      // The holder is first created empty under a name that says whose it is
      // (`<lock>.holder.<lock inode>-<pid>-<hex start>-<random>`), then written and renamed: a
      // kill in between leaves it empty, but its name still names the dead process.
      writeFileSync(config, ORIGINAL, { mode: 0o600 });
      await addKey();
      const c = standIn();
      expect((await hook('session-start', 'empty-holder', c)).code).toBe(0);
      await retireWatchdogs(t.home);
      mkdirSync(`${config}.lock`);
      const dead = deadId();
      const named = `${config}.lock.holder.${statSync(`${config}.lock`).ino}-${dead.pid}-${Buffer.from(dead.procStart as string).toString('hex')}-0123456789abcdef`;
      writeFileSync(named, '');
      const e = await hook('session-end', 'empty-holder', c);
      console.log(`  empty holder sidecar: session-end exit ${e.code} after ${e.ms.toFixed(0)} ms: ${e.err.trim() || 'no message'}`);
      expect.soft(e.code, e.err).toBe(0);
      expect.soft(e.ms).toBeLessThan(1500);
      expect(readFileSync(config, 'utf8'), 'the key stayed in the config after the last SessionEnd').toBe(ORIGINAL);
      expect(exists(named), 'the dead holder file is removed with its lock').toBe(false);
    }, 20_000);

    it('a config lock with no holder at all and a fresh mtime (what a live Claude Code lock looks like) is NOT taken over: the hook gives up with one line and the file is untouched', async () => {
      writeFileSync(config, ORIGINAL, { mode: 0o600 });
      await addKey();
      const c = standIn();
      mkdirSync(`${config}.lock`);
      const s = await hook('session-start', 'live-claude-lock', c);
      expect(s.err).toMatch(/could not lock .*\.claude\.json: Claude Code or another keyring-inject holds it/);
      expect(s.err.trim().split('\n')).toHaveLength(1);
      expect(readFileSync(config, 'utf8')).toBe(ORIGINAL);
      expect(exists(`${config}.lock`), 'the lock someone else holds is still there').toBe(true);
      rmdirSync(`${config}.lock`);
    }, 20_000);
  });

  describe('keyring not available', () => {
    beforeEach(() => writeFileSync(config, ORIGINAL, { mode: 0o600 }));

    it('no D-Bus session at all: exit 0 with a systemMessage about the keyring, nothing written', async () => {
      await addKey();
      const env = { ...t.env };
      delete env.DBUS_SESSION_BUS_ADDRESS;
      const c = standIn(env);
      const s = await hook('session-start', 'nobus', c);
      expect(s.code, s.err).toBe(0);
      expect(systemMessage(s)).toMatch(/could not read the keyring: .*DBUS_SESSION_BUS_ADDRESS/);
      expect(oneLine(s.out)).toBe(true);
      expect(readFileSync(config, 'utf8')).toBe(ORIGINAL);
      expect((await hook('session-end', 'nobus', c)).code).toBe(0);
      noLeak();
    });

    it('a locked collection: exit 0 with a systemMessage about the keyring, nothing written', async () => {
      await addKey();
      // A private bus whose login keyring exists but is locked (created with one password, the
      // daemon restarted without unlocking it), as in test/integration/headless-keyring.test.ts.
      const daemonPid = `$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets | awk '/uint32/ {print $2}')`;
      const script = `
        eval "$(printf %s pw1 | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
        printf %s x | node ${q(CLI)} add warmup --server s --env W --stdin >/dev/null 2>&1
        kill ${daemonPid}; sleep 0.3
        eval "$(gnome-keyring-daemon --start --components=secrets)" >/dev/null; sleep 0.3
        node -e 'process.exit(require("child_process").spawnSync("/bin/sh", ["-c", process.env.KI_HOOKCMD], { stdio: "inherit" }).status)'
        echo "rc=$?"`;
      // The hook runs under a node process (as under Claude Code), not directly under dbus-run-session.
      const hookCmd = `printf %s ${q(JSON.stringify(startInput('locked')))} | node ${q(CLI)} hook session-start >"$KI_OUT" 2>"$KI_ERR"`;
      const out = join(t.home, '..', `${t.home.split('/').pop()}-locked.out`);
      const err = `${out}.err`;
      const env = { ...t.env, XDG_DATA_HOME: join(t.home, 'private-keyring'), KI_OUT: out, KI_ERR: err, KI_HOOKCMD: hookCmd, KEYRING_INJECT_SERVICE: t.env.KEYRING_INJECT_SERVICE as string };
      delete (env as Record<string, string | undefined>).DBUS_SESSION_BUS_ADDRESS;
      const rc = execFileSync('dbus-run-session', ['--', 'sh', '-c', script], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 });
      const stdout = readFileSync(out, 'utf8');
      const stderr = readFileSync(err, 'utf8');
      rmSync(out, { force: true });
      rmSync(err, { force: true });
      outputs.add(stdout, stderr);
      expect(rc).toMatch(/rc=0/);
      expect(stderr).toBe('');
      const msg = (JSON.parse(stdout) as { systemMessage: string }).systemMessage;
      console.log(`  locked keyring: ${msg.slice(0, 160)}`);
      expect(msg).toMatch(/could not read the keyring: .*(locked|unlock)/i);
      expect(readFileSync(config, 'utf8')).toBe(ORIGINAL);
      noLeak();
    }, 30_000);
  });

  describe('hook stdin', () => {
    beforeEach(() => writeFileSync(config, ORIGINAL, { mode: 0o600 }));

    it('garbage, empty, wrong shapes, 300 KB, wrong event, and a stdin that never closes: one line, exit 1, nothing written', async () => {
      await addKey();
      const c = standIn();
      const inputs: [string, string][] = [
        ['garbage', 'this is not json \u0000\u0001 ]]]'],
        ['empty', ''],
        ['array', '[1,2,3]'],
        ['no session_id', JSON.stringify({ hook_event_name: 'SessionStart' })],
        ['bad session_id', JSON.stringify({ session_id: '../../etc/passwd', hook_event_name: 'SessionStart' })],
        ['huge', JSON.stringify({ session_id: 'x', hook_event_name: 'SessionStart', pad: 'a'.repeat(300_000) })],
        ['binary', '\u00ff\u00fe'.repeat(5000)],
      ];
      for (const event of ['session-start', 'session-end'] as const) {
        for (const [label, input] of inputs) {
          const r = await c.run(event, input);
          expect(r?.code, `${event} ${label}`).toBe(1);
          expect(r?.out, `${event} ${label}`).toBe('');
          expect(oneLine(r?.err ?? ''), `${event} ${label}: ${r?.err}`).toBe(true);
          expect(r?.err, `${event} ${label}`).toMatch(/nothing was changed/);
        }
        const wrong = await c.run(event, event === 'session-start' ? endInput('w') : startInput('w'));
        expect(wrong?.code).toBe(1);
        expect(wrong?.err).toMatch(/another event/);
      }
      // A stdin that stays open: the hook gives up after 3 s.
      const child = spawn(process.execPath, [CLI, 'hook', 'session-start'], { env: t.env, stdio: ['pipe', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const t0 = performance.now();
      const code = await new Promise<number | null>((r) => child.on('close', r));
      child.stdin.destroy();
      outputs.add(err);
      expect(code).toBe(1);
      expect(oneLine(err), err).toBe(true);
      expect(err).toMatch(/no input on stdin within 3 s/);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(readFileSync(config, 'utf8')).toBe(ORIGINAL);
      expect(existsSync(join(t.home, '.claude', 'keyring-inject', 'state.json'))).toBe(false);
      noLeak();
    }, 30_000);
  });

  describe('names and values', () => {
    beforeEach(() => writeFileSync(config, ORIGINAL, { mode: 0o600 }));

    it('values with unicode, quotes, backslashes, newlines, 8 KB: stored, injected exactly, stripped byte-exact', async () => {
      const head = `kitest-odd-${testSecret('u').slice(-12)} ünï©ødé 🔑 "quoted" 'single' back\\slash \\u0041 tab\tnewline\nCRLF\r\n$HOME \`cmd\` ;|&<>`;
      value = `${head}${'Z'.repeat(8192 - head.length - 1)}.`;
      expect(value.length).toBe(8192);
      await addKey('odd', 'gh', 'GITHUB_TOKEN', value);
      expect(secretToolLookup(t.env.KEYRING_INJECT_SERVICE as string, 'odd')).toBe(value);
      const c = standIn();
      expect((await hook('session-start', 'odd', c)).code).toBe(0);
      expect(JSON.parse(readFileSync(config, 'utf8')).mcpServers.gh.env.GITHUB_TOKEN).toBe(value);
      expect((await hook('session-end', 'odd', c)).code).toBe(0);
      expect(readFileSync(config, 'utf8')).toBe(ORIGINAL);
      const st = await cli(['status'], t.env, outputs);
      const ls = await cli(['list', '--json'], t.env, outputs);
      expect([st.code, ls.code]).toEqual([0, 0]);
      noLeak();
    });

    it('key names and env var names that are not names: refused with one line (exit 2), nothing stored', async () => {
      const service = t.env.KEYRING_INJECT_SERVICE as string;
      const badKeys = ['ключ', 'a"b', 'a\\b', 'a\nb', `k${'x'.repeat(8191)}`, '-starts-with-dash', ''];
      for (const name of badKeys) {
        const r = await cli(['add', name, '--server', 'gh', '--env', 'OK_VAR', '--stdin'], t.env, outputs, value);
        expect(r.code, JSON.stringify(name).slice(0, 40)).toBe(2);
        expect(oneLine(r.stderr), r.stderr.slice(0, 200)).toBe(true);
        if (name !== '' && !name.startsWith('-')) expect(r.stderr).toMatch(/invalid key name/);
        if (name !== '') expect(secretToolLookup(service, name)).toBeUndefined();
      }
      const badEnvs = ['BAD-NAME', '1ABC', 'A B', 'A=B', 'ÜBER', 'A\nB', `E${'x'.repeat(8191)}`];
      for (const env of badEnvs) {
        const r = await cli(['add', 'gh', '--server', 'gh', '--env', env, '--stdin'], t.env, outputs, value);
        expect(r.code, env.slice(0, 20)).toBe(2);
        expect(oneLine(r.stderr)).toBe(true);
        expect(r.stderr).toMatch(/invalid environment variable name/);
      }
      expect(secretToolLookup(service, 'gh'), 'a refused add stored the value anyway').toBeUndefined();
      expect(existsSync(join(t.home, '.claude', 'keyring-inject', 'registry.json')) && /"gh"/.test(readFileSync(join(t.home, '.claude', 'keyring-inject', 'registry.json'), 'utf8'))).toBe(false);
      expect(readFileSync(config, 'utf8')).toBe(ORIGINAL);
      noLeak();
    });

    it('a server that does not exist: add warns, session-start reports it as a missing server (exit 0), config untouched', async () => {
      const r = await cli(['add', 'ghost', '--server', 'no-such-server', '--env', 'TOKEN', '--stdin'], t.env, outputs, value);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/no-such-server.*is not in/);
      const c = standIn();
      const s = await hook('session-start', 'ghost', c);
      expect(s.code, s.err).toBe(0);
      expect(s.err).toBe('');
      expect(systemMessage(s)).toMatch(/no such MCP server: ghost -> no-such-server\.env\.TOKEN/);
      expect(readFileSync(config, 'utf8')).toBe(ORIGINAL);
      expect((await hook('session-end', 'ghost', c)).code).toBe(0);
      expect(readFileSync(config, 'utf8')).toBe(ORIGINAL);
      noLeak();
    });
  });
});
