// e2e harness: a fake Anthropic Messages API on 127.0.0.1, good enough for the real
// Claude Code client to run `claude -p ...` offline. It records every request (raw body
// included) so that tests can assert that no secret ever reached "the model".
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

/** One scripted answer of the fake model. */
export type FakeReply =
  | { type: 'text'; text: string; delayMs?: number }
  | {
      type: 'tool_use';
      /** Wait this long before answering (e.g. to SIGKILL the client mid-session). */
      delayMs?: number;
      /** Tool name as the client advertises it, e.g. 'Bash', 'Read', 'mcp__recorder__echo'. */
      name: string;
      input: Record<string, unknown>;
      /** Defaults to a random `toolu_...` id. */
      id?: string;
      /** Optional text block sent before the tool_use block. */
      text?: string;
    };

/** A POST /v1/messages request, parsed (body is also kept raw in RecordedRequest). */
export interface MessagesRequest {
  model: string;
  stream: boolean;
  /** Parsed JSON body (unknown shape beyond the fields above). */
  json: Record<string, unknown>;
  /** Names of tools the client advertised in this request. */
  toolNames: string[];
}

export type ReplyProducer = FakeReply | ((req: MessagesRequest, index: number) => FakeReply);

export interface FakeApiScript {
  /** Answers for successive scripted requests, in order. */
  replies?: ReplyProducer[];
  /** Answer once `replies` is used up. Default: text 'hello from fake'. */
  fallback?: ReplyProducer;
  /**
   * Which POST /v1/messages requests consume `replies` (others get `fallback`).
   * Default: every request that advertises at least one tool (the main conversation loop;
   * side requests such as title or topic generation usually advertise none).
   */
  isScripted?: (req: MessagesRequest) => boolean;
}

export interface RecordedRequest {
  /** Arrival order, starting at 0. */
  seq: number;
  method: string;
  /** Path plus query string, e.g. '/v1/messages?beta=true'. */
  url: string;
  /** Path without query string. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Raw request body as received (utf8). */
  body: string;
  /** For POST /v1/messages: the reply that was sent. */
  reply?: FakeReply;
  /** When the whole request had arrived (performance.now() of this process): the bench times sessions by it. */
  at: number;
}

export interface FakeApi {
  /** Base URL for ANTHROPIC_BASE_URL, e.g. 'http://127.0.0.1:41234'. */
  url: string;
  port: number;
  /** Every request received, in arrival order (live array). */
  requests: RecordedRequest[];
  /** POST /v1/messages requests only (excluding count_tokens). */
  messageRequests(): RecordedRequest[];
  /** Everything the fake ever received (urls, header values, bodies) as one string. */
  allReceivedText(): string;
  /** Resolves once at least `count` POST /v1/messages requests have arrived (rejects after timeoutMs, default 30 s). */
  waitForMessageRequests(count?: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

export const DEFAULT_FAKE_TEXT = 'hello from fake';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseMessagesRequest(body: string): MessagesRequest {
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed)) json = parsed;
  } catch {
    // keep {}
  }
  const tools = Array.isArray(json['tools']) ? (json['tools'] as unknown[]) : [];
  const toolNames = tools.map((t) => (isRecord(t) && typeof t['name'] === 'string' ? t['name'] : undefined)).filter((n): n is string => n !== undefined);
  return {
    model: typeof json['model'] === 'string' ? json['model'] : 'claude-fake',
    stream: json['stream'] === true,
    json,
    toolNames,
  };
}

function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

type ContentBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

function blocksFor(reply: FakeReply): ContentBlock[] {
  if (reply.type === 'text') return [{ type: 'text', text: reply.text }];
  const blocks: ContentBlock[] = [];
  if (reply.text !== undefined) blocks.push({ type: 'text', text: reply.text });
  blocks.push({ type: 'tool_use', id: reply.id ?? randomId('toolu'), name: reply.name, input: reply.input });
  return blocks;
}

function usage(outputTokens: number): Record<string, number> {
  return {
    input_tokens: 10,
    output_tokens: outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

function sseEvent(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** The standard streaming event sequence for one assistant message. */
export function sseBody(reply: FakeReply, model: string): string {
  const blocks = blocksFor(reply);
  const stopReason = reply.type === 'tool_use' ? 'tool_use' : 'end_turn';
  let out = sseEvent('message_start', {
    message: {
      id: randomId('msg'),
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: usage(1),
    },
  });
  blocks.forEach((block, index) => {
    if (block.type === 'text') {
      out += sseEvent('content_block_start', { index, content_block: { type: 'text', text: '' } });
      out += sseEvent('content_block_delta', { index, delta: { type: 'text_delta', text: block.text } });
    } else {
      out += sseEvent('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
      });
      out += sseEvent('content_block_delta', {
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) },
      });
    }
    out += sseEvent('content_block_stop', { index });
  });
  out += sseEvent('message_delta', {
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: 5 },
  });
  out += sseEvent('message_stop', {});
  return out;
}

/** The same message as a non-streaming JSON body. */
export function jsonBody(reply: FakeReply, model: string): string {
  return JSON.stringify({
    id: randomId('msg'),
    type: 'message',
    role: 'assistant',
    model,
    content: blocksFor(reply),
    stop_reason: reply.type === 'tool_use' ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: usage(5),
  });
}

function normalizeScript(script: FakeApiScript | ReplyProducer[] | undefined): Required<FakeApiScript> {
  const s: FakeApiScript = Array.isArray(script) ? { replies: script } : (script ?? {});
  return {
    replies: s.replies ?? [],
    fallback: s.fallback ?? { type: 'text', text: DEFAULT_FAKE_TEXT },
    isScripted: s.isScripted ?? ((req) => req.toolNames.length > 0),
  };
}

function produce(p: ReplyProducer, req: MessagesRequest, index: number): FakeReply {
  return typeof p === 'function' ? p(req, index) : p;
}

/**
 * Start the fake API on 127.0.0.1 (ephemeral port).
 * `script` may be an array of replies (shorthand for `{replies}`) or a FakeApiScript.
 */
export async function startFakeApi(script?: FakeApiScript | ReplyProducer[]): Promise<FakeApi> {
  const s = normalizeScript(script);
  const requests: RecordedRequest[] = [];
  let scriptedCount = 0;
  let seq = 0;
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();
  const messageRequests = (): RecordedRequest[] => requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages');

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = req.url ?? '/';
      const path = url.split('?')[0] ?? '/';
      const method = req.method ?? 'GET';
      const rec: RecordedRequest = { seq: seq++, method, url, path, headers: req.headers, body, at: performance.now() };
      requests.push(rec);
      for (const w of [...waiters]) w();

      const sendJson = (status: number, obj: unknown): void => {
        const text = JSON.stringify(obj);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(method === 'HEAD' ? undefined : text);
      };

      if (method === 'HEAD') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end();
        return;
      }
      if (method === 'POST' && path === '/v1/messages/count_tokens') {
        sendJson(200, { input_tokens: 10 });
        return;
      }
      if (method === 'POST' && path === '/v1/messages') {
        const parsed = parseMessagesRequest(body);
        let reply: FakeReply;
        if (s.isScripted(parsed) && scriptedCount < s.replies.length) {
          const idx = scriptedCount++;
          const producer = s.replies[idx];
          reply = producer === undefined ? produce(s.fallback, parsed, idx) : produce(producer, parsed, idx);
        } else {
          reply = produce(s.fallback, parsed, -1);
        }
        rec.reply = reply;
        const answer = (): void => {
          if (res.destroyed || res.writableEnded) return;
          const text = parsed.stream ? sseBody(reply, parsed.model) : jsonBody(reply, parsed.model);
          res.writeHead(200, {
            'content-type': parsed.stream ? 'text/event-stream' : 'application/json',
            ...(parsed.stream ? { 'cache-control': 'no-cache' } : {}),
            'request-id': randomId('req'),
            'content-length': Buffer.byteLength(text),
          });
          res.end(text);
        };
        if (reply.delayMs !== undefined && reply.delayMs > 0) {
          const t = setTimeout(() => {
            timers.delete(t);
            answer();
          }, reply.delayMs);
          timers.add(t);
        } else {
          answer();
        }
        return;
      }
      if (method === 'GET' && (path === '/' || path === '/health')) {
        sendJson(200, { ok: true });
        return;
      }
      sendJson(404, { type: 'error', error: { type: 'not_found_error', message: `fake api: no ${method} ${path}` } });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    messageRequests,
    allReceivedText: () => requests.map((r) => `${r.method} ${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`).join('\n'),
    waitForMessageRequests: (count = 1, timeoutMs = 30_000) =>
      new Promise<RecordedRequest[]>((resolve, reject) => {
        const check = (): boolean => {
          const got = messageRequests();
          if (got.length < count) return false;
          clearTimeout(timer);
          waiters.delete(onRequest);
          resolve(got);
          return true;
        };
        const onRequest = (): void => {
          check();
        };
        const timer = setTimeout(() => {
          waiters.delete(onRequest);
          reject(new Error(`fake api: ${messageRequests().length}/${count} message requests after ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) waiters.add(onRequest);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The tool_result blocks of the last request to the model, by tool_use id: what the model saw of each tool call. */
export function toolResults(api: FakeApi): Map<string, { text: string; isError: boolean }> {
  const reqs = api.messageRequests();
  const last = reqs[reqs.length - 1];
  const out = new Map<string, { text: string; isError: boolean }>();
  if (!last) return out;
  const body = JSON.parse(last.body) as { messages: { content: unknown }[] };
  for (const m of body.messages) {
    if (!Array.isArray(m.content)) continue;
    for (const c of m.content as Record<string, unknown>[]) {
      if (c.type !== 'tool_result') continue;
      const content = c.content;
      const text = typeof content === 'string' ? content : JSON.stringify(content);
      out.set(String(c.tool_use_id), { text, isError: c.is_error === true });
    }
  }
  return out;
}
