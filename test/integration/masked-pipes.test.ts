// The guard service's masked pipes (guard-service/masked-pipes.ts) with real shells: this test
// process hosts the pipes as the service does, and bash and dash run the rewritten command as the
// Bash tool's shell would. The output that reaches the shell's stdout and stderr is masked (also
// for a failing command), and the command keeps its shell: cd, export, functions, `wait`, `exit`.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeMasker } from '../../src/guards/mask.js';
import type { OutputPlan } from '../../src/guards/masked-exec.js';
import { pipeHost, type PipeHost } from '../../src/guard-service/masked-pipes.js';
import { testSecret } from '../helpers/secret.js';
import { runProgram } from '../helpers/spawn-cli.js';
import { waitUntil } from '../helpers/wait.js';

// The Bash tool's shells: bash, or the user's zsh.
const SHELLS = ['/bin/bash', '/bin/zsh', '/usr/bin/zsh'].filter((s) => existsSync(s));
const value = testSecret('pipes');
const plan = (): Promise<OutputPlan> => Promise.resolve({ masker: makeMasker([{ name: 'gh', value }]) });

let dir: string;
let host: PipeHost;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ki-pipes-'));
  host = pipeHost(join(dir, 'pipes'), { lingerMs: 50, shell: '/bin/bash' });
});
afterEach(() => {
  host.close();
  rmSync(dir, { recursive: true, force: true });
});

const sh = async (shell: string, script: string, input = '') => {
  const r = await runProgram(shell, ['-c', script], { env: process.env as Record<string, string>, cwd: dir, input });
  return { ...r, stdout: r.stdout.toString() };
};

const rewrite = (command: string) => {
  const r = host.rewrite(command, plan());
  if (r === undefined) throw new Error('no named pipes on this system');
  return r;
};

describe.each(SHELLS)('masked pipes under %s', (shell) => {
  it('masks stdout and stderr of a command that fails, and keeps its status', async () => {
    const r = await sh(shell, rewrite(`echo "out ${value} end"; echo "err ${value}" >&2; exit 3`));
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^out .+ end\n$/);
    expect(r.stdout + r.stderr).not.toContain(value);
    expect(r.stderr).toMatch(/^err /);
    expect(r.stdout).toContain(makeMasker([{ name: 'gh', value }]).maskText(value).text);
  });

  it('the command runs in the calling shell: cd, export and functions outlive it; stdin is its own', async () => {
    const script = [`f() { echo "fn ${value}"; }`, rewrite('read -r line; cd /tmp && export KI_PIPES_X=kept && f && echo "got $line"'), 'echo "after $(pwd) $KI_PIPES_X"'].join('\n');
    const r = await sh(shell, script, 'hello\n');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(value);
    expect(r.stdout).toMatch(/^fn .+\ngot hello\nafter \/tmp kept\n$/);
  });

  it("a bare 'wait' inside the command does not wait for our copying", async () => {
    const r = await sh(shell, rewrite('sleep 0.2 & wait; echo done'));
    expect(r).toMatchObject({ code: 0, stdout: 'done\n' });
  });

  it("'exit' inside the command ends the shell, output masked, and nothing of ours stays behind", async () => {
    const r = await sh(shell, `${rewrite(`echo ${value}; exit 4`)}\necho not-here`);
    expect(r.code).toBe(4);
    expect(r.stdout).not.toContain(value);
    expect(r.stdout).not.toContain('not-here');
    expect(r.stdout).toMatch(/\S/);
    // The subshell that waited to meet the shell on `fin` is let go when the call's pipes go.
    expect(await waitUntil(() => host.active() === 0 && readdirSync(join(dir, 'pipes')).length === 0, 5000, 20)).toBe(true);
  });

  it('a value written in pieces, across chunks, and a large output with values throughout', async () => {
    const half = Math.floor(value.length / 2);
    const r = await sh(
      shell,
      rewrite(
        `printf '%s' '${value.slice(0, half)}'; sleep 0.2; printf '%s\\n' '${value.slice(half)}'; i=0; while [ $i -lt 3000 ]; do echo "line $i ${value} xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); done`,
      ),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(value);
    expect(r.stdout.split('\n')).toHaveLength(3002);
    expect(r.stdout).toContain('line 2999 ');
  });
});

it('a call whose pipes are gone (the service stopped) does not run the command and says so', async () => {
  const marker = join(dir, 'ran');
  const command = rewrite(`touch ${marker}; echo ${value}`);
  host.close();
  const r = await sh('/bin/bash', command);
  expect(r.code).toBe(126);
  expect(existsSync(marker)).toBe(false);
  expect(r.stderr).toMatch(/^keyring-inject: the guard service .* is not running, so the command did not run: run it again/);
  expect(r.stdout).toBe('');
});

it('a call the user never lets run is given up after its wait, its pipes removed', async () => {
  host.close();
  host = pipeHost(join(dir, 'pipes'), { maxWaitMs: 100, lingerMs: 10, shell: '/bin/bash' });
  rewrite('echo never');
  expect(host.active()).toBe(1);
  expect(await waitUntil(() => host.active() === 0 && readdirSync(join(dir, 'pipes')).length === 0, 3000, 20)).toBe(true);
});

it("a plain sh as the Bash tool's shell gets no rewrite here (the caller falls back to mask-exec)", () => {
  const sh = pipeHost(join(dir, 'pipes-sh'), { shell: '/bin/sh' });
  expect(sh.rewrite('echo hi', plan())).toBeUndefined();
  sh.close();
});
