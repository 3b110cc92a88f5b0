// What an injection needs: the registry and each key's value from its source. The one home of
// "load the registry, resolve the values, tell the keyring keys that have no value" for the
// session hooks, the launcher, the watchdog and cleanup. A keyring that cannot be read is data
// here (`keyringError`): each caller decides whether it stops or reports.
import { registryFile } from '../core/paths.js';
import { resolveValues } from '../engine/engine.js';
import type { KnownValue } from '../engine/config-copies.js';
import type { Registry } from '../registry/registry.js';
import { loadRegistry } from '../registry/registry-file.js';
import type { OpsContext } from './ops-context.js';

export interface SessionValues {
  registry: Registry;
  /** Every inject-mode target with its key's value. */
  known: KnownValue[];
  /** Keys of the keyring it holds no value for (a key of another source that failed is in `failures`). */
  notInKeyring: string[];
  /** One line per key of another source that could not be read. */
  failures: string[];
  /** The keyring could not be read, so nothing is known. */
  keyringError?: Error;
}

/** Loads the registry unless given one (a load failure throws); never throws for the values. */
export async function readSessionValues(ctx: Pick<OpsContext, 'paths' | 'backend' | 'env'>, registry?: Registry): Promise<SessionValues> {
  const reg = registry ?? (await loadRegistry(registryFile(ctx.paths)));
  try {
    const { known, missing, failures = [] } = await resolveValues(reg, ctx.backend(), undefined, { env: ctx.env });
    const notInKeyring = missing.filter((k) => (reg.keys[k]?.source?.source ?? 'keyring') === 'keyring');
    return { registry: reg, known, notInKeyring, failures };
  } catch (err) {
    return { registry: reg, known: [], notInKeyring: [], failures: [], keyringError: err instanceof Error ? err : new Error(String(err)) };
  }
}
