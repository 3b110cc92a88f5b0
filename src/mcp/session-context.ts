// What the model is told at session start about the project's secrets (SessionStart
// additionalContext): their names and where they live, whether the file is approved, and how to
// use them. Never a value, and no keyring access: the hook is on every session's start-up path,
// and "stored or not" is list_secrets' job.
import type { ClaudePaths } from '../core/paths.js';
import { allowCommand, approvalState } from '../sources/approval.js';
import { findProjectFile } from '../sources/team-file.js';

/** The context text, or undefined when the project has no secrets file (or an empty one). */
export async function projectSecretsContext(paths: ClaudePaths, dir: string): Promise<string | undefined> {
  const where = findProjectFile(dir, paths.configDir);
  if (!where) return undefined;
  const st = await approvalState(paths, where);
  if (st.state === 'none' || st.project.entries.size === 0) return undefined;
  const names = [...st.project.entries].map(([name, e]) => `${name} (${e.sourceName} ${e.ref.id}${e.hosts ? `; placeholder key for ${e.hosts.join(', ')}` : ''})`);
  const placeholders = [...st.project.entries].filter(([, e]) => e.hosts).map(([name]) => name);
  const lines = [
    `keyring-inject: this project's ${where.file} names these secrets (values are never shown): ${names.join(', ')}.`,
    st.state === 'approved'
      ? 'Run a command that needs them with: keyring-inject run [--only NAME,...] -- COMMAND (COMMAND gets each as the environment variable NAME; its output is masked). Do not ask the user for a key listed here: call list_secrets to see which are stored, and request_secret for one that is missing.'
      : `The file is not approved on this machine${st.state === 'changed' ? ' since it changed' : ''}, so nothing uses it yet: the user has to read it and run '${allowCommand(where.root)}' in a terminal.`,
  ];
  if (placeholders.length > 0 && st.state === 'approved') lines.push(placeholderNote(placeholders));
  return lines.join('\n');
}

/** How to use placeholder keys, for the model: the variable holds a stand-in, the proxy does the rest. */
export function placeholderNote(names: readonly string[]): string {
  return `${names.join(', ')} ${names.length === 1 ? 'is a placeholder key' : 'are placeholder keys'}: under keyring-inject run, the variable holds a placeholder (kiph_...), never the value, and run's proxy (HTTP_PROXY/HTTPS_PROXY, already set) puts the value into HTTP(S) requests to the listed hosts only. Write code that reads the variable and sends it as is (e.g. an Authorization header) with a client that honours the proxy variables (curl, Python requests/urllib, fetch, git); never print, compare or transform it: that only sees the placeholder.`;
}
