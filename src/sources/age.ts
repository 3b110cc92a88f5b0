// Dotenv files encrypted with age (https://age-encryption.org), which a repository can commit:
// `age --decrypt -i IDENTITY FILE`, the plaintext parsed in memory as an env file (env-file.ts's
// format). The identity: metadata.identity, else SOPS_AGE_KEY_FILE, else ~/.config/age/keys.txt,
// else ~/.config/sops/age/keys.txt. `add NAME --source age` writes a value into the file
// (create or update): decrypted in memory, the line set, encrypted again (`age --encrypt -i
// IDENTITY`, plus the recipients listed in FILE.recipients when that file exists) into a
// temporary file beside it that replaces it. The plaintext only ever passes through pipes.
import { existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { KiError, UsageError } from '../core/errors.js';
import type { Env } from '../core/paths.js';
import type { SourceRef } from '../registry/source-ref.js';
import { findOnPath, runCli, type CliResult, type VendorCli } from './cli-run.js';
import { limit } from './cli-sources.js';
import { parseEnvFile } from './env-file.js';
import { newFileProblem, realRefPath, refFilePath } from './source-path.js';
import type { Availability, Outcome, SecretSource, SourceContext, SourceRequest } from './source.js';

const CLI: VendorCli = {
  bin: 'age',
  what: 'age (file encryption)',
  install: "install it with 'sudo apt-get install age' (or from https://age-encryption.org)",
  envNames: [],
  envPrefixes: [],
};

/** The identity file to decrypt with, or why there is none. */
function identityOf(ref: SourceRef, env: Env): { file: string } | { problem: string } {
  const own = realRefPath(ref, 'identity', 'age identity');
  if (own) return own;
  const candidates = [env.SOPS_AGE_KEY_FILE, env.HOME && join(env.HOME, '.config', 'age', 'keys.txt'), env.HOME && join(env.HOME, '.config', 'sops', 'age', 'keys.txt')];
  for (const c of candidates) if (c && existsSync(c)) return { file: c };
  return { problem: "no age identity: create one with 'age-keygen -o ~/.config/age/keys.txt' (or set SOPS_AGE_KEY_FILE, or metadata.identity) and encrypt the file to its public key" };
}

function decrypt(file: string, identity: string, ctx: SourceContext): Promise<CliResult> {
  return runCli(CLI, ['--decrypt', '-i', identity, file], ctx.env, ctx.timeoutMs);
}

function decryptFailure(r: Exclude<CliResult, { ok: true }>, file: string): string {
  if (r.kind === 'exit' && /no identity matched/i.test(r.allStderr ?? r.stderr))
    return `none of your age identities can decrypt ${file}: ask a holder of the file to add your public key ('age-keygen -y') and encrypt it again`;
  return r.reason;
}

export const ageSource: SecretSource = {
  kind: 'age',
  label: 'age-encrypted file',

  async available(ctx: SourceContext, ref?: SourceRef): Promise<Availability> {
    if (!findOnPath(CLI.bin, ctx.env)) return { ok: false, reason: `${CLI.what} is not installed or not on PATH: ${CLI.install}` };
    if (!ref) return { ok: true };
    const file = realRefPath(ref, 'file', 'age file');
    if (file && 'problem' in file) return { ok: false, reason: file.problem };
    const id = identityOf(ref, ctx.env);
    return 'problem' in id ? { ok: false, reason: id.problem } : { ok: true };
  },

  async resolve(requests: readonly SourceRequest[], ctx: SourceContext): Promise<Map<string, Outcome>> {
    const out = new Map<string, Outcome>();
    // Each file is decrypted once per resolve, however many keys it feeds.
    const files = new Map<string, Promise<{ values: Map<string, string>; file: string } | { outcome: Outcome }>>();
    await Promise.all(
      requests.map(async (req) => {
        const file = realRefPath(req.ref, 'file', 'age file');
        if (!file) return void out.set(req.name, { kind: 'failed', reason: 'an age reference needs metadata.file (--meta file=FILE)' });
        if ('problem' in file) return void out.set(req.name, file.missing ? { kind: 'missing', reason: file.problem } : { kind: 'failed', reason: file.problem });
        const identity = identityOf(req.ref, ctx.env);
        if ('problem' in identity) return void out.set(req.name, { kind: 'failed', reason: identity.problem });
        const id = `${file.file}\u0000${identity.file}`;
        let parsed = files.get(id);
        if (!parsed) {
          parsed = limit(async () => {
            const r = await decrypt(file.file, identity.file, ctx);
            if (!r.ok) return { outcome: { kind: 'failed', reason: decryptFailure(r, file.file) } as Outcome };
            return { values: parseEnvFile(r.stdout).values, file: file.file };
          });
          files.set(id, parsed);
        }
        const p = await parsed;
        if ('outcome' in p) return void out.set(req.name, p.outcome);
        const value = p.values.get(req.ref.id);
        if (value === undefined || value === '')
          out.set(req.name, { kind: 'missing', reason: `${req.ref.id} is not set in ${p.file}: add it with 'keyring-inject add ${req.ref.id} --source age --meta file=...'` });
        else out.set(req.name, { kind: 'value', value });
      }),
    );
    return out;
  },

  async store(ref: SourceRef, value: string, ctx: SourceContext): Promise<string> {
    if (!findOnPath(CLI.bin, ctx.env)) throw new KiError('source-failed', `${CLI.what} is not installed or not on PATH: ${CLI.install}`);
    const where = refFilePath(ref, 'file');
    if (!where) throw new UsageError('an age reference needs metadata.file (--meta file=FILE)');
    if ('problem' in where) throw new UsageError(where.problem);
    // A project's identity is a private key in the repository: what is encrypted to it, anyone with a clone can read.
    if (ref.root !== undefined && ref.metadata?.identity !== undefined)
      throw new KiError(
        'source-failed',
        "metadata.identity of this project reference names a key file that came with the repository: anyone with a clone could read what is encrypted to it; remove metadata.identity from the project file (your own identity is used) and list teammates in the file's .recipients",
      );
    const identity = identityOf(ref, ctx.env);
    if ('problem' in identity) throw new KiError('source-failed', identity.problem);
    const real = realRefPath(ref, 'file', 'age file');
    let text = '';
    let armored = true;
    let target = where.file;
    if (real && 'file' in real) {
      target = real.file;
      const r = await decrypt(real.file, identity.file, ctx);
      if (!r.ok) throw new KiError('source-failed', decryptFailure(r, real.file));
      text = r.stdout;
      armored = readFileSync(real.file).subarray(0, 34).toString('latin1').startsWith('-----BEGIN AGE ENCRYPTED FILE-----');
    } else if (real && !real.missing) {
      throw new KiError('source-failed', real.problem);
    } else {
      const problem = newFileProblem(ref, where.file);
      if (problem) throw new KiError('source-failed', problem);
    }
    text = withVariable(text, ref.id, value, target);
    const recipients = `${target}.recipients`;
    const others = existsSync(recipients)
      ? readFileSync(recipients, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '' && !l.trim().startsWith('#')).length
      : 0;
    const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
    const args = ['--encrypt', '-i', identity.file, ...(existsSync(recipients) ? ['-R', recipients] : []), ...(armored ? ['--armor'] : []), '-o', tmp];
    try {
      const r = await runCli(CLI, args, ctx.env, ctx.timeoutMs, text);
      if (!r.ok) throw new KiError('source-failed', r.reason);
      if (!statSync(tmp).isFile()) throw new KiError('source-failed', `age wrote no file for ${target}`);
      renameSync(tmp, target);
    } finally {
      rmSync(tmp, { force: true });
    }
    // Who can read the file now: a recipients file that came with a repository names its readers.
    return `wrote ${ref.id} into ${target}, encrypted to your identity${others > 0 ? ` and the ${others} recipient(s) listed in ${recipients} (check that list: each of them can read it)` : ''}`;
  },
};

/** `text` (dotenv) with NAME set to `value`: a single-line assignment is replaced in place, else one is appended. */
export function withVariable(text: string, name: string, value: string, file: string): string {
  const line = `${name}="${value
    .replace(/[\\"$]/g, (c) => `\\${c}`)
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')}"`;
  const assign = new RegExp(`^[ \\t]*(?:export[ \\t]+)?${name.replace(/[.]/g, '\\.')}[ \\t]*=`);
  const lines = text === '' ? [] : text.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
  const at = lines.findIndex((l) => assign.test(l));
  if (at !== -1) {
    const rest = [...lines.slice(0, at), ...lines.slice(at + 1)];
    // The old value spanned several lines (a quoted value): not something to rewrite blindly.
    if (parseEnvFile(rest.join('\n')).values.has(name) || parseEnvFile(lines[at] as string).values.get(name) === undefined) {
      throw new KiError('source-failed', `${name} in ${file} is not a one-line assignment: change it by hand ('age -d', edit, 'age -e')`);
    }
    lines[at] = line;
  } else {
    lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}
