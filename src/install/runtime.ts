// The installed runtime: a self-contained, versioned copy of what the hooks, guards and wrapped
// servers run, under our data dir, so that deleting the clone, the global install or the npx
// cache breaks nothing.
//
//   <data>/runtime/
//     package.json             {"type":"commonjs"}: a package.json of the user's above us cannot turn our .js into ESM
//     cli.js                   THE stable path: a tiny launcher that requires ./<version>-<hash>/cli.js
//     <version>-<hash>/        cli.js code-cache.js hook.js guard.js guard-service.js watchdog.js main.js package.json
//                              (and the V8 code caches that code-cache.js writes beside them)
//       node_modules/@napi-rs/keyring, node_modules/@napi-rs/keyring-<this platform>
//       node_modules/@koromix/koffi-<this platform>   (the config write's swap; Linux and macOS)
//
// An upgrade copies a new <version>-<hash>/ beside the old one (into a temp dir, renamed into
// place) and then replaces the launcher with one rename: a hook starting meanwhile runs either
// the old or the new copy, never half of one. Why a launcher file rather than a symlink: renaming
// a symlink over another is atomic on POSIX only; Windows needs privileges for symlinks and cannot
// rename a directory junction over another, while renaming a file over a file works everywhere.
// The previous copy stays (a hook started just before the switch may still load its keyring
// binding lazily from it); older ones are removed.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomicSync } from '../core/atomic-write.js';
import { KiError, oneLine } from '../core/errors.js';
import { runtimeLauncher } from '../core/paths.js';

/** The files of dist/ that make up a runtime (scripts/build.mjs writes them). */
export const BUNDLE_FILES = ['cli.js', 'code-cache.js', 'hook.js', 'guard.js', 'guard-service.js', 'watchdog.js', 'main.js', 'proxy-preload.js', 'undici.js', 'x509.js', 'package.json'] as const;

/** The native keyring package, kept external by the build. */
const KEYRING_PACKAGE = '@napi-rs/keyring';
/** The FFI binary the config write swaps with (core/rename-exchange.ts), also external; none for Windows. */
const SWAP_PACKAGE = `@koromix/koffi-${process.platform}-${process.arch}`;

/** An installed package: its name (its path under node_modules) and its directory. */
interface PackageDir {
  name: string;
  dir: string;
}

export interface RuntimePaths {
  /** <data>/runtime */
  root: string;
  /** <data>/runtime/cli.js: the one path hooks and wrapped entries name. */
  launcher: string;
}

export function runtimePaths(dataDir: string): RuntimePaths {
  const launcher = runtimeLauncher(dataDir);
  return { root: dirname(launcher), launcher };
}

export interface InstalledRuntime extends RuntimePaths {
  /** `<version>-<hash>`: the directory the launcher points to. */
  id: string;
  /** Absolute path of that directory. */
  dir: string;
  /** False when this very copy was already installed and current. */
  changed: boolean;
}

/**
 * The directory of the running bundle (dist/, or a runtime copy), or undefined when not running
 * from a bundle (the test runner runs the TypeScript sources).
 */
export function bundleDir(): string | undefined {
  const dir = typeof __dirname === 'string' ? __dirname : undefined;
  return dir !== undefined && BUNDLE_FILES.every((f) => existsSync(join(dir, f))) ? dir : undefined;
}

/**
 * Where to copy a runtime from: the running bundle's directory, or, when running from the
 * TypeScript sources (the test runner), the build beside them (dist/).
 */
export function runtimeSourceDir(): string | undefined {
  const bundle = bundleDir();
  if (bundle !== undefined) return bundle;
  try {
    // In the CommonJS bundle import.meta is empty and this throws; bundleDir() answered above.
    const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
    return BUNDLE_FILES.every((f) => existsSync(join(dist, f))) ? dist : undefined;
  } catch {
    return undefined;
  }
}

/** The runtime's id: `<version>-<12 hex of the bundles' and the native packages' bytes>`. */
function runtimeId(sourceDir: string, nativeDirs: readonly PackageDir[]): string {
  const hash = createHash('sha256');
  for (const f of BUNDLE_FILES)
    hash
      .update(f)
      .update('\0')
      .update(readFileSync(join(sourceDir, f)));
  for (const d of nativeDirs)
    hash
      .update(d.name)
      .update('\0')
      .update(readFileSync(join(d.dir, 'package.json')));
  let version = '0.0.0';
  try {
    const v = (JSON.parse(readFileSync(join(sourceDir, 'package.json'), 'utf8')) as { version?: unknown }).version;
    if (typeof v === 'string' && /^[0-9A-Za-z.+-]{1,40}$/.test(v)) version = v;
  } catch {
    // no version recorded: the hash alone tells copies apart
  }
  return `${version}-${hash.digest('hex').slice(0, 12)}`;
}

/** The directory of package `name` as `req` finds it (by its entry point: a package's `exports` may hide its package.json). */
function packageDir(req: NodeJS.Require, name: string): string {
  const entry = req.resolve(name);
  const marker = join('node_modules', name);
  const at = entry.lastIndexOf(marker);
  if (at < 0) throw new Error(`${name} resolved outside node_modules: ${entry}`);
  return entry.slice(0, at + marker.length);
}

/** The keyring package, the platform binding package(s) installed beside it, and the swap's binary where there is one. */
function nativePackageDirs(sourceDir: string): PackageDir[] {
  const req = createRequire(join(sourceDir, 'cli.js'));
  let main: string;
  try {
    main = packageDir(req, KEYRING_PACKAGE);
  } catch {
    throw new KiError('install-broken', `cannot find ${KEYRING_PACKAGE} next to ${sourceDir}: reinstall keyring-inject (npm install -g keyring-inject, or npm ci in a clone) and retry`);
  }
  const dirs: PackageDir[] = [{ name: KEYRING_PACKAGE, dir: main }];
  const pkg = JSON.parse(readFileSync(join(main, 'package.json'), 'utf8')) as { optionalDependencies?: Record<string, string> };
  const fromMain = createRequire(join(main, 'package.json'));
  for (const dep of Object.keys(pkg.optionalDependencies ?? {})) {
    try {
      dirs.push({ name: dep, dir: packageDir(fromMain, dep) });
    } catch {
      // another platform's binding: not installed here, not needed here
    }
  }
  if (dirs.length === 1) throw new KiError('install-broken', `${KEYRING_PACKAGE} has no native binding for ${process.platform}-${process.arch} installed: reinstall keyring-inject and retry`);
  try {
    dirs.push({ name: SWAP_PACKAGE, dir: packageDir(req, SWAP_PACKAGE) });
  } catch {
    // no binary for this platform: the config write renames as before (core/atomic-write.ts)
  }
  return dirs;
}

function launcherText(id: string): string {
  // Plain ES2015 CommonJS, no dependency: it runs before anything else of ours.
  return `'use strict';
// keyring-inject's stable entry point, written by 'keyring-inject install'. An upgrade replaces
// this file in one rename; the directory it names holds the code.
const path = require('path');
const cli = path.join(__dirname, ${JSON.stringify(id)}, 'cli.js');
if (require('fs').existsSync(cli)) {
  require(cli);
} else {
  process.stderr.write('keyring-inject: its runtime ' + path.dirname(cli) + ' is gone; run: keyring-inject install\\n');
  process.exitCode = 1;
}
`;
}

/** Write `text` to `file` (0644) through the one atomic writer. */
function replaceFile(file: string, text: string): void {
  writeFileAtomicSync(file, text, { mode: 0o644 });
}

/** The id the launcher currently points to, or undefined. */
export function currentRuntimeId(dataDir: string): string | undefined {
  try {
    const text = readFileSync(runtimePaths(dataDir).launcher, 'utf8');
    return /path\.join\(__dirname, "([^"]+)", 'cli\.js'\)/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Copy the bundles in `sourceDir` (dist/ of a package or clone, or a runtime copy) and the
 * native packages for this platform under `<dataDir>/runtime/<id>/`, then point the launcher at
 * it. Idempotent: the same bytes give the same id and no copy.
 */
export function installRuntime(dataDir: string, sourceDir: string): InstalledRuntime {
  const paths = runtimePaths(dataDir);
  for (const f of BUNDLE_FILES) {
    if (!existsSync(join(sourceDir, f))) throw new KiError('install-broken', `${join(sourceDir, f)} is missing: build keyring-inject (npm run build) and retry`);
  }
  const nativeDirs = nativePackageDirs(sourceDir);
  const id = runtimeId(sourceDir, nativeDirs);
  const dir = join(paths.root, id);
  const previous = currentRuntimeId(dataDir);
  try {
    mkdirSync(paths.root, { recursive: true, mode: 0o700 });
    if (!existsSync(join(dir, 'cli.js'))) {
      const tmp = join(paths.root, `.tmp-${process.pid}-${Date.now()}`);
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { mode: 0o700 });
      for (const f of BUNDLE_FILES) cpSync(join(sourceDir, f), join(tmp, f));
      for (const d of nativeDirs) cpSync(d.dir, join(tmp, 'node_modules', d.name), { recursive: true, dereference: true });
      try {
        renameSync(tmp, dir);
      } catch (err) {
        rmSync(tmp, { recursive: true, force: true });
        // Another install put the same copy in place meanwhile: that one is as good.
        if (!existsSync(join(dir, 'cli.js'))) throw err;
      }
    }
    replaceFile(join(paths.root, 'package.json'), '{"type": "commonjs"}\n');
    if (previous !== id) replaceFile(paths.launcher, launcherText(id));
    for (const name of readdirSync(paths.root)) {
      if (name === id || name === previous || name === 'cli.js' || name === 'package.json' || name.startsWith('.tmp-')) continue;
      rmSync(join(paths.root, name), { recursive: true, force: true });
    }
  } catch (err) {
    if (err instanceof KiError) throw err;
    throw new KiError('file-io', `cannot install the runtime under ${paths.root} (${(err as NodeJS.ErrnoException).code ?? oneLine((err as Error).message)})`, { cause: err });
  }
  return { ...paths, id, dir, changed: previous !== id };
}

/**
 * Remove the whole runtime (uninstall).
 * @public (not called yet: kept for uninstall)
 */
export function removeRuntime(dataDir: string): boolean {
  const { root } = runtimePaths(dataDir);
  if (!existsSync(root)) return false;
  rmSync(root, { recursive: true, force: true });
  return true;
}
