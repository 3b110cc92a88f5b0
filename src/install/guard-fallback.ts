// When another program holds the guard service's port, SessionStart puts the guards back as
// command hooks: Claude Code would otherwise send that program every prompt and tool output and
// take its answers for the guards'. Claude Code 2.1.332 picks up hooks changed in settings.json
// during a session (seen within 1.5 s). The record goes too, so that no session starts the
// service again until 'install --guards http' picks a new port.
import { rmSync } from 'node:fs';
import type { ClaudePaths } from '../core/paths.js';
import { guardServiceFile } from '../guard-service/config.js';
import { hookCommands } from './hook-command.js';
import { readSettingsText, writeSettingsText } from './settings-file.js';
import { addHooks } from './settings-hooks.js';

/** True when settings.json now declares command guards (it changed, or already did). */
export async function guardsBackToCommands(paths: ClaudePaths, node: string, script: string): Promise<boolean> {
  const text = await readSettingsText(paths.settingsFile);
  if (text === undefined) return false;
  const { text: next, changed } = addHooks(text, hookCommands({ node, script }));
  if (changed) await writeSettingsText(paths.settingsFile, next);
  rmSync(guardServiceFile(paths), { force: true });
  return true;
}
