// Reads the values zero-disk commands hand to a process: only in memory, never on disk, never in
// argv. Errors name keys and servers, never values. Every value comes through the one resolver
// (src/sources/resolver.ts): the keyring in one round trip, other sources by reference.
import { ordinal } from '../core/names.js';
import { KiError } from '../core/errors.js';
import type { Env } from '../core/paths.js';
import type { SecretBackend } from '../keyring/backend.js';
import { describeProblem, requestFor, resolveRequests, sourceContext } from '../sources/resolver.js';
import type { HeaderTarget, KeyRecord, Registry, Target } from '../registry/registry.js';
import { sameServer, type ServerAddress } from '../claude/address.js';

async function valuesOf(reg: Registry, backend: SecretBackend, keys: readonly string[], env: Env): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const res = await resolveRequests(
    keys.map((k) => requestFor(k, reg.keys[k]?.source)),
    sourceContext(backend, env),
  );
  const keyringFailure = res.failed.find((f) => f.request.ref.source === 'keyring');
  if (keyringFailure) throw keyringFailure.error ?? new KiError('source-failed', keyringFailure.reason);
  const problems: string[] = [];
  // A key of ours missing from the keyring: the message (and its fix) it always had.
  const missing = res.missing.filter((m) => m.request.ref.source === 'keyring' && m.request.ref.root === undefined).map((m) => m.request.name);
  if (missing.length > 0) {
    problems.push(
      `${missing.length === 1 ? 'key' : 'keys'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in the ${backend.label}: store ${missing.length === 1 ? 'it' : 'them'} with 'keyring-inject rotate NAME --stdin' (or remove the mapping with 'keyring-inject remove NAME')`,
    );
  }
  for (const m of res.missing) {
    if (m.request.ref.source !== 'keyring') problems.push(describeProblem(m.request, m.reason));
    else if (m.request.ref.root !== undefined) problems.push(describeProblem(m.request, `${m.reason}: store it with 'keyring-inject add ${m.request.name} --project ${m.request.ref.root}'`));
  }
  for (const f of res.failed) problems.push(describeProblem(f.request, f.reason));
  if (problems.length > 0) throw new KiError('source-failed', problems.join('; '));
  return res.values;
}

/** Env targets (any mode) of one server entry, by key. */
export function envTargetsFor(reg: Registry, ref: ServerAddress): { key: string; target: Target }[] {
  const out: { key: string; target: Target }[] = [];
  for (const [key, rec] of Object.entries(reg.keys)) for (const target of rec.targets) if (sameServer(target, ref)) out.push({ key, target });
  return out.sort((a, b) => a.target.env.localeCompare(b.target.env));
}

export function headerTargetsFor(reg: Registry, ref: ServerAddress): { key: string; target: HeaderTarget }[] {
  const out: { key: string; target: HeaderTarget }[] = [];
  for (const [key, rec] of Object.entries(reg.keys)) for (const target of rec.headers ?? []) if (sameServer(target, ref)) out.push({ key, target });
  return out.sort((a, b) => a.target.header.localeCompare(b.target.header));
}

function checkEnvValue(key: string, value: string): string {
  if (value.includes('\u0000')) throw new KiError('value-unusable', `the value of key ${key} contains a NUL character, which an environment variable cannot hold: rotate it`);
  return value;
}

/** The environment additions for server `ref`: env var -> value. */
export async function envForServer(reg: Registry, backend: SecretBackend, ref: ServerAddress, env: Env = process.env): Promise<{ env: Record<string, string>; keys: string[] }> {
  const targets = envTargetsFor(reg, ref);
  const keys = [...new Set(targets.map((t) => t.key))];
  const values = await valuesOf(reg, backend, keys, env);
  const out: Record<string, string> = {};
  for (const { key, target } of targets) out[target.env] = checkEnvValue(key, values.get(key) as string);
  return { env: out, keys };
}

/** Fill a header template: every `{value}` is replaced (the value itself is never re-scanned). */
export function fillTemplate(template: string, value: string): string {
  return template.split('{value}').join(value);
}

/** The headers for http server `ref`, as headersHelper prints them. */
export async function headersForServer(reg: Registry, backend: SecretBackend, ref: ServerAddress, env: Env = process.env): Promise<Record<string, string>> {
  const targets = headerTargetsFor(reg, ref);
  if (targets.length === 0)
    throw new KiError(
      'key-not-found',
      `no header is mapped to the MCP server given (${ref.scope} scope; not repeated here): add one with 'keyring-inject add NAME --server SERVER --header "Authorization: Bearer {value}"'`,
    );
  const values = await valuesOf(reg, backend, [...new Set(targets.map((t) => t.key))], env);
  const headers: Record<string, string> = {};
  for (const { key, target } of targets) {
    const v = fillTemplate(target.template, values.get(key) as string);
    // eslint-disable-next-line no-control-regex
    if (/[\r\n\u0000]/.test(v)) throw new KiError('value-unusable', `the value of key ${key} contains a line break or NUL, which a header cannot hold: rotate it`);
    headers[target.header] = v;
  }
  return headers;
}

/** The variables `run` sets for a key: its targets' env names, or (a project entry without targets) its own name. */
export function runVariables(rec: KeyRecord | undefined): string[] {
  if (!rec) return [];
  return [...new Set([...rec.targets.map((t) => t.env), ...(rec.runEnv ? [rec.runEnv] : [])])];
}

/**
 * Every key's env var names (from its targets, de-duplicated), for `run`. `only`: key names.
 * Two keys feeding the same variable name with different values is an error (which one?).
 */
export async function envForRun(reg: Registry, backend: SecretBackend, only: readonly string[] | undefined, procEnv: Env = process.env): Promise<{ env: Record<string, string>; keys: string[] }> {
  const names = only ?? Object.keys(reg.keys).sort();
  names.forEach((n, i) => {
    if (!reg.keys[n]) throw new KiError('key-not-found', `no key by the ${ordinal(i + 1)} name given to --only (not repeated here): see 'keyring-inject list'`);
  });
  const wanted = names.filter((n) => runVariables(reg.keys[n]).length > 0);
  if (only) {
    const noEnv = only.filter((n) => !wanted.includes(n));
    if (noEnv.length > 0) throw new KiError('key-not-found', `key ${noEnv.join(', ')} has no environment variable (only header targets): map one with 'keyring-inject add NAME --server S --env VAR'`);
  }
  if (wanted.length === 0) throw new KiError('key-not-found', "no keys with environment variables are registered: add one with 'keyring-inject add NAME --server S --env VAR'");
  const values = await valuesOf(reg, backend, wanted, procEnv);
  const env: Record<string, string> = {};
  const from: Record<string, string> = {};
  for (const key of wanted) {
    const value = checkEnvValue(key, values.get(key) as string);
    for (const name of runVariables(reg.keys[key])) {
      const prev = from[name];
      if (prev !== undefined && prev !== key && env[name] !== value) {
        throw new KiError('key-conflict', `keys ${prev} and ${key} both feed ${name} with different values: choose one with --only`);
      }
      env[name] = value;
      from[name] ??= key;
    }
  }
  return { env, keys: wanted };
}
