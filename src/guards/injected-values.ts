// The values keyring-inject has injected for the running session, found WITHOUT the keyring:
// the string at each recorded target of the config, kept only when our salted HMAC record
// confirms it is the one we wrote. Masking then does not depend on a keyring the model could
// lock. Values live in this process's memory only.
//
// JSON.parse, not our text-preserving scanner: the guard only reads, and native parsing is the
// cheapest way through a large config on every prompt and tool call. Like Claude Code (and
// readEnvValues), the last of duplicate keys wins.
import { readFile } from 'node:fs/promises';
import { macMatches } from '../engine/value-mac.js';
import type { InjectionRecord } from '../engine/state.js';
import type { NamedValue } from './mask.js';
import { describeEnv } from '../claude/address.js';
import { withoutBom } from '../core/bom.js';

export interface InjectedValues {
  values: NamedValue[];
  /** Why at least one injected value could not be confirmed (one line, never a value); undefined when all were. */
  unconfirmed?: string;
}

function member(v: unknown, key: string): unknown {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
}

/** The string at `mcpServers[server].env[env]` of the target's scope, or undefined. */
function envValueAt(config: unknown, r: InjectionRecord): string | undefined {
  const scope = r.scope === 'local' ? member(member(config, 'projects'), r.project ?? '') : config;
  const v = member(member(member(member(scope, 'mcpServers'), r.server), 'env'), r.env);
  return typeof v === 'string' ? v : undefined;
}

export async function injectedValues(records: readonly InjectionRecord[]): Promise<InjectedValues> {
  const values: NamedValue[] = [];
  const problems: string[] = [];
  const byFile = new Map<string, InjectionRecord[]>();
  for (const r of records) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
  for (const [file, recs] of byFile) {
    let current: (string | undefined)[];
    try {
      const config: unknown = JSON.parse(withoutBom(await readFile(file, 'utf8')));
      current = recs.map((r) => envValueAt(config, r));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(code ? `cannot read ${file} (${code})` : `${file} is not valid JSON`);
      continue;
    }
    recs.forEach((r, i) => {
      const v = current[i];
      if (v !== undefined && macMatches(v, r.salt, r.mac)) values.push({ name: r.key, value: v });
      else problems.push(`${describeEnv(r)} no longer holds the value injected there`);
    });
  }
  return problems.length > 0 ? { values, unconfirmed: problems[0] } : { values };
}
