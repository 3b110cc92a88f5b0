// What adding a key does for its value's source, shared by a key of the user's registry and a
// project file's reference: the conversation with the user (a value, a source's own password)
// goes through callbacks, so the op prints and prompts nothing itself.
import { UsageError } from '../core/errors.js';
import { keyringRef, refProblem, type SourceRef } from '../registry/source-ref.js';
import { cacertFromEnv, pinFromEnv, withPin } from '../registry/vault-pin.js';
import { sourceContext, sourceFor } from '../sources/resolver.js';
import type { OpsContext } from './ops-context.js';

/** Something to tell the user as it happens: before the prompts and steps that follow, and even when a later step fails. */
export interface KeyNotice {
  /** note and warn are remarks (stderr); done is what a step did (stdout). */
  kind: 'note' | 'warn' | 'done';
  text: string;
}

/** How an op adding a key talks to the user: the command implements it on its terminal. */
export interface KeyInput {
  /** The value comes from standard input (--stdin). */
  stdin: boolean;
  /** A terminal to ask on, and no --stdin. */
  interactive: boolean;
  /** The secret: from standard input with `stdin`, else a hidden prompt showing `label`. */
  readValue(label: string): Promise<string>;
  /** A visible one-line question (a server or variable name); the answer as typed. */
  ask(question: string): Promise<string>;
  notify(notice: KeyNotice): void;
}

/** The reference, or a usage error naming what is wrong with it. */
export function checkedRef(ref: SourceRef): SourceRef {
  const problem = refProblem(ref);
  if (problem) throw new UsageError(problem);
  return ref;
}

/**
 * A vault reference with where the token may go recorded (registry/vault-pin.ts): the address
 * given (--meta addr=), else VAULT_ADDR here; the CA file given (--meta cacert=), else
 * VAULT_CACERT here. Other references as they are.
 */
export function pinnedRef(ctx: Pick<OpsContext, 'env' | 'cwd'>, ref: SourceRef): SourceRef {
  if (ref.source !== 'vault') return ref;
  let addr = ref.metadata?.addr;
  if (addr === undefined) {
    const env = pinFromEnv(ctx.env, ctx.cwd);
    if (env === undefined)
      throw new UsageError("--source vault: set VAULT_ADDR to your Vault's address (e.g. https://vault.example.com:8200) or give --meta addr=URL; the key's token is sent only there");
    if ('problem' in env) throw new UsageError(env.problem);
    addr = env.addr;
  }
  const cacert = ref.metadata?.cacert ?? cacertFromEnv(ctx.env, ctx.cwd);
  return checkedRef(withPin(ref, { addr, ...(cacert ? { cacert } : {}) }));
}

/** The registry key's source for messages and --json: its own, or the keyring under its name. */
export function sourceOrKeyring(name: string, source: SourceRef | undefined): SourceRef {
  return source ?? keyringRef(name);
}

/** Refuse --stdin for a source whose value we do not store. */
export function refuseStdinFor(input: Pick<KeyInput, 'stdin'>, ref: SourceRef): void {
  if (input.stdin) throw new UsageError(`--stdin: keyring-inject stores no value for a ${ref.source} key; put the value into ${ref.source} itself`);
}

/** Warn (not fail) when the source cannot be used on this machine right now. */
async function warnIfUnavailable(ctx: Pick<OpsContext, 'backend' | 'env'>, input: KeyInput, ref: SourceRef): Promise<void> {
  if (ref.source === 'keyring') return;
  const a = await (await sourceFor(ref.source)).available(sourceContext(ctx.backend, ctx.env), ref);
  if (!a.ok) input.notify({ kind: 'warn', text: `${a.reason} (the reference is recorded anyway)` });
}

/** Whether adding has work to do for this source besides recording the reference (a password to keep, a value to write). */
export async function sourceNeedsAdd(ref: SourceRef): Promise<boolean> {
  if (ref.source === 'keyring') return false;
  const source = await sourceFor(ref.source);
  return source.prepare !== undefined || source.store !== undefined;
}

/**
 * What adding does for a reference to another source: a source keyring-inject can write (age)
 * gets the value (--stdin, or the hidden prompt when the file does not have it yet); a source
 * that needs a secret of its own (a KeePassXC database password) asks for it once; the others
 * refuse --stdin and only warn when they cannot be used here.
 */
export async function addForSource(ctx: Pick<OpsContext, 'backend' | 'env'>, input: KeyInput, ref: SourceRef, name: string): Promise<void> {
  const source = await sourceFor(ref.source);
  const sctx = sourceContext(ctx.backend, ctx.env);
  if (source.store) {
    let wanted = input.stdin;
    if (!wanted && input.interactive) {
      const now = (await source.resolve([{ name, ref }], sctx)).get(name);
      wanted = now?.kind === 'missing';
    }
    if (wanted) {
      const value = await input.readValue(`Value for ${name} (input hidden; written encrypted into ${ref.metadata?.file ?? 'the file'})`);
      input.notify({ kind: 'done', text: await source.store(ref, value, sctx) });
    } else {
      await warnIfUnavailable(ctx, input, ref);
    }
    return;
  }
  if (source.prepare) {
    await source.prepare(ref, sctx, {
      askHidden: async (label) => (input.stdin || input.interactive ? input.readValue(label) : undefined),
      note: (line) => input.notify({ kind: 'note', text: line }),
    });
    return;
  }
  refuseStdinFor(input, ref);
  await warnIfUnavailable(ctx, input, ref);
}
