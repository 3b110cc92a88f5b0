// What the session hook and the watchdog do about the guard service: make sure ours answers on
// the installed port, starting it when nobody listens there. One raw HTTP request over node:net
// (node:http would cost the session hook a few ms more to load).
//
// Starting it costs the hook no wait: the hook binds the port itself and hands the listening
// socket to the service it spawns (descriptor 3). From that instant Claude Code's first hook
// request is queued by the kernel in the socket's backlog and answered once the service has
// started (about one Node start-up later); were the service to die first, the socket closes with
// it and the request is refused, which the http hook's onFailure "block" turns into a blocked
// call. So the session start does not wait for the service's start-up, and no request can meet
// a port nobody holds.
import type { Server } from 'node:net';
import type { Readable } from 'node:stream';
import { nodeNet } from '../core/lazy-load.js';
import type { ClaudePaths } from '../core/paths.js';
import { PING_PATH, readGuardServiceConfig, SERVICE_NAME, TOKEN_HEADER, type GuardServiceConfig } from './config.js';

const PING_TIMEOUT_MS = 1000;
const READY_TIMEOUT_MS = 5000;

/** Does our service (it knows the token) answer on the port? */
export async function pingGuardService(config: GuardServiceConfig, timeoutMs: number = PING_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    const sock = nodeNet().connect({ host: '127.0.0.1', port: config.port });
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.once('error', () => finish(false));
    sock.once('connect', () => sock.write(`GET ${PING_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${config.port}\r\n${TOKEN_HEADER}: ${config.token}\r\nConnection: close\r\n\r\n`));
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      answer += d;
      if (answer.length > 4096) finish(false);
    });
    sock.once('end', () => finish(/^HTTP\/1\.1 200 /.test(answer) && answer.includes(`"service":"${SERVICE_NAME}"`)));
  });
}

/** A started service process: its readiness line ('ready' or 'busy') comes on this stream. */
export interface StartedService {
  ready: Readable | null | undefined;
  /** Let this process exit without waiting for the service. */
  release(): void;
}

function firstLine(stream: Readable | null | undefined, timeoutMs: number): Promise<string> {
  if (!stream) return Promise.resolve('');
  return new Promise((resolve) => {
    let text = '';
    const done = (line: string) => {
      clearTimeout(timer);
      stream.removeAllListeners('data');
      stream.destroy();
      resolve(line);
    };
    const timer = setTimeout(() => done(''), timeoutMs);
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      text += d;
      const nl = text.indexOf('\n');
      if (nl >= 0) done(text.slice(0, nl));
    });
    stream.once('end', () => done(text));
    stream.once('error', () => done(''));
  });
}

export interface ServiceCheck {
  /** One line for the user that names the fix (never a value); undefined when our service answers, or the guards are command hooks. */
  problem?: string;
  /** Another program holds the port (it would get the hooks' inputs and decide for the guards). */
  foreign?: boolean;
  port?: number;
}

/** Start the service; with a descriptor, on that listening socket (it then tells nothing). */
export type ServiceStarter = (listenFd: number | undefined) => StartedService | undefined;

/** A listening socket on the loopback port, or undefined when the port is taken. */
async function bindPort(port: number): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = nodeNet().createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

/** The socket's descriptor, where the platform has one to hand on (not on Windows). */
function descriptorOf(server: Server): number | undefined {
  const fd = (server as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd > 2 ? fd : undefined;
}

const cannotStart = `keyring-inject: could not start the guard service; every tool call is blocked until it runs: run 'keyring-inject install --guards http' again`;

async function startOn(server: Server, config: GuardServiceConfig, start: ServiceStarter): Promise<ServiceCheck> {
  const fd = descriptorOf(server);
  if (fd !== undefined) {
    const started = start(fd);
    // The child holds its own copy of the socket now; ours goes.
    server.close();
    started?.release();
    return started ? {} : { problem: cannotStart };
  }
  // No descriptor to hand on: free the port, start the service and wait for its readiness line.
  await new Promise((r) => server.close(r));
  const started = start(undefined);
  if (!started) return { problem: cannotStart };
  const line = await firstLine(started.ready, READY_TIMEOUT_MS);
  started.release();
  if (line === 'ready' || (await pingGuardService(config))) return {};
  return unavailable(config, line === 'busy');
}

function unavailable(config: GuardServiceConfig, foreign: boolean): ServiceCheck {
  const why = foreign ? `another program holds port ${config.port}` : 'it did not start';
  return {
    problem: `keyring-inject: the guard service cannot listen on 127.0.0.1:${config.port} (${why}); run 'keyring-inject install --guards http' again (it picks a new port), then start a new session`,
    foreign,
    port: config.port,
  };
}

/** Make sure our service answers on the installed port, starting it if nobody listens there. */
export async function ensureGuardService(paths: ClaudePaths, start: ServiceStarter): Promise<ServiceCheck> {
  const config = readGuardServiceConfig(paths);
  if (!config) return {};
  for (let attempt = 0; attempt < 2; attempt++) {
    const server = await bindPort(config.port);
    if (server) return startOn(server, config, start);
    // Taken: by our service (maybe another session's, still starting: the ping waits in its
    // backlog), or by another program. A service that was just exiting frees it: bind again.
    if (await pingGuardService(config, READY_TIMEOUT_MS)) return {};
  }
  return unavailable(config, true);
}
