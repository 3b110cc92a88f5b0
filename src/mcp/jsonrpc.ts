// JSON-RPC 2.0 over newline-delimited stdio, the MCP stdio transport: one JSON message per line.
// Our own ~100 lines instead of @modelcontextprotocol/sdk: the SDK brings zod, ajv and an HTTP
// stack into dist/main.js for a server with two tools, and its stdio transport is this loop.
// Both directions: the client calls our methods, and we call the client's (elicitation/create)
// and wait for its answer.
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { KiError } from '../core/errors.js';
import { isRecord } from '../core/is-record.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
type Id = string | number;

/**
 * A JSON-RPC error: its numeric code is the protocol's (-32602 invalid params...), for the
 * client, and it also carries the error answers of the client to our requests. Not a KiError:
 * it never reaches the CLI, and a KiError a handler throws is answered as -32603 with its code.
 */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;

export type Handler = (params: Record<string, unknown>) => Promise<unknown>;

export interface Peer {
  /** Ask the other side; resolves with its `result`, rejects with an RpcError for its `error`. */
  request(method: string, params: Record<string, unknown>): Promise<unknown>;
  notify(method: string, params: Record<string, unknown>): void;
  /** Resolves when the input ends (the client closed our stdin). */
  closed: Promise<void>;
}

/**
 * Serve `handlers` (method -> handler) on `input`/`output`. Requests are answered in any order;
 * a handler's thrown RpcError becomes a JSON-RPC error, anything else an internal error whose
 * message is kept to one line (handlers never put values in messages); a KiError's code goes
 * along as `data.code`.
 */
export function serveJsonRpc(input: Readable, output: Writable, handlers: Readonly<Record<string, Handler>>, onNotification?: (method: string, params: Record<string, unknown>) => void): Peer {
  const pending = new Map<Id, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const send = (msg: Record<string, unknown>) => {
    if (!output.writableEnded) output.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
  };
  const lines = createInterface({ input, crlfDelay: Infinity });
  const closed = new Promise<void>((resolve) => lines.once('close', resolve));
  void closed.then(() => {
    for (const p of pending.values()) p.reject(new RpcError(-32000, 'the client closed the connection'));
    pending.clear();
  });

  lines.on('line', (line) => {
    if (line.trim() === '') return;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      send({ id: null, error: { code: -32700, message: 'parse error' } });
      return;
    }
    if (!isRecord(msg)) return;
    const id = typeof msg.id === 'string' || typeof msg.id === 'number' ? msg.id : undefined;
    if (typeof msg.method === 'string') {
      const params = isRecord(msg.params) ? msg.params : {};
      if (id === undefined) {
        onNotification?.(msg.method, params);
        return;
      }
      const handler = Object.hasOwn(handlers, msg.method) ? handlers[msg.method] : undefined;
      if (!handler) {
        send({ id, error: { code: METHOD_NOT_FOUND, message: `method not found: ${msg.method.slice(0, 64)}` } });
        return;
      }
      handler(params).then(
        (result) => send({ id, result: result ?? {} }),
        (err: unknown) => {
          const code = err instanceof RpcError ? err.code : -32603;
          // The message only, never a cause (it may quote file content); our stable code as data.
          const message = err instanceof Error ? err.message.split('\n')[0] : 'internal error';
          send({ id, error: { code, message, ...(err instanceof KiError ? { data: { code: err.code } } : {}) } });
        },
      );
      return;
    }
    // A response to one of our requests.
    if (id === undefined) return;
    const waiter = pending.get(id);
    if (!waiter) return;
    pending.delete(id);
    if (isRecord(msg.error)) waiter.reject(new RpcError(typeof msg.error.code === 'number' ? msg.error.code : -32603, String(msg.error.message ?? 'error')));
    else waiter.resolve(msg.result);
  });

  return {
    request: (method, params) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        send({ id, method, params });
      }),
    notify: (method, params) => send({ method, params }),
    closed,
  };
}
