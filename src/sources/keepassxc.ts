// KeePassXC databases through `keepassxc-cli show -a Password -- DATABASE ENTRY`. The database
// password (when there is one) is asked once by `add` (hidden) and kept in the OS keyring under
// a name no reference can spell (it starts with '.'), keyed by the database's real path; it
// reaches keepassxc-cli on stdin only. A key file (`metadata.keyFile`) goes as `-k FILE`; a
// database that has a key file and no stored password is opened with `--no-password`.
import { KiError, oneLine } from '../core/errors.js';
import { nodeCrypto } from '../core/lazy-load.js';
import { chompOne, findOnPath, runCli, type CliResult, type VendorCli } from './cli-run.js';
import { limit } from './cli-sources.js';
import type { SourceRef } from '../registry/source-ref.js';
import { realRefPath } from './source-path.js';
import type { Availability, Outcome, SecretSource, SourceContext, SourceIo, SourceRequest } from './source.js';

const CLI: VendorCli = {
  bin: 'keepassxc-cli',
  what: "KeePassXC's command line (keepassxc-cli)",
  install: "install it with 'sudo apt-get install keepassxc' (it ships keepassxc-cli) or from https://keepassxc.org/download/",
  envNames: ['XDG_CONFIG_HOME', 'XDG_RUNTIME_DIR'],
  envPrefixes: [],
  stderrSkip: /^Enter password to unlock .*?:\s*/,
};

const ITEM_PREFIX = '.keepassxc-db.';

/** The keyring item holding the password of the database at real path `db`. */
export function databasePasswordItem(db: string): string {
  return `${ITEM_PREFIX}${nodeCrypto().createHash('sha256').update(db).digest('hex').slice(0, 32)}`;
}

interface Opened {
  db: string;
  keyFile?: string;
}

function files(ref: SourceRef): Opened | { problem: string } {
  const db = realRefPath(ref, 'database', 'KeePassXC database');
  if (!db) return { problem: `a keepassxc reference needs metadata.database (--meta database=FILE)` };
  if ('problem' in db) return db;
  const key = realRefPath(ref, 'keyFile', 'KeePassXC key file');
  if (key && 'problem' in key) return key;
  return { db: db.file, ...(key ? { keyFile: key.file } : {}) };
}

function show(o: Opened, entry: string, password: string | undefined, ctx: SourceContext): Promise<CliResult> {
  const args = ['show', '-a', 'Password', ...(o.keyFile ? ['-k', o.keyFile] : []), ...(password === undefined ? ['--no-password'] : []), '--', o.db, entry];
  return runCli(CLI, args, ctx.env, ctx.timeoutMs, password === undefined ? undefined : `${password}\n`);
}

const LOCKED = /Invalid credentials|wrong key or database file is corrupt|HMAC mismatch/i;

function outcomeOf(r: CliResult, ref: SourceRef, o: Opened, hadPassword: boolean): Outcome {
  if (r.ok) {
    const v = chompOne(r.stdout);
    return v === '' ? { kind: 'missing', reason: `the KeePassXC entry ${ref.id} has an empty password` } : { kind: 'value', value: v };
  }
  if (r.kind === 'exit' && /Could not find entry/i.test(r.allStderr ?? r.stderr))
    return { kind: 'missing', reason: `the KeePassXC database ${o.db} has no entry ${ref.id}: check the entry path (Group/Title)` };
  if (r.kind === 'exit' && LOCKED.test(r.allStderr ?? r.stderr)) {
    return {
      kind: 'failed',
      reason: `the KeePassXC database ${o.db} did not open with ${hadPassword ? 'the password kept in the keyring' : 'no password'}${o.keyFile ? ' and the key file' : ''}: run the 'keyring-inject add ... --source keepassxc' command of this key again on a terminal to store the right password`,
    };
  }
  return { kind: 'failed', reason: r.reason };
}

async function storedPassword(o: Opened, ctx: SourceContext): Promise<string | undefined> {
  return ctx.keyring().get(databasePasswordItem(o.db));
}

export const keepassxcSource: SecretSource = {
  kind: 'keepassxc',
  label: 'KeePassXC',

  async available(ctx: SourceContext, ref?: SourceRef): Promise<Availability> {
    if (!findOnPath(CLI.bin, ctx.env)) return { ok: false, reason: `${CLI.what} is not installed or not on PATH: ${CLI.install}` };
    if (!ref) return { ok: true };
    const o = files(ref);
    return 'problem' in o ? { ok: false, reason: o.problem } : { ok: true };
  },

  async resolve(requests: readonly SourceRequest[], ctx: SourceContext): Promise<Map<string, Outcome>> {
    const out = new Map<string, Outcome>();
    const calls = new Map<string, Promise<Outcome>>();
    await Promise.all(
      requests.map(async (req) => {
        const o = files(req.ref);
        if ('problem' in o) {
          out.set(req.name, { kind: 'failed', reason: o.problem });
          return;
        }
        const id = JSON.stringify([o.db, o.keyFile ?? '', req.ref.id]);
        let call = calls.get(id);
        if (!call) {
          call = limit(async (): Promise<Outcome> => {
            let password: string | undefined;
            try {
              password = await storedPassword(o, ctx);
            } catch (err) {
              return { kind: 'failed', reason: oneLine(err instanceof Error ? err.message : String(err)), error: err };
            }
            if (password === undefined && !o.keyFile) {
              return {
                kind: 'failed',
                reason: `the password of the KeePassXC database ${o.db} is not in the keyring: run the 'keyring-inject add ... --source keepassxc' command of this key again on a terminal (it asks once, hidden)`,
              };
            }
            return outcomeOf(await show(o, req.ref.id, password, ctx), req.ref, o, password !== undefined);
          });
          calls.set(id, call);
        }
        out.set(req.name, await call);
      }),
    );
    return out;
  },

  async prepare(ref: SourceRef, ctx: SourceContext, io: SourceIo): Promise<void> {
    const o = files(ref);
    if ('problem' in o) throw new KiError('source-failed', o.problem);
    if (!findOnPath(CLI.bin, ctx.env)) throw new KiError('source-failed', `${CLI.what} is not installed or not on PATH: ${CLI.install}`);
    const item = databasePasswordItem(o.db);
    const stored = await ctx.keyring().get(item);
    // Already opens (with the stored password, or with the key file only): nothing to ask.
    const first = await show(o, ref.id, stored, ctx);
    if (first.ok || first.kind !== 'exit' || !LOCKED.test(first.allStderr ?? first.stderr)) {
      const outcome = outcomeOf(first, ref, o, stored !== undefined);
      if (outcome.kind === 'failed') throw new KiError('source-failed', outcome.reason);
      if (outcome.kind === 'missing') io.note(outcome.reason);
      return;
    }
    const password = await io.askHidden(`Password of the KeePassXC database ${o.db} (input hidden; kept in the OS keyring)`);
    if (password === undefined) {
      throw new KiError('source-failed', `the KeePassXC database ${o.db} needs its password once: run this command on a terminal (or pipe the password in with --stdin)`);
    }
    const r = await show(o, ref.id, password, ctx);
    if (!r.ok && r.kind === 'exit' && LOCKED.test(r.allStderr ?? r.stderr))
      throw new KiError('source-failed', `the KeePassXC database ${o.db} did not open with that password: nothing stored, try again`);
    const second = outcomeOf(r, ref, o, true);
    if (second.kind === 'failed') throw new KiError('source-failed', second.reason);
    if (second.kind === 'missing') io.note(second.reason);
    await ctx.keyring().set(item, password);
    io.note(`kept the password of ${o.db} in the keyring: keyring-inject opens the database without asking again`);
  },
};
