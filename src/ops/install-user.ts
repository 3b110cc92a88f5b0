// `install` (and setup's install step): the runtime copy, the session hooks, the guards, the
// 'keyring-inject mcp' server, and wrapped servers pointed at the runtime.
import { KiError } from '../core/errors.js';
import type { GuardTransport } from '../install/guard-choice.js';
import { installForUser, type FullInstallResult } from '../install/install-ops.js';
import { runtimeSourceDir } from '../install/runtime.js';
import type { GuardHandler } from '../install/settings-hooks.js';
import type { OpsContext } from './ops-context.js';

export interface InstallRequest {
  dryRun: boolean;
  /** How the three guards run (default: http where the user's Claude Code is known to support it, else command). */
  guards?: GuardTransport;
  /** Register the MCP server (default true). */
  mcp?: boolean;
  /** dist/ to copy the runtime from; default the directory of the running bundle. */
  sourceDir?: string;
  /** The node binary the hooks run; default process.execPath. */
  node?: string;
  /** The command the user ran, for the error when the bundles cannot be found. */
  via: 'install' | 'setup';
}

export interface InstallReport extends FullInstallResult {
  /** Each hook as it may be shown: its command, or an http guard's URL (never its token). */
  hooks: { SessionStart: string; SessionEnd: string; UserPromptSubmit: string; PreToolUse: string; PostToolUse: string };
}

export async function installUser(ctx: Pick<OpsContext, 'env' | 'cwd' | 'paths' | 'backend' | 'now'>, request: InstallRequest): Promise<InstallReport> {
  const { via, sourceDir = runtimeSourceDir(), ...opts } = request;
  if (sourceDir === undefined) throw new KiError('install-broken', `cannot tell where the keyring-inject bundles are: run ${via} through the keyring-inject command`);
  const r = await installForUser(ctx, { ...opts, sourceDir });
  const c = r.commands;
  return {
    ...r,
    hooks: {
      SessionStart: c.sessionStart,
      SessionEnd: c.sessionEnd,
      UserPromptSubmit: shown(c.userPromptSubmit),
      PreToolUse: shown(c.preToolUse),
      PostToolUse: shown(c.postToolUse),
    },
  };
}

function shown(h: GuardHandler | undefined): string {
  return h === undefined ? '' : typeof h === 'string' ? h : `POST ${h.url}`;
}
