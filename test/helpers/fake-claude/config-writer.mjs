// Writes ~/.claude.json the way Claude Code does (see /work/shared/reference/claude-code-facts.md):
// proper-lockfile `lockSync(file, {lockfilePath: file + '.lock'})` with the UNRESOLVED path; when
// the lock is held (ELOCKED) it does NOT wait but re-reads and writes WITHOUT the lock; it changes
// one top-level key of its own (`<name>: i`), writes `JSON.stringify(config, null, 2)` to
// `<target>.tmp.<pid>.<12 hex>`, fsyncs and renames over the target (through a symlink, keeping
// the mode). Loops until the deadline.
//
// Claude-side actors (these writers and the real `claude mcp` calls of the test) take turns on a
// private mutex (a directory): two Claude Code processes racing each other can lose each other's
// updates in the real client too, which is not keyring-inject's doing. Against keyring-inject
// they use nothing but the real lock protocol above, so any lost update is ours.
//
// Usage: node config-writer.mjs CONFIG NAME DURATION_MS MIN_PAUSE_MS MAX_PAUSE_MS MUTEX_DIR
// Prints one JSON line at the end: {"name", "writes", "unlocked", "final", "errors", "unlockedWrites"},
// where unlockedWrites lists [i, epoch ms, who held the lock] for each write made without the lock
// (the holder read from keyring-inject's `<lock>.holder` sidecar, as its command line).
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmdirSync, statSync, writeSync } from 'node:fs';
import lockfile from 'proper-lockfile';

const [file, name, durationS, minS, maxS, mutex] = process.argv.slice(2);
const deadline = Date.now() + Number(durationS);
const pause = () => Number(minS) + Math.random() * (Number(maxS) - Number(minS));
const nap = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function withMutex(fn) {
  for (;;) {
    try {
      mkdirSync(mutex);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      nap(1);
    }
  }
  try {
    return fn();
  } finally {
    rmdirSync(mutex);
  }
}

function holder() {
  try {
    const { pid } = JSON.parse(readFileSync(`${file}.lock.holder`, 'utf8'));
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const at = argv.findIndex((a) => a.endsWith('cli.js'));
    return `keyring-inject ${argv.slice(at + 1).join(' ')}`.trim();
  } catch {
    return 'unknown (no holder sidecar)';
  }
}

const unlockedWrites = [];
let writes = 0;
let unlocked = 0;
let errors = 0;
let final = 0;
for (let i = 1; Date.now() < deadline; i++) {
  withMutex(() => {
    let release;
    let heldBy;
    try {
      release = lockfile.lockSync(file, { lockfilePath: `${file}.lock` });
    } catch (err) {
      if (err.code !== 'ELOCKED') throw err;
      unlocked++; // "Failed to save config with lock": re-read and write without it
      heldBy = holder();
    }
    try {
      const target = realpathSync(file);
      const config = JSON.parse(readFileSync(target, 'utf8'));
      config[name] = i;
      const tmp = `${target}.tmp.${process.pid}.${randomBytes(6).toString('hex')}`;
      const fd = openSync(tmp, 'w', statSync(target).mode & 0o7777);
      writeSync(fd, JSON.stringify(config, null, 2));
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, target);
      writes++;
      final = i;
      if (heldBy) unlockedWrites.push([i, Date.now(), heldBy]);
    } catch (err) {
      errors++;
      process.stderr.write(`${name}: ${err.code ?? err.message}\n`);
    } finally {
      release?.();
    }
  });
  await sleep(pause());
}
process.stdout.write(`${JSON.stringify({ name, writes, unlocked, final, errors, unlockedWrites })}\n`);
