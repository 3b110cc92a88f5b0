import type { ServerAddress } from '../claude/address.js';
// What `keyring-inject setup` will do, decided from facts alone (no disk, no keyring): move the
// plaintext keys, put each server in the best mode it supports (zero-disk where possible, the
// launcher/hooks where not), install the hooks and guards, and the table the user sees at the end.

export interface ServerFacts {
  ref: ServerAddress;
  http: boolean;
  /** Already runs through our exec wrapper / headersHelper. */
  wrapped: boolean;
  /** Why wrap would refuse this entry (e.g. a headersHelper of its own); undefined: it can be wrapped. */
  wrapBlocker?: string | undefined;
  /** Plaintext secrets import would move (labels such as "env GITHUB_TOKEN"), and the key each becomes. */
  plaintext: { label: string; key: string /** SERVER.NAME, as import's --include/--exclude take it. */; id: string }[];
  /** Keys already registered for the server, with where each value lives ("keyring", "pass github/token"). */
  keys: { key: string; from: string; header: boolean }[];
}

export interface SetupFacts {
  servers: ServerFacts[];
  /** Our session hooks and guards are in settings.json, with the current paths. */
  hooksInstalled: boolean;
}

export type Step =
  /** Move plaintext into the keyring; `wrap`: and make the servers zero-disk. `exclude`: ids left for another pass. */
  { kind: 'import'; mode: 'wrap' | 'inject'; count: number; exclude: string[] } | { kind: 'wrap'; ref: ServerAddress } | { kind: 'install-hooks' };

export type Protection = 'zero-disk' | 'headers-helper' | 'inject' | 'none';

export interface Row {
  ref: ServerAddress;
  /** Where its key(s) come from after setup: "keyring: github.GITHUB_TOKEN", or "-". */
  from: string;
  how: Protection;
  /** Why a server is not zero-disk (inject mode), for the table. */
  note?: string;
}

export interface SetupPlan {
  steps: Step[];
  rows: Row[];
  /** Some server gets its key by injection: the launcher (or /mcp reconnect) is needed. */
  needsLauncher: boolean;
}

export const PROTECTION_TEXT: Record<Protection, string> = {
  'zero-disk': 'zero-disk: read from the keyring when the server starts, never written to a file',
  'headers-helper': "zero-disk: sent as a header by Claude Code's headersHelper, never written to a file",
  inject: "injected: in ~/.claude.json only while a session runs (use 'keyring-inject claude')",
  none: 'no key',
};

export function planSetup(facts: SetupFacts): SetupPlan {
  const steps: Step[] = [];
  const blocked = (s: ServerFacts) => s.wrapBlocker !== undefined && !s.wrapped;
  const ids = (list: ServerFacts[]) => list.flatMap((s) => s.plaintext.map((p) => p.id));
  const zeroDisk = facts.servers.filter((s) => !blocked(s));
  const injected = facts.servers.filter(blocked);
  // import --mode wrap moves the plaintext values and wraps the servers it moved keys for; a
  // server that cannot be wrapped gets its keys moved in inject mode, in a pass of its own.
  if (ids(zeroDisk).length > 0) steps.push({ kind: 'import', mode: 'wrap', count: ids(zeroDisk).length, exclude: ids(injected) });
  if (ids(injected).length > 0) steps.push({ kind: 'import', mode: 'inject', count: ids(injected).length, exclude: ids(zeroDisk) });
  const rows: Row[] = [];
  for (const s of facts.servers) {
    const keys = [...new Set([...s.keys.map((k) => `${k.from}: ${k.key}`), ...s.plaintext.map((p) => `keyring: ${p.key}`)])];
    const hasKeys = keys.length > 0;
    const from = hasKeys ? keys.join(', ') : '-';
    if (!hasKeys) {
      rows.push({ ref: s.ref, from, how: 'none' });
      continue;
    }
    if (blocked(s)) {
      rows.push({ ref: s.ref, from, how: 'inject', note: `cannot be zero-disk: ${s.wrapBlocker}` });
      continue;
    }
    // Servers import moves keys for get wrapped by import itself; the others here.
    if (!s.wrapped && s.plaintext.length === 0) steps.push({ kind: 'wrap', ref: s.ref });
    rows.push({ ref: s.ref, from, how: s.http ? 'headers-helper' : 'zero-disk' });
  }
  // The guards protect every mode; the session hooks serve the injected servers.
  if (!facts.hooksInstalled) steps.push({ kind: 'install-hooks' });
  return { steps, rows, needsLauncher: rows.some((r) => r.how === 'inject') };
}

/** The closing table: server -> where its key comes from -> protected how. */
export function formatTable(rows: readonly Row[], describe: (ref: ServerAddress) => string): string[] {
  const head = ['server', 'key from', 'protected how'] as const;
  const cells = rows.map((r) => [describe(r.ref), r.from, `${PROTECTION_TEXT[r.how]}${r.note ? ` (${r.note})` : ''}`] as const);
  const w0 = Math.max(head[0].length, ...cells.map((c) => c[0].length));
  const w1 = Math.max(head[1].length, ...cells.map((c) => c[1].length));
  return [head, ...cells].map((c) => `  ${c[0].padEnd(w0)}  ${c[1].padEnd(w1)}  ${c[2]}`.trimEnd());
}
