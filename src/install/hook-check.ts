// doctor's look at our hooks in settings.json: are they there, and does what they run exist?
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hookScriptOf } from './hook-command.js';
import { isGuardUrl } from '../guard-service/config.js';
import { currentRuntimeId, runtimePaths } from './runtime.js';
import { HOOK_TIMEOUTS, ourHookCommands, SettingsFormatError } from './settings-hooks.js';

export interface HookReport {
  settingsFile: string;
  /** Events that have a hook of ours. */
  events: string[];
  /** The runtime id the launcher points to, when our hooks run the installed runtime. */
  runtime: string | undefined;
  problems: string[];
}

export function checkHooks(settingsFile: string, text: string | undefined, dataDir: string): HookReport {
  const report: HookReport = { settingsFile, events: [], runtime: undefined, problems: [] };
  let found: ReturnType<typeof ourHookCommands> = [];
  try {
    found = text === undefined ? [] : ourHookCommands(text);
  } catch (err) {
    if (!(err instanceof SettingsFormatError)) throw err;
    report.problems.push(`${settingsFile}: ${err.message}: Claude Code skips a settings.json it cannot read, hooks included; fix it`);
    return report;
  }
  report.events = [...new Set(found.map((f) => f.event))];
  if (found.length === 0) return report;
  const missing = Object.keys(HOOK_TIMEOUTS).filter((e) => !report.events.includes(e));
  if (missing.length > 0) report.problems.push(`no keyring-inject hook for ${missing.join(', ')}: run 'keyring-inject install'`);
  const launcher = runtimePaths(dataDir).launcher;
  // An http guard (the guard service) names a URL, not a script: the session hooks name the runtime that serves it.
  for (const script of new Set(found.filter((f) => !isGuardUrl(f.command)).map((f) => hookScriptOf(f.command)))) {
    if (script === undefined) {
      report.problems.push(`a keyring-inject hook in ${settingsFile} has a command doctor cannot read: run 'keyring-inject install'`);
    } else if (!existsSync(script)) {
      report.problems.push(`hooks run ${script}, which does not exist (every session reports a hook error): run 'keyring-inject install'`);
    } else if (script === launcher) {
      report.runtime = currentRuntimeId(dataDir);
      if (report.runtime === undefined || !existsSync(join(dirname(launcher), report.runtime, 'cli.js'))) {
        report.problems.push(`the runtime that ${launcher} points to is gone: run 'keyring-inject install'`);
      }
    } else {
      report.problems.push(`hooks run ${script}, outside the installed runtime (they break when it moves): run 'keyring-inject install'`);
    }
  }
  return report;
}
