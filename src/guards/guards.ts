// The three guard hooks, as functions from the hook input to the JSON Claude Code expects on
// stdout (undefined: print nothing, let it through). Shapes verified with Claude Code 2.1.197:
//
//   UserPromptSubmit block: {"decision":"block","reason":"...","hookSpecificOutput":
//     {"hookEventName":"UserPromptSubmit","suppressOriginalPrompt":true}}
//     -> no request reaches the API; the user sees "UserPromptSubmit operation blocked by hook:
//        <reason>" (without "Original prompt: ..." thanks to suppressOriginalPrompt).
//   PostToolUse mask: {"hookSpecificOutput":{"hookEventName":"PostToolUse","updatedToolOutput":X}}
//     where X is `tool_response` with the same shape (Claude Code validates it against the tool's
//     output schema and silently keeps the ORIGINAL output when it does not match), e.g. Bash
//     {"stdout","stderr","interrupted","isImage","noOutputExpected"}, Read {"type":"text","file":
//     {"filePath","content",...}}, MCP tools an array of content blocks.
//   PreToolUse deny: {"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":
//     "deny","permissionDecisionReason":"..."}} -> the model gets a tool_result with is_error true
//     and the reason as its content; the tool does not run.
//
// Keyring values are read only where they are needed (UserPromptSubmit, PostToolUse), with one
// round trip, and only when the registry holds a key; they live in this process's memory only.
// Injected values the keyring does not give (it is locked, or the key is in a networked source)
// those two read from the config, confirmed by our HMAC records, so that a locked keyring does
// not switch masking off; when neither can tell what to hide, PostToolUse withholds the output.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { audit } from '../core/audit-trail.js';
import { oneLine } from '../core/errors.js';
import { notePendingScrub } from '../claude/pending-scrub.js';
import { registryFile, type ClaudePaths, type Env } from '../core/paths.js';
import { readStateForReport } from '../engine/state.js';
import type { SecretBackend } from '../keyring/backend.js';
import { DEFAULT_SERVICE } from '../keyring/backend.js';
import { loadRegistry } from '../registry/registry-file.js';
import { requestFor, resolveRequests, sourceContext } from '../sources/resolver.js';
import { findProjectFile, parseProjectFile } from '../sources/team-file.js';
import type { SourceRef } from '../registry/source-ref.js';
import type { SourceRequest } from '../sources/source.js';
import type { GuardInput } from './input.js';
import { findKeyShapes, maskKeyShapes } from './key-shapes.js';
import { makeMasker, maskDeep, MIN_VALUE_LENGTH, type NamedValue } from './mask.js';
import { injectedValues } from './injected-values.js';
import { checkPreToolUse } from './protected.js';
import { maskedBashCommand, type OutputPlan } from './masked-exec.js';

export interface GuardDeps {
  paths: ClaudePaths;
  env: Env;
  /** Fallback for a hook input without `cwd`. */
  cwd: string;
  backend: () => SecretBackend;
  /** Paths of our own CLI (dist/cli.js, and dist/main.js beside it), for the PreToolUse rule on `node <cli.js> run|exec|headers`; the first also runs `guard mask-exec`. */
  cliPaths?: readonly string[];
  /** The Node binary that runs our CLI (for the Bash rewrite); without it or cliPaths, Bash calls are not rewritten. */
  node?: string;
  /**
   * The guard service's rewrite of a Bash call (its output masked through the service's pipes,
   * guard-service/masked-pipes.ts); undefined from it, or without it, the call runs under `guard mask-exec`.
   */
  maskedBash?: (command: string, cwd: string) => string | undefined;
}

export type HookOutput = Record<string, unknown>;

/**
 * Every registered key (inject, zero-disk and header keys alike: all of them are secrets) whose
 * source can be read locally and fast: the keyring (one round trip; also items of other programs),
 * pass and env files. Keys of networked sources (1password, doppler, aws, gcp...) are not read on every prompt and tool call.
 */
const LOCAL_SOURCES = new Set(['keyring', 'os-keyring', 'pass', 'env-file']);

interface Requests {
  requests: SourceRequest[];
  /** The project's names (masked with a lower priority: they never label a span that a user's key is in). */
  project: Set<string>;
  /** The project file in effect could not be read or parsed (one line, never a value): only its own keys are missing. */
  projectProblem?: string;
}

async function registeredRequests(paths: ClaudePaths, cwd: string): Promise<Requests> {
  const registry = await loadRegistry(registryFile(paths));
  const requests = Object.entries(registry.keys).map(([name, rec]) => requestFor(name, rec.source));
  // The project's keys too (request_secret stores them there, `run` hands them out): approved or
  // not, their values are hidden. The registry wins a name clash, as everywhere. The project file
  // is in the model's and the repository's hands: whatever it holds, it can only add values.
  const project = new Set<string>();
  let projectProblem: string | undefined;
  try {
    for (const [name, e] of (await projectEntries(paths, cwd)) ?? []) {
      if (registry.keys[name]) continue;
      requests.push({ name, ref: e.ref });
      project.add(name);
    }
  } catch (err) {
    projectProblem = oneLine((err as Error).message);
  }
  return { requests: requests.filter((r) => LOCAL_SOURCES.has(r.ref.source)), project, ...(projectProblem ? { projectProblem } : {}) };
}

/** The entries of the project file that applies in `cwd` (with the project root in each reference); undefined without one. */
async function projectEntries(paths: ClaudePaths, cwd: string): Promise<Map<string, { ref: SourceRef }> | undefined> {
  const where = findProjectFile(cwd, paths.configDir);
  if (!where) return undefined;
  // Parsed without loadProjectFile's hash (approval is not the guard's business): node:crypto
  // stays unloaded on this path.
  const project = parseProjectFile(await readFile(where.file, 'utf8'), where.file, where.root);
  return new Map([...project.entries].map(([name, e]) => [name, { ref: { ...e.ref, root: project.root } }]));
}

interface Values {
  values: NamedValue[];
  /** Set when the registry or the keyring could not be read (one line, never a value). */
  error?: string;
  /** The project file in effect is invalid: its keys are not masked (one line, never a value). */
  projectProblem?: string;
  /** The registry holds at least one key, or our state records an injection. */
  registered: boolean;
  /**
   * Keys are injected, the keyring could not be read, and the config did not confirm every
   * injected value: what to hide is unknown (one line, never a value). Outputs are withheld.
   */
  blind?: string;
}

async function readKeyringValues(deps: GuardDeps, cwd: string): Promise<Omit<Values, 'blind'>> {
  let found: Requests;
  try {
    found = await registeredRequests(deps.paths, cwd);
  } catch (err) {
    return { values: [], registered: true, error: oneLine((err as Error).message) };
  }
  const { requests, project, projectProblem } = found;
  const problem = projectProblem ? { projectProblem } : {};
  if (requests.length === 0) return { values: [], registered: projectProblem !== undefined, ...problem };
  try {
    const res = await resolveRequests(requests, sourceContext(deps.backend));
    const failed = res.failed[0];
    const values = requests.flatMap((r) => {
      const value = res.values.get(r.name);
      return value === undefined ? [] : [{ name: r.name, value, ...(project.has(r.name) ? { priority: 1 } : {}) }];
    });
    return { values, registered: true, ...(failed ? { error: oneLine(failed.reason) } : {}), ...problem };
  } catch (err) {
    return { values: [], registered: true, error: oneLine((err as Error).message), ...problem };
  }
}

/**
 * The registered values from the keyring, plus the values injected for this session that the
 * keyring did not give (it is locked or unreadable, or the key lives in a networked source), read
 * from the config and confirmed by our HMAC records. Those need no keyring, so a model that
 * locks it does not switch masking off of injected keys; with a readable keyring and only
 * local keys, the extra cost is reading the small state file.
 */
async function readValues(deps: GuardDeps, cwd: string): Promise<Values> {
  const [keyring, state] = await Promise.all([readKeyringValues(deps, cwd), readStateForReport(deps.paths)]);
  const have = new Set(keyring.values.map((v) => v.name));
  const wanted = keyring.error ? state.injected : state.injected.filter((r) => !have.has(r.key));
  if (wanted.length === 0) return keyring;
  const injected = await injectedValues(wanted);
  const values = [...keyring.values, ...injected.values.filter((i) => !keyring.values.some((k) => k.value === i.value))];
  const blind = keyring.error && injected.unconfirmed ? `${keyring.error}; and ${injected.unconfirmed}` : undefined;
  return { ...keyring, values, registered: true, ...(blind ? { blind } : {}) };
}

function listKinds(kinds: readonly string[]): string {
  if (kinds.length <= 1) return kinds[0] ?? '';
  return `${kinds.slice(0, -1).join(', ')} and ${kinds[kinds.length - 1]}`;
}

// ---------------------------------------------------------------------------------------------
// UserPromptSubmit

export async function userPromptSubmit(input: GuardInput, deps: GuardDeps): Promise<HookOutput | undefined> {
  const prompt = input.prompt ?? '';
  const { values, error, registered } = await readValues(deps, input.cwd ?? deps.cwd);
  const masker = makeMasker(values);
  const { text: rest, names: stored } = masker.maskText(prompt);
  // Shapes outside the stored values: a stored GitHub token is named once, as the stored key.
  const shapes = findKeyShapes(rest);
  if (stored.length === 0 && shapes.length === 0) {
    if (!error || !registered) return undefined;
    const checked = values.length > 0 ? 'the keys injected for this session and common key formats' : 'common key formats';
    return { systemMessage: `keyring-inject: could not read the keyring to check this prompt for your stored keys (${error}); it was checked for ${checked} only.` };
  }
  const kinds = [...stored.map((n) => `the value of your stored key '${n}'`), ...shapes.map((s) => s.kind)];
  const lines = [`keyring-inject blocked this prompt: it contains ${listKinds(kinds)}. Nothing was sent to the model.`];
  if (shapes.length > 0) {
    lines.push(
      'Keep API keys out of the conversation: store the key in the OS keyring with',
      '  keyring-inject add NAME --server SERVER --env VAR',
      '(it asks for the value without echoing it; SERVER is the MCP server that needs the key, VAR its environment variable), then refer to the key by its NAME.',
    );
  }
  if (stored.length > 0) lines.push(`That key is already in the OS keyring; refer to it by its name (${stored.map((n) => `'${n}'`).join(', ')}) instead of pasting it.`);
  lines.push('Edit the prompt to leave the key out and send it again.');
  audit(deps.paths, { event: 'guard-block', keys: stored, ...(shapes.length > 0 ? { outcome: 'key-shape' } : {}) }, deps.env);
  // The client writes the prompt to its files around this hook: the copy of a stored key is
  // scrubbed at SessionEnd, once the client is done with it.
  if (stored.length > 0 && noteScrub(deps, input, stored)) {
    lines.push(
      "Claude Code itself keeps a copy of what you typed on this machine (its prompt history ~/.claude/history.jsonl and the session transcript under ~/.claude/projects/): keyring-inject removes your stored key from them when this session ends ('keyring-inject scrub' does it now). A key that reached a file may have been copied elsewhere: if that matters, rotate it.",
    );
  } else {
    lines.push(
      "Claude Code itself keeps a copy of what you typed on this machine (its prompt history ~/.claude/history.jsonl, or the session transcript under ~/.claude/projects/ in -p mode): if that matters, rotate the key ('keyring-inject scan' finds stored keys in those files, 'keyring-inject scrub' removes them).",
    );
  }
  return {
    decision: 'block',
    reason: lines.join('\n'),
    hookSpecificOutput: { hookEventName: 'UserPromptSubmit', suppressOriginalPrompt: true },
  };
}

/** Note the blocked prompt's files for the scrub at SessionEnd; false when that could not be noted. */
function noteScrub(deps: GuardDeps, input: GuardInput, keys: string[]): boolean {
  try {
    notePendingScrub(deps.paths, { session: input.session_id, ...(input.transcript_path ? { file: input.transcript_path } : {}), keys });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// PostToolUse

/** Is there any string (or key) in `v` long enough to hold a value? Skips the keyring for tiny outputs. */
function hasLongString(v: unknown): boolean {
  const stack: unknown[] = [v];
  for (let x = stack.pop(); stack.length > 0 || x !== undefined; x = stack.pop()) {
    if (typeof x === 'string') {
      if (x.length >= MIN_VALUE_LENGTH) return true;
    } else if (Array.isArray(x)) for (const y of x as unknown[]) stack.push(y);
    else if (x !== null && typeof x === 'object') {
      for (const [k, y] of Object.entries(x as Record<string, unknown>)) {
        if (k.length >= MIN_VALUE_LENGTH) return true;
        stack.push(y);
      }
    }
  }
  return false;
}

/** Every string of the output (not the keys: the shape must stay what the tool's schema says) replaced by `text`. */
function withheld(response: unknown, text: string): unknown {
  return maskDeep(response, (s) => (s.length >= MIN_VALUE_LENGTH ? { text, names: ['withheld'] } : { text: s, names: [] }), { keys: false }).value;
}

export async function postToolUse(input: GuardInput, deps: GuardDeps): Promise<HookOutput | undefined> {
  const response = input.tool_response;
  if (response === undefined || !hasLongString(response)) return undefined;
  const tool = input.tool_name ?? 'the tool';
  const { values, error, registered, blind, projectProblem } = await readValues(deps, input.cwd ?? deps.cwd);
  if (!registered) return undefined;
  const projectNote = projectProblem ? ` The project's own keys were not looked for: ${projectProblem}` : '';
  let result: { value: unknown; names: string[]; changed: boolean };
  let note: string;
  if (blind) {
    // Keys are injected but nothing tells which values they are: fail closed.
    result = { value: withheld(response, '[keyring-inject: output withheld: the keys injected for this session could not be checked for; ask the user]'), names: [], changed: true };
    note = `keyring-inject withheld the output of ${tool} from the model: keys are injected for this session, but it could not read the keyring nor confirm the injected values in the config (${blind}). Unlock the keyring (or end the session, or run 'keyring-inject cleanup'), then run it again.`;
  } else if (error) {
    // Without the keyring: the injected values (from the config) and what looks like a key.
    const masker = makeMasker(values);
    result = maskDeep(response, (text) => {
      const a = masker.maskText(text);
      const b = maskKeyShapes(a.text);
      return { text: b.text, names: [...a.names, ...b.names] };
    });
    note = `keyring-inject: could not read the keyring to hide your stored keys in the output of ${tool} (${error}); only ${values.length > 0 ? 'the keys injected for this session and ' : ''}common key formats were hidden.`;
    if (!result.changed) return { systemMessage: note };
  } else {
    const masker = makeMasker(values);
    if (masker.empty) return undefined;
    result = masker.maskDeep(response);
    if (!result.changed) return undefined;
    note = `keyring-inject: hid the value of ${result.names.map((n) => `'${n}'`).join(', ')} in the output of ${tool} before the model saw it.`;
  }
  note += projectNote;
  if (result.names.length > 0) audit(deps.paths, { event: 'guard-mask', keys: result.names, where: tool }, deps.env);
  const specific: Record<string, unknown> = { hookEventName: 'PostToolUse', updatedToolOutput: result.value };
  // Older clients know only updatedMCPToolOutput for MCP tools; newer ones prefer updatedToolOutput.
  if (tool.startsWith('mcp__')) specific.updatedMCPToolOutput = result.value;
  return { hookSpecificOutput: specific, systemMessage: note };
}

// ---------------------------------------------------------------------------------------------
// guard mask-exec: the output of a rewritten Bash call

/** What a rewritten Bash call's output goes through: the same values and fallbacks as PostToolUse. */
export async function maskExecPlan(deps: GuardDeps, cwd: string): Promise<OutputPlan> {
  const { values, error, blind } = await readValues(deps, cwd);
  if (blind)
    return { withhold: `[keyring-inject: output withheld: keys are injected for this session, but neither the keyring nor the config could tell which values to hide (${blind}); ask the user]` };
  const masker = makeMasker(values);
  return error ? { masker, extra: (t) => maskKeyShapes(t).text } : { masker };
}

// ---------------------------------------------------------------------------------------------
// PreToolUse

/** The service's piped rewrite; undefined where it has none, or could not make the pipes (mask-exec then). */
function pipedBash(deps: GuardDeps, command: string, cwd: string): string | undefined {
  try {
    return deps.maskedBash?.(command, cwd);
  } catch {
    return undefined;
  }
}

export async function preToolUse(input: GuardInput, deps: GuardDeps): Promise<HookOutput | undefined> {
  if (input.tool_name === undefined || input.tool_input === undefined) return undefined;
  const state = await readStateForReport(deps.paths);
  const cwd = input.cwd ?? deps.cwd;
  let hasKeys: boolean;
  const knownNames = new Set<string>();
  try {
    for (const name of Object.keys((await loadRegistry(registryFile(deps.paths))).keys)) knownNames.add(name);
    hasKeys = knownNames.size > 0;
  } catch {
    hasKeys = true; // an unreadable registry may still list keys: stay careful
  }
  try {
    for (const name of (await projectEntries(deps.paths, cwd))?.keys() ?? []) knownNames.add(name);
    if (knownNames.size > 0) hasKeys = true;
  } catch {
    hasKeys = true; // an invalid project file may still name keys
  }
  const home = deps.env.HOME || deps.env.USERPROFILE || homedir();
  const denial = checkPreToolUse(input.tool_name, input.tool_input, {
    paths: deps.paths,
    home,
    cwd,
    injected: state.injected.length > 0,
    hasKeys,
    knownNames,
    service: deps.env.KEYRING_INJECT_SERVICE || DEFAULT_SERVICE,
    ...(deps.cliPaths ? { cliPaths: deps.cliPaths } : {}),
  });
  if (!denial) {
    // Mask at the source: the output of a Bash call that fails never reaches PostToolUse.
    const command = input.tool_input.command;
    const cli = deps.cliPaths?.[0];
    // Every call, even one that looks like our own rewrite already: a look-alike could hide a command after a comment.
    if (input.tool_name !== 'Bash' || !hasKeys || typeof command !== 'string') return undefined;
    const rewritten = pipedBash(deps, command, cwd) ?? (cli && deps.node ? maskedBashCommand(command, deps.node, cli) : undefined);
    if (rewritten === undefined) return undefined;
    return { hookSpecificOutput: { hookEventName: 'PreToolUse', updatedInput: { ...input.tool_input, command: rewritten } } };
  }
  return { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: denial.reason } };
}
