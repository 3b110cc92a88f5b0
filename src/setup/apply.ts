// Carries out a setup plan with the existing operations: import (move plaintext into the
// keyring, wrap), wrap, and the hooks/guards installer handed in by the CLI.
import type { ZeroDiskContext } from '../wrap/zero-disk-context.js';
import { runImport } from '../import/import-keys.js';
import { findingId } from '../import/plaintext.js';
import { wrapServer } from '../wrap/wrap-server.js';
import type { Step } from './plan.js';
import { describeServer } from '../claude/address.js';

/** Adds (or refreshes) the session hooks and guards; `changed`: settings.json was (or would be) written. */
export type HooksInstaller<C> = (ctx: C, dryRun: boolean) => Promise<{ changed: boolean; settingsFile: string }>;

export interface Applied {
  /** What was done, one line each (names only). */
  done: string[];
  warnings: string[];
}

/** `ctx` is the CLI's context, handed back to the installer as it is. */
export async function applySetup<C extends ZeroDiskContext>(ctx: C, steps: readonly Step[], installHooks: HooksInstaller<C>): Promise<Applied> {
  const result: Applied = { done: [], warnings: [] };
  for (const step of steps) {
    if (step.kind === 'import') {
      // A pass before this one may have moved some of the excluded values already: import
      // refuses to exclude what is no longer plaintext, so exclude only what still is.
      const current = await runImport(ctx, { dryRun: true, mode: step.mode, include: new Set(), exclude: new Set() });
      const present = new Set(current.items.map((i) => findingId(i.finding)));
      const exclude = new Set(step.exclude.filter((id) => present.has(id)));
      const r = await runImport(ctx, { dryRun: false, mode: step.mode, include: new Set(), exclude });
      const moved = r.items.filter((i) => i.action !== 'skip');
      for (const i of moved) result.done.push(`moved ${describeServer(i.finding.ref)} ${i.finding.kind} ${i.finding.name} to key ${i.key ?? '?'}`);
      for (const w of r.wrapped) result.done.push(`made ${w} zero-disk`);
      for (const s of r.scrubbed) result.done.push(`scrubbed ${s.found.length} value(s) from ${s.file}`);
      result.warnings.push(...r.warnings);
    } else if (step.kind === 'wrap') {
      const r = await wrapServer(ctx, step.ref);
      if (r.outcome !== 'unchanged') result.done.push(`made ${describeServer(step.ref)} zero-disk`);
      result.warnings.push(...r.warnings);
    } else {
      const r = await installHooks(ctx, false);
      if (r.changed) result.done.push(`installed the session hooks and the guards in ${r.settingsFile}`);
    }
  }
  return result;
}
