// The default source: our own OS keyring (the existing SecretBackend). Every keyring reference of
// one resolve is read with ONE getMany round trip: the hooks are latency-critical.
import { oneLine } from '../core/errors.js';
import type { Outcome, SecretSource, SourceContext, SourceRequest } from './source.js';

export const keyringSource: SecretSource = {
  kind: 'keyring',
  label: 'OS keyring',

  async available(ctx) {
    try {
      // A name nobody stores: answers "not stored" when the keyring works, throws with the fix when not.
      await ctx.keyring().get('.keyring-inject-probe');
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: oneLine(err instanceof Error ? err.message : String(err)) };
    }
  },

  async resolve(requests: readonly SourceRequest[], ctx: SourceContext): Promise<Map<string, Outcome>> {
    const out = new Map<string, Outcome>();
    if (requests.length === 0) return out;
    const backend = ctx.keyring();
    const ids = [...new Set(requests.map((r) => r.ref.id))];
    let values: Map<string, string>;
    try {
      values = await backend.getMany(ids);
    } catch (err) {
      const reason = oneLine(err instanceof Error ? err.message : String(err));
      for (const r of requests) out.set(r.name, { kind: 'failed', reason, error: err });
      return out;
    }
    for (const r of requests) {
      const value = values.get(r.ref.id);
      out.set(r.name, value === undefined ? { kind: 'missing', reason: `not in the ${backend.label}` } : { kind: 'value', value });
    }
    return out;
  },
};
