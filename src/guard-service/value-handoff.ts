// A cold session start hands the guard service it starts the values the hook has just read from
// the keyring, so that the service's first answers do not wait for a second keyring read (the
// hook's and the service's would run at once, beside Claude Code's own start-up, on a machine
// that may have two cores). One JSON text over a pipe the hook makes when it spawns the service
// (the service's descriptor 4): never on disk, in argv or in an environment. Best effort both
// ways: anything missing, late, too big or stale (the registry changed since the hook's read) is
// dropped, and the service reads the keyring itself.
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { isRecord } from '../core/is-record.js';
import { nodeNet } from '../core/lazy-load.js';
import type { SecretBackend } from '../keyring/backend.js';
import { type HandedValues, registryStamp } from './cached-backend.js';

/** Larger than a pipe's buffer: not sent (the hook exits right after, which would cut it short). */
const MAX_BYTES = 60 * 1024;

export interface HandOff {
  /** The values of the hook's keyring read. */
  offer(v: HandedValues): void;
  /** The service's end of the pipe. */
  attach(pipe: Writable): void;
  /** The hook's session start is over: nothing more comes. */
  close(): void;
}

/** The hook's side: the values and the pipe meet here, whichever comes first; sent once. */
export function handOff(): HandOff {
  let values: HandedValues | undefined;
  let pipe: Writable | undefined;
  let done = false;
  const flush = () => {
    if (done || !pipe || !values) return;
    done = true;
    const text = JSON.stringify({ names: values.names, stamp: values.stamp, values: [...values.values] });
    // Small writes to a pipe land in its buffer at once; an error (the service died) is its own business.
    pipe.on('error', () => undefined);
    pipe.end(Buffer.byteLength(text) <= MAX_BYTES ? text : undefined);
  };
  return {
    offer(v) {
      values ??= v;
      flush();
    },
    attach(p) {
      pipe = p;
      flush();
    },
    close() {
      if (done) return;
      done = true;
      pipe?.on('error', () => undefined);
      pipe?.end();
    },
  };
}

/** The keyring, for the hook: its first `getMany` is also offered to the hand-off. */
export function tapFirstRead(inner: SecretBackend, registryFile: string, offer: (v: HandedValues) => void): SecretBackend {
  return {
    id: inner.id,
    label: inner.label,
    get: (name) => inner.get(name),
    set: (name, value) => inner.set(name, value),
    delete: (name) => inner.delete(name),
    list: () => inner.list(),
    async getMany(names) {
      const stamp = registryStamp(registryFile);
      const values = await inner.getMany(names);
      offer({ names: [...names].sort(), stamp, values: new Map(values) });
      return values;
    },
    ...(inner.forService ? { forService: (service: string) => (inner.forService as (s: string) => SecretBackend)(service) } : {}),
  };
}

function parse(text: string): HandedValues | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(v) || !Array.isArray(v.names) || typeof v.stamp !== 'string' || !Array.isArray(v.values)) return undefined;
  const names = v.names.filter((n): n is string => typeof n === 'string');
  if (names.length !== v.names.length) return undefined;
  const asked = new Set(names);
  const values = new Map<string, string>();
  for (const pair of v.values) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string' || !asked.has(pair[0])) return undefined;
    values.set(pair[0], pair[1]);
  }
  return { names: names.sort(), stamp: v.stamp, values };
}

/** The service's side: what the hook sends on descriptor `fd`, read until it ends (at most `timeoutMs`); the descriptor is closed. */
export function readHandedValues(fd: number, timeoutMs = 1000): Promise<HandedValues | undefined> {
  return new Promise((resolve) => {
    let sock: Socket;
    try {
      sock = new (nodeNet().Socket)({ fd, readable: true, writable: false });
    } catch {
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (v: HandedValues | undefined) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    timer.unref();
    sock.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BYTES) finish(undefined);
      else chunks.push(c);
    });
    sock.once('end', () => finish(size > 0 ? parse(Buffer.concat(chunks).toString('utf8')) : undefined));
    sock.once('error', () => finish(undefined));
  });
}
