// What an approved project file needs on this machine, without reading any value: which keyring items are missing (the launcher asks for them once),
// which sources cannot be used here (a vendor CLI not installed, an env file not there).
import type { Env } from '../core/paths.js';
import type { SecretBackend } from '../keyring/backend.js';
import { projectRef, type ProjectEntry, type ProjectFile } from './team-file.js';
import { sourceContext, sourceFor } from './resolver.js';

export type Need =
  | { name: string; entry: ProjectEntry; state: 'ok' }
  /** A keyring item this machine does not hold yet: ask for it. */
  | { name: string; entry: ProjectEntry; state: 'missing' }
  /** The source cannot be used here; `reason` names the fix. */
  | { name: string; entry: ProjectEntry; state: 'unavailable'; reason: string };

/** Each entry of `project` named in `names` (default: all), in file order. */
export async function projectNeeds(project: ProjectFile, backend: SecretBackend, env: Env, names?: readonly string[]): Promise<Need[]> {
  const entries = [...project.entries].filter(([name]) => !names || names.includes(name));
  const ids = [...new Set(entries.filter(([, e]) => e.ref.source === 'keyring').map(([, e]) => e.ref.id))];
  // Names only (one round trip): no value is read to learn what is missing.
  const present = ids.length ? new Set(await backend.list()) : new Set<string>();
  const ctx = sourceContext(backend, env);
  return Promise.all(
    entries.map(async ([name, entry]): Promise<Need> => {
      if (entry.ref.source === 'keyring') return present.has(entry.ref.id) ? { name, entry, state: 'ok' } : { name, entry, state: 'missing' };
      const a = await (await sourceFor(entry.ref.source)).available(ctx, projectRef(project, entry));
      return a.ok ? { name, entry, state: 'ok' } : { name, entry, state: 'unavailable', reason: a.reason };
    }),
  );
}
