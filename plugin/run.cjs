'use strict';
// keyring-inject as a Claude Code plugin: every hook in hooks/hooks.json runs this file.
// A plugin installed from a git marketplace is a plain clone of the repository: no dist/, no
// node_modules, nobody ran npm in it. So this file, plain JavaScript with no dependency, runs
// the first of:
//   1. <plugin root>/dist/cli.js: a built checkout, or the npm package used as a plugin directory;
//   2. <CLAUDE_PLUGIN_DATA>/<id>/dist/cli.js: the runtime built here by an earlier session;
//   3. at SessionStart only, build that runtime once: `npm install` of the dependencies
//      package.json pins (exact versions) plus esbuild, into a temp directory under
//      CLAUDE_PLUGIN_DATA (which survives plugin updates), the plugin's own sources bundled by its
//      own scripts/build.mjs, then renamed into place. Nothing is fetched but those npm packages.
//      Other hooks meanwhile say so in one line and let the session go on.
// Nothing here writes to stdout: a SessionStart hook's stdout goes into the model's context.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const built = path.join(root, 'dist', 'cli.js');

function say(line) {
  process.stderr.write(`keyring-inject: ${line}\n`);
}

function main() {
  if (fs.existsSync(built)) return require(built);
  const data = process.env.CLAUDE_PLUGIN_DATA;
  if (!data) {
    say('CLAUDE_PLUGIN_DATA is not set (Claude Code sets it for plugin hooks); nothing to run');
    process.exitCode = 1;
    return undefined;
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  // One runtime per plugin version and location (an update installs to a new directory).
  const id = `${pkg.version}-${require('crypto').createHash('sha256').update(root).digest('hex').slice(0, 12)}`;
  const cli = path.join(data, id, 'dist', 'cli.js');
  if (fs.existsSync(cli)) return require(cli);
  if (process.argv[2] !== 'hook' || process.argv[3] !== 'session-start') {
    say('the plugin runtime is not built yet (the next session start builds it); this hook did nothing');
    return undefined;
  }
  if (!build(pkg, data, id)) {
    process.exitCode = 1;
    return undefined;
  }
  return require(cli);
}

function build(pkg, data, id) {
  const cp = require('child_process');
  fs.mkdirSync(data, { recursive: true, mode: 0o700 });
  const lock = path.join(data, '.building');
  try {
    fs.mkdirSync(lock);
  } catch {
    const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    if (age < 5 * 60_000) {
      say('another session is building the plugin runtime; this hook did nothing');
      return false;
    }
    fs.rmSync(lock, { recursive: true, force: true });
    fs.mkdirSync(lock);
  }
  const tmp = path.join(data, `.build-${process.pid}`);
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(path.join(tmp, 'scripts'), { recursive: true });
    // optionalDependencies: the config write's swap binary (core/rename-exchange.ts) for this platform.
    const manifest = { name: 'keyring-inject-runtime', version: pkg.version, private: true, dependencies: { ...pkg.dependencies, esbuild: pkg.devDependencies.esbuild }, optionalDependencies: pkg.optionalDependencies };
    fs.writeFileSync(path.join(tmp, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.cpSync(path.join(root, 'src'), path.join(tmp, 'src'), { recursive: true });
    fs.copyFileSync(path.join(root, 'scripts', 'build.mjs'), path.join(tmp, 'scripts', 'build.mjs'));
    say(`building the plugin runtime in ${path.join(data, id)} (once)`);
    const run = (cmd, args) => {
      const r = cp.spawnSync(cmd, args, { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', shell: process.platform === 'win32', timeout: 120_000 });
      if (r.status !== 0) throw new Error(`${cmd} ${args[0]} failed${r.error ? ` (${r.error.code || r.error.message})` : ''}: ${String(r.stderr || '').trim().split('\n').pop() || `exit ${r.status}`}`);
    };
    run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', '--loglevel=error']);
    run(process.execPath, [path.join('scripts', 'build.mjs')]);
    fs.rmSync(path.join(tmp, 'src'), { recursive: true, force: true });
    fs.renameSync(tmp, path.join(data, id));
    return true;
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    say(`could not build the plugin runtime: ${String(err.message).split('\n')[0]}; install keyring-inject with npm instead (see docs/install.md)`);
    return false;
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

main();
