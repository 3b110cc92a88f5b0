// An item another program keeps in the OS keyring, by its service and account (what Python's
// keyring library, secret-tool and mcp-keyring-injector use): `id` is the account,
// `metadata.service` the service. Read like our own keys (one round trip per service), never
// written. Only the user registry may name such items: a project file may not (team-file.ts), or
// a cloned repository could read any program's secrets.
import { oneLine } from '../core/errors.js';
import type { Availability, Outcome, SecretSource, SourceContext, SourceRequest } from './source.js';

export const osKeyringSource: SecretSource = {
  kind: 'os-keyring',
  label: 'OS keyring item',

  async available(ctx: SourceContext): Promise<Availability> {
    const backend = ctx.keyring();
    if (!backend.forService) return { ok: false, reason: `the ${backend.label} cannot read other programs' items` };
    try {
      await backend.get('.keyring-inject-probe');
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: oneLine(err instanceof Error ? err.message : String(err)) };
    }
  },

  async resolve(requests: readonly SourceRequest[], ctx: SourceContext): Promise<Map<string, Outcome>> {
    const out = new Map<string, Outcome>();
    const byService = new Map<string, SourceRequest[]>();
    for (const r of requests) {
      const s = r.ref.metadata?.service ?? '';
      byService.set(s, [...(byService.get(s) ?? []), r]);
    }
    await Promise.all(
      [...byService].map(async ([service, reqs]) => {
        const base = ctx.keyring();
        try {
          if (!base.forService) throw new Error(`the ${base.label} cannot read other programs' items`);
          const backend = base.forService(service);
          const values = await backend.getMany([...new Set(reqs.map((r) => r.ref.id))]);
          for (const r of reqs) {
            const value = values.get(r.ref.id);
            out.set(
              r.name,
              value === undefined || value === ''
                ? { kind: 'missing', reason: `no item with service ${service} and account ${r.ref.id} in the ${backend.label}: store it again, or re-add the key` }
                : { kind: 'value', value },
            );
          }
        } catch (err) {
          const reason = oneLine(err instanceof Error ? err.message : String(err));
          for (const r of reqs) out.set(r.name, { kind: 'failed', reason, error: err });
        }
      }),
    );
    return out;
  },
};
