// The guard service's install record: the loopback port chosen at install and the per-install
// token Claude Code sends in a header (settings.json holds the same two; see SECURITY.md). One
// small 0600 file in our data dir; the service and the session hook read it, install writes it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClaudePaths } from '../core/paths.js';
import { isRecord } from '../core/is-record.js';
import { nodeCrypto, nodeNet } from '../core/lazy-load.js';

export interface GuardServiceConfig {
  port: number;
  token: string;
}

/** The header that carries the token, as settings.json names it. */
export const TOKEN_HEADER = 'X-Keyring-Inject-Token';
/** Every URL of ours starts with this path (how install and uninstall recognise our http hooks). */
export const URL_PATH = '/keyring-inject/guard/';
/** Our service answers a GET here (with the token) with SERVICE_NAME: how a session hook tells it from another program on the port. */
export const PING_PATH = '/keyring-inject/ping';
export const SERVICE_NAME = 'keyring-inject-guard';

export function guardServiceFile(paths: ClaudePaths): string {
  return join(paths.dataDir, 'guard-service.json');
}

export function guardUrl(port: number, event: string): string {
  return `http://127.0.0.1:${port}${URL_PATH}${event}`;
}

export function isGuardUrl(url: unknown): boolean {
  return typeof url === 'string' && /^http:\/\/127\.0\.0\.1:\d{1,5}\/keyring-inject\/guard\/[a-z-]+$/.test(url);
}

/** The record, or undefined when there is none or it is not ours to trust (then nothing runs as a service). */
export function readGuardServiceConfig(paths: ClaudePaths): GuardServiceConfig | undefined {
  let text: string;
  try {
    text = readFileSync(guardServiceFile(paths), 'utf8');
  } catch {
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(data)) return undefined;
  const { port, token } = data;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1024 || port > 65535) return undefined;
  if (typeof token !== 'string' || !/^[0-9a-f]{64}$/.test(token)) return undefined;
  return { port, token };
}

export function newToken(): string {
  return nodeCrypto().randomBytes(32).toString('hex');
}

/** A port nobody listens on now: the kernel's pick for a listen on port 0, on loopback. */
export async function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = nodeNet().createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Can we listen on this loopback port now? */
export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = nodeNet().createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
