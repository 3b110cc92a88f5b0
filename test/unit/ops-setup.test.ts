// The setup op's parts that the command only renders: the alias's rc file per shell, and the
// plan phase stopping at an unreachable store with the screen that explains it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyringUnavailableError } from '../../src/core/errors.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { addClaudeAlias, CLAUDE_ALIAS, claudeAliasState, planMachineSetup } from '../../src/ops/machine-setup.js';
import { makeContext } from '../helpers/context.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
beforeEach(() => {
  t = makeTempHome();
});
afterEach(() => t.cleanup());

describe('claude alias', () => {
  it('bash and zsh have an rc file, other shells none; added once it is present, the rc file kept', async () => {
    expect(await claudeAliasState({ env: { ...t.env, SHELL: '/usr/bin/fish' } })).toEqual({ rc: undefined, present: false });
    expect((await claudeAliasState({ env: { ...t.env, SHELL: '/bin/zsh' } })).rc).toBe(join(t.home, '.zshrc'));
    const env = { ...t.env, SHELL: '/bin/bash' };
    const rc = join(t.home, '.bashrc');
    writeFileSync(rc, 'export EDITOR=vi\n');
    expect(await claudeAliasState({ env })).toEqual({ rc, present: false });
    await addClaudeAlias(rc);
    expect(await claudeAliasState({ env })).toEqual({ rc, present: true });
    expect(readFileSync(rc, 'utf8')).toMatch(new RegExp(`^export EDITOR=vi\\n\\n# keyring-inject: .*\\n${CLAUDE_ALIAS}\\n$`));
  });
});

describe('planMachineSetup', () => {
  it('an unreachable store stops at the screen, before the config is read', async () => {
    const backend = new MemoryBackend();
    backend.list = async () => {
      throw new KeyringUnavailableError('no D-Bus session', 'start one with dbus-run-session');
    };
    writeFileSync(join(t.home, '.claude.json'), '{ not json');
    const start = await planMachineSetup(makeContext(t.env, t.home, undefined, backend).ctx);
    expect(start.ok).toBe(false);
    if (start.ok) return;
    expect(start.screen).toContain('no D-Bus session');
    expect(start.screen).toContain('start one with dbus-run-session');
  });

  it('a machine without a config: ok, says so, nothing planned but the install', async () => {
    const start = await planMachineSetup(makeContext(t.env, t.home).ctx);
    expect(start).toMatchObject({ ok: true, configMissing: true, legacy: undefined });
    if (!start.ok) return;
    expect(start.plan.steps).toEqual([{ kind: 'install-hooks' }]);
  });
});
