// The guard service: one long-lived process per user, on loopback, that answers Claude Code's
// UserPromptSubmit, PreToolUse and PostToolUse as http hooks. It runs the very guard functions
// the command hooks run (src/guards); what it saves is a Node start-up and a keyring round trip
// per call. It lives while a Claude Code session lives (the sessions our state records, checked
// by pid and start time as the watchdog does) and exits when none is left.
//
// Who may ask: a request must carry the per-install token (settings.json's header, the record
// in our data dir), name 127.0.0.1:PORT as its Host (no DNS rebinding) and carry no Origin (a
// web page's fetch always does). Nothing it answers holds a value: a PostToolUse answer is the
// masked output, which the caller sent itself.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { oneLine } from '../core/errors.js';
import { nodeHttp } from '../core/lazy-load.js';
import type { ClaudePaths } from '../core/paths.js';
import { isAlive } from '../core/process-info.js';
import { readStateForReport } from '../engine/state.js';
import { maskExecPlan, postToolUse, preToolUse, userPromptSubmit, type GuardDeps, type HookOutput } from '../guards/guards.js';
import { shellFor } from '../guards/masked-exec.js';
import { MAX_INPUT_BYTES, parseGuardInput, type GuardEvent, type GuardInput } from '../guards/input.js';
import { pipeHost, type PipeHost } from './masked-pipes.js';
import { PING_PATH, readGuardServiceConfig, SERVICE_NAME, TOKEN_HEADER, URL_PATH, type GuardServiceConfig } from './config.js';

const EVENTS: Record<string, { event: GuardEvent; run: (input: GuardInput, deps: GuardDeps) => Promise<HookOutput | undefined> }> = {
  'user-prompt-submit': { event: 'UserPromptSubmit', run: userPromptSubmit },
  'pre-tool-use': { event: 'PreToolUse', run: preToolUse },
  'post-tool-use': { event: 'PostToolUse', run: postToolUse },
};

/**
 * It stays this long after it started, and after the last request or ping, even with no live
 * session recorded: a session hook that found it answering (a ping) records its session only
 * afterwards, and must not find it gone at its first prompt.
 */
const LINGER_MS = 10_000;
const CHECK_MS = 1000;

export interface ServiceOptions {
  paths: ClaudePaths;
  deps: GuardDeps;
  /** Where Bash output is masked (default: named pipes in our data directory). */
  pipes?: PipeHost;
  /** A listening socket on the installed port, bound by the hook that started us. */
  listenFd?: number | undefined;
  now?: () => number;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function tokenMatches(given: string | string[] | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Why a request is refused (one line, never its content), or undefined when it may be served. */
export function refusal(req: IncomingMessage, config: GuardServiceConfig): string | undefined {
  if (req.headers.origin !== undefined) return 'requests from a web page are refused';
  if (req.headers.host !== `127.0.0.1:${config.port}`) return 'wrong Host';
  if (!tokenMatches(req.headers[TOKEN_HEADER.toLowerCase()], config.token)) return 'missing or wrong token';
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_INPUT_BYTES) return undefined;
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function handler(config: GuardServiceConfig, deps: GuardDeps, used: () => void = () => undefined) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const why = refusal(req, config);
      if (why) {
        req.resume();
        send(res, 403, { error: `keyring-inject guard service: ${why}` });
        return;
      }
      // Only a caller that knows the token keeps the service alive: any local process can send a refused request.
      used();
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (req.method === 'GET' && path === PING_PATH) {
        send(res, 200, { service: SERVICE_NAME, pid: process.pid });
        return;
      }
      const entry = req.method === 'POST' && path.startsWith(URL_PATH) ? EVENTS[path.slice(URL_PATH.length)] : undefined;
      if (!entry) {
        req.resume();
        send(res, 404, { error: 'keyring-inject guard service: no such hook' });
        return;
      }
      const text = await readBody(req);
      if (text === undefined) {
        send(res, 413, { error: 'keyring-inject guard service: input too large' });
        return;
      }
      // A bad input is refused (the hook's onFailure then blocks the call): never an empty allow.
      const input = parseGuardInput(text, entry.event);
      send(res, 200, (await entry.run(input, deps)) ?? {});
    } catch (err) {
      if (!res.headersSent) send(res, err instanceof Error && 'code' in err && err.code === 'input-invalid' ? 400 : 500, { error: oneLine(err instanceof Error ? err.message : String(err)) });
      else res.destroy();
    }
  };
}

/** Is any Claude Code session recorded in our state still alive? */
export async function anySessionAlive(paths: ClaudePaths): Promise<boolean> {
  const state = await readStateForReport(paths);
  return state.sessions.some((s) => isAlive(s));
}

export type ServiceStart = { kind: 'listening'; server: Server; done: Promise<void> } | { kind: 'busy' } | { kind: 'not-installed' };

/**
 * Listen on the installed port and serve until no session is left (or the install record is
 * removed or changed). 'busy': the port is taken (by a service of another session, or not).
 */
export async function startGuardService(opts: ServiceOptions): Promise<ServiceStart> {
  const config = readGuardServiceConfig(opts.paths);
  if (!config) return { kind: 'not-installed' };
  const now = opts.now ?? Date.now;
  let lastUse = now();
  // Made once we listen: it removes what a killed service left (and lets go of its shells).
  let pipes: PipeHost | undefined;
  const deps: GuardDeps = { ...opts.deps, maskedBash: (command, cwd) => pipes?.rewrite(command, maskExecPlan(opts.deps, cwd)) };
  const server = nodeHttp().createServer(
    { keepAlive: true },
    handler(config, deps, () => (lastUse = now())),
  );
  const listening = await new Promise<boolean>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)));
    if (opts.listenFd !== undefined) server.listen({ fd: opts.listenFd }, () => resolve(true));
    else server.listen(config.port, '127.0.0.1', () => resolve(true));
  });
  // A handed-on socket must be the installed port on loopback: anything else is not ours to serve on.
  const addr = listening ? server.address() : null;
  if (!listening || typeof addr !== 'object' || addr === null || addr.address !== '127.0.0.1' || addr.port !== config.port) {
    if (listening) server.close();
    return { kind: 'busy' };
  }
  const host = opts.pipes ?? pipeHost(join(opts.paths.dataDir, 'pipes'), { shell: shellFor(opts.deps.env) });
  pipes = host;
  // Read what the guards read (the keyring's answer, kept by the caching backend) now, while the
  // session's hook and the client's start-up go on: the first prompt then finds it ready. A
  // failure is not kept; the first call reads again and reports it.
  maskExecPlan(opts.deps, opts.deps.cwd).catch(() => undefined);
  const done = new Promise<void>((resolve) => {
    const stop = () => {
      clearInterval(timer);
      host.close();
      server.close(() => resolve());
      server.closeAllConnections();
    };
    const timer = setInterval(() => {
      const current = readGuardServiceConfig(opts.paths);
      if (!current || current.port !== config.port || current.token !== config.token) return stop();
      anySessionAlive(opts.paths).then(
        (alive) => {
          // lastUse is read now, after the state was: a ping that came meanwhile keeps it.
          if (!alive && now() - lastUse >= LINGER_MS) stop();
        },
        () => undefined,
      );
    }, CHECK_MS);
  });
  return { kind: 'listening', server, done };
}
