// Runs a vendor CLI (pass, op, doppler, aws, gcloud) to read one secret:
// - argv array through execFile: no shell, so ids and metadata are never interpreted;
// - stdin closed (a hook's stdin is the hook JSON, exec's is the MCP channel: a CLI must not read
//   them), or given only what the source writes to it (a database password);
// - a deadline (10 s unless KEYRING_INJECT_SOURCE_TIMEOUT_MS), then SIGKILL;
// - a minimal environment: PATH, HOME and the vendor's own variables, nothing else (Claude
//   Code's environment may hold other API keys that are none of the CLI's business);
// - errors say which CLI is missing or failed and how to fix it. They never include the CLI's
//   stdout (it may be the secret); one line of stderr is included after removing anything that
//   also appeared on stdout, control characters, and everything past 160 characters.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { oneLine } from '../core/errors.js';
import { childProcess } from '../core/lazy-load.js';
import type { Env } from '../core/paths.js';

export interface VendorCli {
  /** Executable name looked up on PATH, e.g. "op". */
  bin: string;
  /** For messages, e.g. "the 1Password CLI (op)". */
  what: string;
  /** Fix when the executable is not found. */
  install: string;
  /** Exact variable names passed on besides PATH and HOME. */
  envNames: readonly string[];
  /** Variable name prefixes passed on, e.g. "AWS_". */
  envPrefixes: readonly string[];
  /** What on a stderr line is not the error (a prompt the CLI prints before it): removed before quoting stderr. */
  stderrSkip?: RegExp;
}

export type CliResult =
  | { ok: true; stdout: string }
  | {
      ok: false;
      kind: 'not-found' | 'not-executable' | 'timeout' | 'too-large' | 'exit';
      reason: string;
      code?: number;
      /** The one quotable line (see safeStderr). */
      stderr: string;
      /** All of stderr, to classify the failure with a pattern; never quoted anywhere. */
      allStderr?: string;
    };

const BASE_ENV = ['PATH', 'HOME'];
// Windows needs these to start any program and reach the network.
const WINDOWS_ENV = ['SYSTEMROOT', 'SystemRoot', 'USERPROFILE', 'APPDATA', 'LOCALAPPDATA', 'TEMP', 'TMP', 'PATHEXT', 'COMSPEC'];
/** Proxy and CA settings, for the CLIs that talk to a network service. */
export const NETWORK_ENV = ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'ALL_PROXY', 'https_proxy', 'http_proxy', 'no_proxy', 'all_proxy', 'SSL_CERT_FILE', 'SSL_CERT_DIR'];
const MAX_OUTPUT = 1024 * 1024;

/** The environment a vendor CLI gets: PATH, HOME and its own variables. */
export function cliEnv(cli: VendorCli, env: Env, platform: NodeJS.Platform = process.platform): Record<string, string> {
  const out: Record<string, string> = {};
  const names = [...BASE_ENV, ...(platform === 'win32' ? WINDOWS_ENV : []), ...cli.envNames];
  for (const n of names) {
    const v = env[n];
    if (v !== undefined) out[n] = v;
  }
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && cli.envPrefixes.some((p) => k.startsWith(p))) out[k] = v;
  }
  return out;
}

/** The executable's path on PATH, or undefined. */
export function findOnPath(bin: string, env: Env): string | undefined {
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    for (const ext of exts) {
      const candidate = join(dir, bin + ext);
      try {
        accessSync(candidate, constants.X_OK);
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // keep looking
      }
    }
  }
  return undefined;
}

/** One line of stderr that cannot carry the value: no stdout content, no control characters, short. */
export function safeStderr(stderr: string, stdout: string, skip?: RegExp): string {
  // eslint-disable-next-line no-control-regex
  let line =
    stderr
      .replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
      .split(/\r?\n/)
      .map((l) => (skip ? l.replace(skip, '') : l).trim())
      .find((l) => l !== '') ?? '';
  // eslint-disable-next-line no-control-regex
  line = line.replace(/[\u0000-\u001f\u007f]/g, ' ');
  const pieces = [stdout.trim(), ...stdout.split(/\r?\n/).map((l) => l.trim())].filter((p) => p.length >= 4).sort((a, b) => b.length - a.length);
  for (const p of pieces) line = line.split(p).join('[redacted]');
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/**
 * Run `cli.bin args` and collect stdout (the caller picks the value from it). The executable is
 * looked up in the absolute directories of PATH only: a relative entry ('.', '') would run
 * whatever a checked-out repository puts in the current directory under that name.
 */
export function runCli(cli: VendorCli, args: readonly string[], env: Env, timeoutMs: number, input?: string): Promise<CliResult> {
  const command = `${cli.bin} ${args[0] ?? ''}`.trim();
  const exe = findOnPath(cli.bin, env);
  if (!exe) return Promise.resolve({ ok: false, kind: 'not-found', reason: `${cli.what} is not installed or not on PATH: ${cli.install}`, stderr: '' });
  return new Promise((resolve) => {
    let grace: NodeJS.Timeout | undefined;
    let child: ReturnType<ReturnType<typeof childProcess>['execFile']>;
    try {
      child = childProcess().execFile(
        exe,
        [...args],
        { env: cliEnv(cli, env), shell: false, windowsHide: true, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT, encoding: 'utf8' },
        (err, stdout, stderr) => {
          clearTimeout(grace);
          if (!err) return resolve({ ok: true, stdout });
          const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string | null };
          const errLine = safeStderr(stderr ?? '', input === undefined ? (stdout ?? '') : `${stdout ?? ''}\n${input}`, cli.stderrSkip);
          if (e.code === 'ENOENT') return resolve({ ok: false, kind: 'not-found', reason: `${cli.what} is not installed or not on PATH: ${cli.install}`, stderr: '' });
          if (e.code === 'EACCES')
            return resolve({ ok: false, kind: 'not-executable', reason: `${cli.what} was found on PATH but cannot be run (permission denied): fix its permissions or PATH`, stderr: '' });
          if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
            return resolve({ ok: false, kind: 'too-large', reason: `\`${command}\` printed more than ${MAX_OUTPUT} bytes: check the reference`, stderr: '' });
          if (e.killed) {
            return resolve({
              ok: false,
              kind: 'timeout',
              reason: `\`${command}\` did not finish within ${timeoutMs} ms (stopped): check that it can run without a prompt, or raise KEYRING_INJECT_SOURCE_TIMEOUT_MS`,
              stderr: errLine,
            });
          }
          if (e.signal && typeof e.code !== 'number') {
            return resolve({ ok: false, kind: 'exit', reason: `\`${command}\` was ended by ${e.signal}${errLine ? `: ${errLine}` : ''}`, stderr: errLine });
          }
          const code = typeof e.code === 'number' ? e.code : 1;
          resolve({ ok: false, kind: 'exit', code, reason: `\`${command}\` failed (exit ${code}${errLine ? `: ${errLine}` : ''})`, stderr: errLine, allStderr: stderr ?? '' });
        },
      );
    } catch (err) {
      resolve({ ok: false, kind: 'exit', reason: `could not start ${cli.what}: ${oneLine(err instanceof Error ? err.message : String(err)).slice(0, 160)}`, stderr: '' });
      return;
    }
    // A CLI that reads a secret (a database password) gets it on stdin, never in argv or the environment.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input);
    // A daemon the CLI started (gpg-agent, a credential helper) may inherit the output pipes and
    // keep them open: once the CLI itself has exited, stop waiting for them.
    child.once('exit', () => {
      grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, 500);
      grace.unref();
    });
  });
}

/** Remove one trailing newline (CLIs end their output with one). */
export function chompOne(s: string): string {
  return s.endsWith('\r\n') ? s.slice(0, -2) : s.endsWith('\n') ? s.slice(0, -1) : s;
}
