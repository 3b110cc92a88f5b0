// Setup's offer of the 'claude' alias: said, and asked on a terminal; the rc file is the op's.
import { addClaudeAlias, CLAUDE_ALIAS, claudeAliasState } from '../ops/machine-setup.js';
import { output, type CliContext } from './cli-context.js';
import { askLine } from './secret-input.js';

export async function offerAlias(ctx: CliContext, interactive: boolean): Promise<void> {
  const out = output(ctx);
  const { rc, present } = await claudeAliasState(ctx);
  if (present) {
    out.line(`The 'claude' alias is in ${rc}: plain 'claude' starts the launcher.`);
    return;
  }
  out.line(`Start Claude Code with 'keyring-inject claude' so injected servers get their keys at first start, or make it the default:\n  ${CLAUDE_ALIAS}`);
  if (!interactive || !rc) return;
  const answer = (await askLine(ctx, `Add this alias to ${rc}? [y/N] `)).trim();
  if (!/^y(es)?$/i.test(answer)) return;
  await addClaudeAlias(rc);
  out.line(`added to ${rc}: open a new shell (or 'source ${rc}') to use it`);
}
