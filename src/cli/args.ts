// A tiny argument parser that we control, because error messages must never echo an
// argument back: a user who typed a secret on the command line must not see it in a log.
// It also refuses any argument shaped like a well-known API key, and (secretArgProblem) one
// that holds a stored value, naming only which argument and why: a refused argument would
// otherwise land in the registry, a message, or the model's context when the model runs us.
import { UsageError } from '../core/errors.js';
import { findKeyShapes } from '../guards/key-shapes.js';
import { makeMasker, type NamedValue } from '../guards/mask.js';

export interface FlagSpec {
  [flag: string]: { type: 'string' | 'boolean'; multiple?: boolean };
}

export interface Parsed {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Every value given, with how a message may name it ("the value of --env", "argument 1"). */
  given: { label: string; text: string }[];
}

/** An argument refused because it holds a key; the message never contains the argument. */
export class SecretArgumentError extends UsageError {
  constructor(message: string) {
    super(message, 'secret-argument');
    this.name = 'SecretArgumentError';
  }
}

const SECRET_FIX =
  "Keys never go on the command line, where ps, shell history and logs keep them: 'keyring-inject add NAME --server S --env VAR' reads one from a hidden prompt or --stdin. If it was a real key, rotate it.";

function refuse(label: string, what: string): SecretArgumentError {
  return new SecretArgumentError(`refused: ${label} ${what} (not repeated here). ${SECRET_FIX}`);
}

function refuseKeyShapes(given: Parsed['given']): void {
  for (const { label, text } of given) {
    const shape = findKeyShapes(text)[0];
    if (shape) throw refuse(label, `looks like ${shape.kind}`);
  }
}

/** Refuse an argument that holds (in any form the guards know) one of `values`. */
export function refuseStoredValues(p: Parsed, values: readonly NamedValue[]): void {
  const masker = makeMasker(values);
  if (masker.empty) return;
  for (const { label, text } of p.given) {
    const name = masker.find(text)[0];
    if (name !== undefined) throw refuse(label, `holds the value of your stored key '${name}'`);
  }
}

// Options people reach for to pass a secret: refused with the reason, not as just "unknown".
const VALUE_FLAGS = new Set(['value', 'secret', 'password', 'token']);

export function parseArgs(argv: readonly string[], spec: FlagSpec): Parsed {
  const flags: Parsed['flags'] = {};
  const positionals: string[] = [];
  const given: Parsed['given'] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-') {
        if (arg === '-h') {
          flags.help = true;
          continue;
        }
        throw new UsageError(`unknown option ${arg.slice(0, 2)}: see --help`);
      }
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const def = spec[name] ?? (name === 'help' ? { type: 'boolean' as const } : undefined);
    if (!def && VALUE_FLAGS.has(name)) {
      throw new UsageError(`--${name}: a value is never taken from the command line (visible in ps and shell history): leave it out to get a hidden prompt, or pipe it in with --stdin`);
    }
    if (!def || !/^[a-z][a-z-]*$/.test(name)) throw new UsageError(`unknown option --${safeName(name)}: see --help`);
    if (def.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`option --${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw new UsageError(`option --${name} needs a value`);
    given.push({ label: `the value of --${name}`, text: value });
    if (def.multiple) {
      const prev = flags[name];
      flags[name] = [...(Array.isArray(prev) ? prev : []), value];
    } else {
      if (flags[name] !== undefined) throw new UsageError(`option --${name} given twice`);
      flags[name] = value;
    }
  }
  positionals.forEach((text, i) => given.push({ label: `argument ${i + 1}`, text }));
  refuseKeyShapes(given);
  return { flags, positionals, given };
}

function safeName(name: string): string {
  // Only a short, plain option name is ever repeated back.
  return /^[A-Za-z-]{1,32}$/.test(name) ? name : '…';
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function list(p: Parsed, name: string): string[] {
  const v = p.flags[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function bool(p: Parsed, name: string): boolean {
  return p.flags[name] === true;
}

/** At most one positional: an optional argument such as `[DIR]`. */
export function optionalPositional(p: Parsed): string | undefined {
  if (p.positionals.length > 1) throw new UsageError('unexpected extra argument: see --help');
  return p.positionals[0];
}

/** Exactly as many positionals as `names`; extras are refused without being repeated back. */
export function positionals(p: Parsed, names: readonly string[], hint = ''): string[] {
  if (p.positionals.length < names.length) throw new UsageError(`missing ${names.slice(p.positionals.length).join(' ')}: see --help`);
  if (p.positionals.length > names.length) throw new UsageError(`unexpected extra argument${hint ? `: ${hint}` : ''}: see --help`);
  return p.positionals;
}
