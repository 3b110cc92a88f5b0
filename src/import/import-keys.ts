// `import`: move plaintext values sitting in ~/.claude.json (server `env` blocks and http
// `headers`) into the keyring, register them, remove them from the file and from Claude Code's
// copies of it. Order, so that a value is never lost: keyring (verified by reading back) ->
// registry -> config (under the lock, only where the value is still exactly the same) -> copies.
import { readFile, stat } from 'node:fs/promises';
import { KiError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic-write.js';
import { appearsInJson } from '../core/value-in-text.js';
import { checkKeyName, ordinal } from '../core/names.js';
import { registryFile } from '../core/paths.js';
import { readConfigText, withConfigLock } from '../claude/config-file.js';
import { configCopies, scrubCopies, type KnownValue } from '../engine/config-copies.js';
import { emptyState, readStateForReport } from '../engine/state.js';
import type { SecretBackend } from '../keyring/backend.js';
import { headerOwnerOf, ownerOf, withHeaderTargets, withKey, withServerMode, type HeaderTarget, type Registry, type Target, type TargetMode } from '../registry/registry.js';
import { loadRegistry, updateRegistry } from '../registry/registry-file.js';
import type { ZeroDiskContext } from '../wrap/zero-disk-context.js';
import { configError } from '../claude/config-servers.js';
import { editConfigForCommand } from '../claude/config-edit.js';
import { findingId, replaceRaw, scanPlaintext, stripPlaintextText, type Finding, type StripItem } from './plaintext.js';
import { selfPaths } from '../wrap/format.js';
import { wrapEditOf, wrapStateIn, type WrapTarget } from '../wrap/patch.js';
import { recordWrapTargets } from '../wrap/record.js';
import { describeServer, sameServer, serverAddressJson, type ServerAddress, type ServerAddressJson } from '../claude/address.js';

export type Action = 'import' | 'strip' | 'skip';

export interface PlanItem {
  finding: Finding;
  action: Action;
  /** Why skipped / why a secret (rule names, never content). */
  reason: string;
  key?: string;
  /** The key exists already (same value): only targets are added. */
  existingKey?: boolean;
}

/** The report shape (never a value). */
export interface PlanRow extends ServerAddressJson {
  kind: 'env' | 'header';
  name: string;
  action: Action;
  reason: string;
  key: string | null;
  template: string | null;
}

export function planRow(i: PlanItem): PlanRow {
  const f = i.finding;
  return {
    ...serverAddressJson(f.ref),
    kind: f.kind,
    name: f.name,
    action: i.action,
    reason: i.reason,
    key: i.key ?? null,
    template: f.kind === 'header' && i.action !== 'skip' ? (f.template ?? null) : null,
  };
}

/** `github` + `GITHUB_TOKEN` -> `github.GITHUB_TOKEN`, made a valid key name. */
export function deriveKeyName(server: string, name: string): string {
  let s = `${server}.${name}`.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  if (s === '') s = 'key';
  return checkKeyName(s.slice(0, 120));
}

function envTarget(ref: ServerAddress, name: string, mode: TargetMode): Target {
  return { server: ref.server, env: name, scope: ref.scope, ...(ref.scope === 'local' ? { project: ref.project as string } : {}), ...(mode === 'wrap' ? { mode } : {}) };
}

function headerTarget(ref: ServerAddress, name: string, template: string): HeaderTarget {
  return { server: ref.server, header: name, template, scope: ref.scope, ...(ref.scope === 'local' ? { project: ref.project as string } : {}) };
}

/**
 * Decide, for every finding, what import does and under which key name. Reads the keyring
 * values of the keys it might reuse (in memory only, to compare).
 */
export async function planImport(findings: readonly Finding[], reg: Registry, backend: SecretBackend): Promise<PlanItem[]> {
  const candidates = findings.filter((f) => f.secret);
  const owners = candidates.map((f) => (f.kind === 'env' ? ownerOf(reg, envTarget(f.ref, f.name, 'inject')) : headerOwnerOf(reg, headerTarget(f.ref, f.name, '{value}'))));
  const names = new Set<string>();
  candidates.forEach((f, i) => {
    const o = owners[i];
    if (o) names.add(o);
    const base = deriveKeyName(f.ref.server, f.name);
    for (let n = 1; n <= 9; n++) names.add(n === 1 ? base : `${base}-${n}`);
  });
  const stored = new Set(await backend.list().catch(() => [] as string[]));
  const lookup = [...names].filter((n) => stored.has(n) || reg.keys[n] !== undefined);
  const existing = lookup.length > 0 ? await backend.getMany(lookup) : new Map<string, string>();
  const planned = new Map<string, string>(); // key -> value, for keys this import creates

  const items: PlanItem[] = [];
  for (const f of findings) {
    if (!f.secret) {
      items.push({ finding: f, action: 'skip', reason: f.why });
      continue;
    }
    const owner = owners[candidates.indexOf(f)];
    if (owner) {
      if (existing.get(owner) === f.value) items.push({ finding: f, action: 'strip', reason: `already in the keyring as ${owner}`, key: owner, existingKey: true });
      else items.push({ finding: f, action: 'skip', reason: `already mapped to key ${owner} with a different value: rotate ${owner} or remove the plaintext by hand` });
      continue;
    }
    const base = deriveKeyName(f.ref.server, f.name);
    let chosen: PlanItem | undefined;
    for (let n = 1; n <= 9 && !chosen; n++) {
      const key = n === 1 ? base : `${base}-${n}`;
      const have = planned.get(key) ?? existing.get(key);
      const taken = have !== undefined || reg.keys[key] !== undefined || stored.has(key);
      if (!taken) {
        planned.set(key, f.value);
        chosen = { finding: f, action: 'import', reason: f.why, key };
      } else if (have === f.value) {
        chosen = { finding: f, action: planned.has(key) ? 'import' : 'strip', reason: planned.has(key) ? f.why : `already in the keyring as ${key}`, key, existingKey: !planned.has(key) };
      }
    }
    items.push(chosen ?? { finding: f, action: 'skip', reason: `no free key name (${base}, ${base}-2 ... ${base}-9 are taken)` });
  }
  return items;
}

export interface ImportResult {
  items: PlanItem[];
  /** Servers wrapped (names). */
  wrapped: string[];
  /** Files (config copies) cleaned, with what was found (labels, never values). */
  scrubbed: { file: string; found: string[] }[];
  warnings: string[];
}

/** Plan (always) and apply (unless dryRun). */
export async function runImport(ctx: ZeroDiskContext, opts: { dryRun: boolean; mode: TargetMode; include: Set<string>; exclude: Set<string> }): Promise<ImportResult> {
  const file = ctx.paths.configFile;
  const text = await readConfigText(file);
  if (text === undefined) throw new KiError('config-missing', `${file} does not exist: nothing to import`);
  const state = await readStateForReport(ctx.paths);
  let findings: Finding[];
  try {
    findings = scanPlaintext(text, { injected: state.injected, include: opts.include, exclude: opts.exclude });
  } catch (err) {
    throw configError(file, err) ?? new KiError('file-io', `cannot read ${file}`, { cause: err });
  }
  for (const [flag, ids] of [['--include', opts.include] as const, ['--exclude', opts.exclude] as const]) {
    for (const [n, id] of [...ids].entries()) {
      // Named by position, not repeated: a value typed in the wrong place must not be echoed.
      if (!findings.some((f) => findingId(f) === id))
        throw new KiError('server-not-found', `${flag}: the ${ordinal(n + 1)} SERVER.NAME given is not a plaintext entry of ${file} (see 'keyring-inject doctor')`);
    }
  }
  const backend = ctx.backend();
  const reg = await loadRegistry(registryFile(ctx.paths));
  const items = await planImport(findings, reg, backend);
  const result: ImportResult = { items, wrapped: [], scrubbed: [], warnings: [] };
  const moving = items.filter((i) => i.action !== 'skip');
  if (opts.dryRun || moving.length === 0) return result;

  // 1. Keyring, verified by reading back.
  const created = new Map<string, string>();
  for (const i of moving) if (i.action === 'import' && i.key && !created.has(i.key)) created.set(i.key, i.finding.value);
  for (const [key, value] of created) {
    await backend.set(key, value);
    if ((await backend.get(key)) !== value) throw new KiError('keyring-unavailable', `the ${backend.label} did not keep key ${key}: nothing was removed from ${file}`);
  }

  // 2. Registry. A server that is (or will be) wrapped gets 'wrap' targets.
  const wrapServers: ServerAddress[] = [];
  const addServer = (ref: ServerAddress) => {
    if (!wrapServers.some((r) => sameServer(r, ref))) wrapServers.push(ref);
  };
  for (const i of moving) if (i.finding.kind === 'header' || opts.mode === 'wrap' || i.finding.serverWrapped) addServer(i.finding.ref);
  await updateRegistry(registryFile(ctx.paths), (r) => {
    let next = r;
    for (const i of moving) {
      const f = i.finding;
      const key = i.key as string;
      if (f.kind === 'env') {
        const mode: TargetMode = wrapServers.some((w) => sameServer(w, f.ref)) ? 'wrap' : 'inject';
        const target = envTarget(f.ref, f.name, mode);
        const owner = ownerOf(next, target);
        if (owner && owner !== key) throw new KiError('key-conflict', `${f.ref.server}.env.${f.name} was mapped to key ${owner} meanwhile: run import again`);
        next = withKey(next, key, [target], backend.id, ctx.now());
      } else {
        if (!next.keys[key]) next = withKey(next, key, [], backend.id, ctx.now());
        next = withHeaderTargets(next, key, [headerTarget(f.ref, f.name, f.template ?? '{value}')]);
      }
    }
    for (const ref of wrapServers) next = withServerMode(next, ref, 'wrap');
    return { registry: next, result: undefined };
  });

  // 3. The config: strip (only where the value is still the same), then wrap.
  const strip: StripItem[] = moving.map((i) => ({ ref: i.finding.ref, kind: i.finding.kind, name: i.finding.name, raw: i.finding.raw }));
  const self = wrapServers.length > 0 ? selfPaths(ctx.env) : undefined;
  const done = await editConfigForCommand(
    file,
    (t) => {
      let out = stripPlaintextText(t, strip).text;
      const wrapped: string[] = [];
      const targets: { ref: ServerAddress; target: WrapTarget | undefined }[] = [];
      for (const ref of wrapServers) {
        const w = wrapEditOf(out, ref, self as NonNullable<typeof self>);
        if (w.outcome.kind === 'wrapped' || w.outcome.kind === 'rewrapped' || w.outcome.kind === 'unchanged') {
          wrapped.push(describeServer(ref));
          targets.push({ ref, target: w.target });
        } else if (w.outcome.kind === 'unsupported') result.warnings.push(`could not wrap ${describeServer(ref)}: ${w.outcome.reason}`);
        out = w.text;
      }
      return { text: out, result: { wrapped, targets } };
    },
    (t) => stripPlaintextText(t, strip).stripped.length === 0 && wrapServers.every((ref) => wrapStateIn(t, ref) !== 'not-wrapped'),
  );
  result.wrapped = done?.result.wrapped ?? [];
  // What exec and headers will serve these servers' keys to (record.ts), as the edit reported it.
  if (done) await recordWrapTargets(ctx.paths, done.result.targets);

  // 4. Claude Code's copies: env values by target (the engine's scrubber), then headers and
  //    any other occurrence of the same values.
  const known: KnownValue[] = moving.filter((i) => i.finding.kind === 'env').map((i) => ({ key: i.key as string, target: envTarget(i.finding.ref, i.finding.name, 'inject'), value: i.finding.raw }));
  const values = [...new Set(moving.flatMap((i) => [i.finding.raw, i.finding.value]))];
  await withConfigLock(file, async () => {
    // A throw-away state: no records of ours are involved, and every copy is read (full).
    const env = await scrubCopies(ctx.paths, emptyState(), known, false, true);
    const found = new Map<string, Set<string>>();
    for (const c of env.cleaned) found.set(c.file, new Set(c.found));
    for (const copy of await configCopies(ctx.paths)) {
      const before = await readFile(copy, 'utf8').catch(() => undefined);
      if (before === undefined) continue;
      let t = before;
      const labels = found.get(copy) ?? new Set<string>();
      try {
        const s = stripPlaintextText(t, strip);
        t = s.text;
        for (const it of s.stripped) labels.add(`${describeServer(it.ref)} ${it.kind} ${it.name}`);
      } catch {
        // not JSON (a corrupted copy): only raw occurrences below
      }
      const raw = replaceRaw(t, values);
      t = raw.text;
      if (raw.count > 0) labels.add(`${raw.count} other occurrence(s)`);
      if (values.some((v) => appearsInJson(t, v))) result.warnings.push(`a moved value is still in ${copy}: remove that copy by hand`);
      if (t !== before) await writeFileAtomic(copy, t, { mode: (await stat(copy)).mode & 0o7777 });
      if (labels.size > 0) found.set(copy, labels);
    }
    result.scrubbed = [...found].map(([f, l]) => ({ file: f, found: [...l].sort() }));
  });

  // 5. Anything left in the config itself (outside server entries, e.g. a pasted prompt)?
  const after = (await readConfigText(file)) ?? '';
  if (values.some((v) => appearsInJson(after, v))) {
    result.warnings.push(`a moved value still appears elsewhere in ${file} (outside the server entries, e.g. in a project's history): remove it by hand; 'keyring-inject doctor --values' finds it`);
  }
  return result;
}
