// The one resolver every command uses (hooks and the launcher through engine.resolveValues,
// exec/headers/run through wrap/values.ts): group the requests by source, ask each source
// once, concurrently, and return the values in memory.
//
// Latency: all keyring references go into ONE getMany round trip, exactly as before sources
// existed; a registry with only keyring keys loads no other source's code and starts no process.
import type { Env } from '../core/paths.js';
import type { SecretBackend } from '../keyring/backend.js';
import { keyringSource } from './keyring.js';
import { describeRef, keyringRef, refProblem, type SourceKind, type SourceRef } from '../registry/source-ref.js';
import { sourceTimeout, type Outcome, type SecretSource, type SourceContext, type SourceRequest } from './source.js';

export interface Resolution {
  /** Request name -> value. Memory only: never logged, never written. */
  values: Map<string, string>;
  /** The source answered, but holds nothing under the reference. */
  missing: { request: SourceRequest; reason: string }[];
  /** The source could not be asked. `error` is the original error (the keyring's, so callers can rethrow it as before). */
  failed: { request: SourceRequest; reason: string; error?: unknown }[];
}

/** Loaded on first use: a hook that reads only the keyring never loads the CLI code. */
export async function sourceFor(kind: SourceKind): Promise<SecretSource> {
  switch (kind) {
    case 'keyring':
      return keyringSource;
    case 'env-file':
      return (await import('./env-file.js')).envFileSource;
    case 'pass':
      return (await import('./cli-sources.js')).passSource;
    case '1password':
      return (await import('./cli-sources.js')).onePasswordSource;
    case 'doppler':
      return (await import('./cli-sources.js')).dopplerSource;
    case 'aws':
      return (await import('./cli-sources.js')).awsSource;
    case 'gcp':
      return (await import('./cli-sources.js')).gcpSource;
    case 'bitwarden':
      return (await import('./cli-sources.js')).bitwardenSource;
    case 'azure':
      return (await import('./cli-sources.js')).azureSource;
    case 'infisical':
      return (await import('./cli-sources.js')).infisicalSource;
    case 'keepassxc':
      return (await import('./keepassxc.js')).keepassxcSource;
    case 'age':
      return (await import('./age.js')).ageSource;
    case 'vault':
      return (await import('./vault.js')).vaultSource;
    case 'os-keyring':
      return (await import('./foreign-keyring.js')).osKeyringSource;
  }
}

export function sourceContext(keyring: SecretBackend | (() => SecretBackend), env: Env = process.env): SourceContext {
  return { env, timeoutMs: sourceTimeout(env), keyring: typeof keyring === 'function' ? keyring : () => keyring };
}

/** The request for a registry key: its own source reference, or the keyring under its name. */
export function requestFor(name: string, source: SourceRef | undefined): SourceRequest {
  return { name, ref: source ?? keyringRef(name) };
}

export async function resolveRequests(requests: readonly SourceRequest[], ctx: SourceContext): Promise<Resolution> {
  const res: Resolution = { values: new Map(), missing: [], failed: [] };
  const groups = new Map<SourceKind, SourceRequest[]>();
  for (const req of requests) {
    const problem = refProblem(req.ref);
    if (problem) {
      res.failed.push({ request: req, reason: problem });
      continue;
    }
    const g = groups.get(req.ref.source);
    if (g) g.push(req);
    else groups.set(req.ref.source, [req]);
  }
  const byName = new Map(requests.map((r) => [r.name, r]));
  const answers = await Promise.all(
    [...groups].map(async ([kind, reqs]) => {
      try {
        return await (await sourceFor(kind)).resolve(reqs, ctx);
      } catch (err) {
        // A source never should throw; if one does, its keys fail, the others still resolve.
        const reason = err instanceof Error ? err.message : String(err);
        return new Map<string, Outcome>(reqs.map((r) => [r.name, { kind: 'failed', reason, error: err }]));
      }
    }),
  );
  for (const answer of answers) {
    for (const [name, outcome] of answer) {
      const request = byName.get(name) as SourceRequest;
      if (outcome.kind === 'value') res.values.set(name, outcome.value);
      else if (outcome.kind === 'missing') res.missing.push({ request, reason: outcome.reason });
      else res.failed.push({ request, reason: outcome.reason, ...(outcome.error !== undefined ? { error: outcome.error } : {}) });
    }
  }
  return res;
}

/** "key NAME (pass github/token): REASON" — names and references only. */
export function describeProblem(request: SourceRequest, reason: string): string {
  return `key ${request.name} (${describeRef(request.ref)}): ${reason}`;
}
