// Replace a keyring key's value, and the copies injected for live sessions at once.
import { KiError } from '../core/errors.js';
import { noKeyNamed } from '../core/names.js';
import { registryFile } from '../core/paths.js';
import { refreshInjected } from '../engine/engine.js';
import { withRotated } from '../registry/registry.js';
import { loadRegistry, updateRegistry } from '../registry/registry-file.js';
import { engineContext, type OpsContext } from './ops-context.js';

export interface RotateKeyRequest {
  name: string;
  /** The new value: asked only once the key is known to be the keyring's. */
  readValue(label: string): Promise<string>;
}

export interface RotateKeyReport {
  name: string;
  rotatedAt: string | undefined;
  backendLabel: string;
  /** Injected copies replaced in the config. */
  reinjected: number;
}

export async function rotateKey(ctx: OpsContext, req: RotateKeyRequest): Promise<RotateKeyReport> {
  const { name } = req;
  const file = registryFile(ctx.paths);
  const record = (await loadRegistry(file)).keys[name];
  if (!record) throw new KiError('key-not-found', `${noKeyNamed(name)}: see 'keyring-inject list', or add it with 'keyring-inject add'`);
  if (record.source && record.source.source !== 'keyring') {
    throw new KiError('key-external', `${name} is read from ${record.source.source}, not the keyring: rotate it there; keyring-inject reads the new value at the next session start`);
  }
  const value = await req.readValue(`New value for ${name} (input hidden)`);
  const backend = ctx.backend();
  await backend.set(name, value);
  const rotatedAt = await updateRegistry(file, (reg) => {
    const registry = withRotated(reg, name, ctx.now());
    return { registry, result: registry.keys[name]?.rotatedAt };
  });
  const targets = (await loadRegistry(file)).keys[name]?.targets ?? [];
  const refreshed = await refreshInjected(
    engineContext(ctx),
    targets.map((target) => ({ key: name, target, value })),
  );
  return { name, rotatedAt, backendLabel: backend.label, reinjected: refreshed.injected.length };
}
