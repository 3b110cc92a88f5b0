// What the model is told at session start about the project's secrets (SessionStart
// additionalContext): their names and where they live, whether the file is approved, and how to
// use them. Never a value, and no keyring access: the hook is on every session's start-up path,
// and "stored or not" is list_secrets' job.
import type { ClaudePaths } from '../core/paths.js';
import { allowCommand, approvalState } from '../sources/approval.js';
import { findProjectFile } from '../sources/project.js';

/** The context text, or undefined when the project has no secrets file (or an empty one). */
export async function projectSecretsContext(paths: ClaudePaths, dir: string): Promise<string | undefined> {
  const where = findProjectFile(dir, paths.configDir);
  if (!where) return undefined;
  const st = await approvalState(paths, where);
  if (st.state === 'none' || st.project.entries.size === 0) return undefined;
  const names = [...st.project.entries].map(([name, e]) => `${name} (${e.sourceName} ${e.ref.id})`);
  const lines = [
    `keyring-inject: this project's ${where.file} names these secrets (values are never shown): ${names.join(', ')}.`,
    st.state === 'approved'
      ? 'Run a command that needs them with: keyring-inject run [--only NAME,...] -- COMMAND (COMMAND gets each as the environment variable NAME; its output is masked). Do not ask the user for a key listed here: call list_secrets to see which are stored, and request_secret for one that is missing.'
      : `The file is not approved on this machine${st.state === 'changed' ? ' since it changed' : ''}, so nothing uses it yet: the user has to read it and run '${allowCommand(where.root)}' in a terminal.`,
  ];
  return lines.join('\n');
}
