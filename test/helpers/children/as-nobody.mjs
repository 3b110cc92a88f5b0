// Run as an unprivileged user (the test starts it with `setpriv` as nobody, inside
// scripts/with-secret-service.sh: its own D-Bus, keyring and HOME), because root ignores file
// permissions. Two cases: the config's directory is read-only, and the config belongs to another
// user (root, 0600; reached through CLAUDE_CONFIG_DIR=$KI_FOREIGN_DIR). Hooks run through
// `/bin/sh -c` from this process, which stands in for Claude Code. Prints one JSON line with
// exit codes, stderr lines and checks, never a value.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CLI = process.env.KI_CLI;
const HOME = process.env.HOME;
const value = `kitest-nobody-${randomBytes(12).toString('hex')}`;
const original = `${JSON.stringify({ mcpServers: { gh: { type: 'stdio', command: 'gh-mcp' } } }, null, 2)}\n`;
const outputs = [];

function run(args, env, input = '') {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, input, encoding: 'utf8' });
  outputs.push(r.stdout, r.stderr);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function hook(event, env) {
  const input = JSON.stringify({ session_id: `nobody-${event}`, hook_event_name: event === 'session-start' ? 'SessionStart' : 'SessionEnd', source: 'startup', reason: 'other' });
  const r = spawnSync('/bin/sh', ['-c', `'${process.execPath}' '${CLI}' hook ${event}`], { env, input, encoding: 'utf8' });
  outputs.push(r.stdout, r.stderr);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function filesWithValue(dir) {
  const hits = [];
  const walk = (d) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && readFileSync(p).includes(Buffer.from(value))) hits.push(p.slice(dir.length));
    }
  };
  walk(dir);
  return hits;
}

const env = { PATH: process.env.PATH, HOME, DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS, KEYRING_INJECT_SERVICE: `ki-nobody-${process.pid}`, NO_COLOR: '1' };
const out = { uid: process.getuid() };

// 1. Read-only directory.
const config = join(HOME, '.claude.json');
writeFileSync(config, original, { mode: 0o600 });
out.add = run(['add', 'gh', '--server', 'gh', '--env', 'GITHUB_TOKEN', '--stdin'], env, value).code;
chmodSync(HOME, 0o555);
out.roDir = { start: hook('session-start', env) };
out.roDir.end = hook('session-end', env);
out.roDir.cleanup = run(['cleanup'], env);
out.roDir.untouched = readFileSync(config, 'utf8') === original;
out.roDir.entries = readdirSync(HOME).sort();
chmodSync(HOME, 0o700);

// 2. A config owned by another user, not readable by us.
const fenv = { ...env, CLAUDE_CONFIG_DIR: process.env.KI_FOREIGN_DIR, KEYRING_INJECT_HOME: join(HOME, 'ki-foreign') };
out.foreign = { add: run(['add', 'gh2', '--server', 'gh', '--env', 'GITHUB_TOKEN', '--stdin'], fenv, value) };
out.foreign.start = hook('session-start', fenv);
out.foreign.end = hook('session-end', fenv);
out.foreign.cleanup = run(['cleanup'], fenv);
out.foreign.mode = (statSync(process.env.KI_FOREIGN_DIR).mode & 0o777).toString(8);

spawnSync('sleep', ['0.3']);
out.filesWithValue = filesWithValue(HOME).filter((f) => !f.startsWith('/.local/share/keyrings/'));
out.outputsWithValue = outputs.filter((o) => o?.includes(value)).length;
process.stdout.write(`${JSON.stringify(out)}\n`);
