// What the session hook and the watchdog do about the guard service: ask whether ours answers on
// the installed port, and start it when not. One raw HTTP request over node:net (node:http
// would cost the session hook a few ms more to load).
import type { Readable } from 'node:stream';
import type { ClaudePaths } from '../core/paths.js';
import { PING_PATH, readGuardServiceConfig, SERVICE_NAME, TOKEN_HEADER, type GuardServiceConfig } from './config.js';

const PING_TIMEOUT_MS = 1000;
const READY_TIMEOUT_MS = 5000;

/** Does our service (it knows the token) answer on the port? */
export async function pingGuardService(config: GuardServiceConfig): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    let answer = '';
    const sock = net.connect({ host: '127.0.0.1', port: config.port });
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), PING_TIMEOUT_MS);
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

/** Make sure our service answers on the installed port, starting it if needed. */
export async function ensureGuardService(paths: ClaudePaths, start: () => StartedService | undefined): Promise<ServiceCheck> {
  const config = readGuardServiceConfig(paths);
  if (!config) return {};
  if (await pingGuardService(config)) return {};
  const started = start();
  if (!started) return { problem: `keyring-inject: could not start the guard service; every tool call is blocked until it runs: run 'keyring-inject install --guards http' again` };
  const line = await firstLine(started.ready, READY_TIMEOUT_MS);
  started.release();
  if (line === 'ready') return {};
  // Another session's service may have won the race for the port.
  if (await pingGuardService(config)) return {};
  const foreign = line === 'busy';
  const why = foreign ? `another program holds port ${config.port}` : 'it did not start';
  return {
    problem: `keyring-inject: the guard service cannot listen on 127.0.0.1:${config.port} (${why}); run 'keyring-inject install --guards http' again (it picks a new port), then start a new session`,
    foreign,
    port: config.port,
  };
}
