// `keyring-inject mcp`: a stdio MCP server with two tools.
//
//   list_secrets            names, sources and whether a value is stored; never a value
//   request_secret(name, purpose[, replace])
//                           opens a one-time page on 127.0.0.1 (secret-page.ts) and asks the
//                           client to show its link (URL-mode elicitation, MCP 2025-11-25); the
//                           user types the value there, it goes into the keyring, the reference
//                           into the project's .claude/secrets.json. The tool answers "stored",
//                           "cancelled" or "not stored: <why>".
//
// What Claude Code does with the link (measured with 2.1.332): interactive sessions show a dialog
// `MCP server "<name>" wants to open a URL` with Accept / Decline; `claude -p` cancels every
// elicitation at once. A client that does not declare URL elicitation gets the link in the tool
// result instead, for the user to open (see docs/claude-asks.md for why that is acceptable).
import { randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { audit } from '../core/audit-trail.js';
import { shellQuote } from '../core/shell.js';
import { allowCommand } from '../sources/approval.js';
import { INVALID_PARAMS, RpcError, serveJsonRpc, type Peer } from './jsonrpc.js';
import { openSecretPage, type PageOutcome, type SecretPage } from './secret-page.js';
import { formatListing, listSecrets, planRequest, storeSecret, type PlannedRequest, type SecretsDeps } from './secrets.js';

export interface McpServerDeps extends SecretsDeps {
  /** Page lifetime; default 5 minutes. */
  pageTtlMs?: number;
  version: string;
}

const PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

const TOOLS = [
  {
    name: 'list_secrets',
    description:
      "List the secrets (API keys, tokens) available to commands in this project: the project's .claude/secrets.json and the user's keyring-inject registry. Shows names, where each lives and whether a value is stored; never a value. Call this before asking the user for a key: a stored one can be used right away with `keyring-inject run [--only NAME] -- COMMAND`.",
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  },
  {
    name: 'request_secret',
    description:
      "Ask the user for a secret (an API key, a token) without it ever entering the conversation. The user gets a one-time page on this computer where they paste it; it is stored in the OS keyring and the project's .claude/secrets.json gains a reference (never the value). Answers 'stored', 'cancelled' or 'not stored: <why>'. Never ask the user to paste a key into the chat. Afterwards run commands that need it with `keyring-inject run --only NAME -- COMMAND` (COMMAND gets it as the environment variable NAME).",
    inputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', description: 'Environment variable name the secret is for, e.g. CRM_API_KEY' },
        purpose: { type: 'string', description: 'One sentence for the user: what it is for, e.g. "to read contacts from the CRM API"' },
        replace: { type: 'boolean', description: 'Ask again even though a value is stored (the user wants to change it)' },
      },
      required: ['name', 'purpose'],
      additionalProperties: false,
    },
  },
];

type ToolResult = { content: { type: 'text'; text: string }[]; isError?: boolean };
const text = (t: string, isError = false): ToolResult => ({ content: [{ type: 'text', text: t }], ...(isError ? { isError: true } : {}) });

/** The tool answer for a page outcome. */
export function answerFor(o: PageOutcome, plan: PlannedRequest): ToolResult {
  switch (o.kind) {
    case 'stored':
      return text(
        `stored: ${plan.name} is in the OS keyring as ${plan.id}, and ${plan.file} lists it as {"${plan.name}": {"source": "built-in", "id": "${plan.id}"}} (a reference, never the value). ${
          plan.approved === false ? `That file has changes the user has not approved yet, so it is not used until they run '${allowCommand(plan.root)}' in a terminal. Then run` : 'Run'
        } commands that need it with: keyring-inject run --only ${plan.name} -- COMMAND (COMMAND gets it as $${plan.name}; you never see the value).`,
      );
    case 'refused':
      return text(`not stored: ${o.reason}. Nothing was stored; call request_secret again if the user still wants to store it.`, true);
    case 'expired':
      return text(`not stored: the page expired after ${o.minutes} minute(s) without a value. Call request_secret again when the user is ready.`, true);
    case 'failed':
      return text(`not stored: ${o.reason}`, true);
    case 'closed':
      return text('cancelled: the user declined; nothing was stored.');
  }
}

function purposeOf(v: unknown): string {
  const s = typeof v === 'string' ? v.replace(/\s+/g, ' ').trim() : '';
  return (s || 'no reason given').slice(0, 300);
}

export function startMcpServer(input: Readable, output: Writable, deps: McpServerDeps): Peer {
  let urlElicitation = false;
  const pages = new Set<SecretPage>();
  // eslint-disable-next-line prefer-const
  let peer: Peer;

  async function requestSecret(args: Record<string, unknown>): Promise<ToolResult> {
    if (typeof args.name !== 'string') throw new RpcError(INVALID_PARAMS, 'request_secret needs "name" (e.g. CRM_API_KEY) and "purpose"');
    const decided = await planRequest(deps, args.name, args.replace === true);
    if ('answer' in decided) return text(decided.answer, decided.isError);
    const plan = decided.plan;
    const purpose = purposeOf(args.purpose);
    const page = await openSecretPage({ name: plan.name, id: plan.id, purpose, recordedIn: plan.file, replaces: plan.stored, ...(deps.pageTtlMs ? { ttlMs: deps.pageTtlMs } : {}) }, (value) =>
      storeSecret(deps, plan, value),
    );
    pages.add(page);
    void page.outcome.then(() => pages.delete(page));
    if (!urlElicitation) {
      // The link works once, for a few minutes, on this computer only; whoever opens it first can
      // only put a value in, never read one. See docs/claude-asks.md.
      return text(
        `waiting for the user: this client cannot open a link itself. Tell the user to open this link in a browser on this computer and paste ${plan.name} there (it works once, for ${Math.round((deps.pageTtlMs ?? 300_000) / 60_000)} minutes): ${page.url}\nWhen they say they are done, call list_secrets to check that it is stored. Do not ask them to paste it into the chat.`,
      );
    }
    const elicitationId = randomUUID();
    const asked = peer
      .request('elicitation/create', {
        mode: 'url',
        elicitationId,
        url: page.url,
        message: `Claude asks for ${plan.name} (${purpose}). Open the page and paste it there: it goes into your OS keyring as ${plan.id}, never into the conversation.`,
      })
      .then(
        (r) => ({ action: typeof (r as { action?: unknown })?.action === 'string' ? (r as { action: string }).action : 'cancel' }),
        (err: unknown) => ({ action: 'error', message: err instanceof Error ? err.message : String(err) }),
      );
    const first = await Promise.race([page.outcome.then((o) => ({ page: o })), asked.then((a) => ({ client: a }))]);
    if ('client' in first && first.client.action !== 'accept') {
      // Declined, cancelled (every -p session cancels at once) or refused by the client.
      page.close();
      const o = await page.outcome;
      if (o.kind !== 'closed') return answerFor(o, plan); // the value came in just before
      if (first.client.action === 'error') return text(`not stored: the client could not show the page (${(first.client as { message?: string }).message ?? 'error'}); nothing was stored`, true);
      return text(
        `cancelled: the user declined, or Claude Code could not show the page (in 'claude -p' every such request is cancelled). Nothing was stored. The user can store it in a terminal instead: keyring-inject add ${plan.name} --project ${shellQuote(plan.root)} --source keyring --id ${plan.id}`,
      );
    }
    const outcome = await page.outcome;
    // The dialog may still show "waiting": tell the client the out-of-band step is over.
    peer.notify('notifications/elicitation/complete', { elicitationId });
    return answerFor(outcome, plan);
  }

  peer = serveJsonRpc(input, output, {
    initialize: async (params) => {
      const caps = (params.capabilities ?? {}) as { elicitation?: Record<string, unknown> };
      urlElicitation = typeof caps.elicitation === 'object' && caps.elicitation !== null && 'url' in caps.elicitation;
      const asked = typeof params.protocolVersion === 'string' ? params.protocolVersion : '';
      return {
        protocolVersion: PROTOCOL_VERSIONS.includes(asked) ? asked : PROTOCOL_VERSIONS[0],
        capabilities: { tools: {} },
        serverInfo: { name: 'keyring-inject', version: deps.version },
        instructions:
          'Secrets (API keys, tokens) for this project: call list_secrets to see which are stored; use one with `keyring-inject run --only NAME -- COMMAND` (the command gets it as $NAME; its output is masked). When one is missing, call request_secret: never ask the user to paste a key into the chat.',
      };
    },
    ping: async () => ({}),
    'tools/list': async () => ({ tools: TOOLS }),
    'tools/call': async (params) => {
      const args = (typeof params.arguments === 'object' && params.arguments !== null ? params.arguments : {}) as Record<string, unknown>;
      if (params.name === 'list_secrets') return text(formatListing(await listSecrets(deps)));
      if (params.name === 'request_secret') {
        const r = await requestSecret(args);
        // The answer's first words say what happened (stored, not stored, cancelled, waiting...).
        const outcome = (/^[a-z ]+/.exec(r.content[0]?.text ?? '')?.[0] ?? 'error').trim().replace(/ /g, '-');
        audit(deps.paths, { event: 'request_secret', keys: [String(args.name)], outcome }, deps.env);
        return r;
      }
      throw new RpcError(INVALID_PARAMS, `unknown tool: ${String(params.name).slice(0, 64)}`);
    },
  });
  void peer.closed.then(() => {
    for (const p of pages) p.close();
  });
  return peer;
}
