// scan and scrub stream a 2 GiB file (sparse: 64 lines of 32 MiB, holding the key on two of
// them) in bounded memory: the built CLI runs with a 256 MB V8 heap and its peak RSS is checked
// (a few 32 MiB lines in buffers and strings at once; the file read whole would be 2 GiB).
// The key comes from an env file (no keyring needed).
import { afterEach, describe, expect, it } from 'vitest';
import { closeSync, mkdirSync, openSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, runCli, runNode } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { testSecret } from '../helpers/secret.js';

let t: TempHome;
afterEach(() => t?.cleanup());

const GIB = 1024 ** 3;
const LINE = 32 * 1024 * 1024;
// Prints the process's peak RSS (kB) on stderr at exit.
const PEAK = `--import=data:text/javascript,process.on('exit',()=>process.stderr.write('maxrss='+process.resourceUsage().maxRSS+'\\n'))`;

function peakMb(stderr: string): number {
  return Number(/maxrss=(\d+)/.exec(stderr)?.[1]) / 1024;
}

describe('a 2 GiB file in a store', () => {
  it('is scanned and scrubbed as a stream, in bounded memory', async () => {
    t = makeTempHome();
    const value = testSecret('big');
    const envFile = join(t.home, 'keys.env');
    writeFileSync(envFile, `BIG_KEY=${value}\n`, { mode: 0o600 });
    writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { svc: { type: 'stdio', command: 'svc' } } }));
    const add = await runCli(['add', 'big', '--source', 'env-file', '--id', 'BIG_KEY', '--meta', `path=${envFile}`, '--server', 'svc', '--env', 'SVC_KEY'], { env: t.env });
    expect(add.code, add.stderr).toBe(0);

    const dir = join(t.home, '.claude', 'debug');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'huge.txt');
    const fd = openSync(file, 'w', 0o600);
    const at = [5 * LINE + 100, 2 * GIB - LINE + 7] as const;
    try {
      for (let i = 1; i <= 64; i++) writeSync(fd, '\n', i * LINE - 1);
      writeSync(fd, value, at[0]);
      writeSync(fd, Buffer.from(value).toString('base64'), at[1]);
    } finally {
      closeSync(fd);
    }
    expect(statSync(file).size).toBe(2 * GIB);

    const scan = await runNode([PEAK, '--max-old-space-size=256', CLI, 'scan', '--json'], { env: t.env, timeoutMs: 300_000 });
    expect(scan.code, scan.stderr).toBe(3);
    const found = JSON.parse(scan.stdout.toString()).findings.map((f: { line: number; form: string }) => [f.line, f.form]);
    expect(found).toEqual([
      [6, 'plain'],
      [64, 'base64'],
    ]);
    expect(peakMb(scan.stderr)).toBeLessThan(640);

    const scrub = await runNode([PEAK, '--max-old-space-size=256', CLI, 'scrub'], { env: t.env, timeoutMs: 300_000 });
    expect(scrub.code, scrub.stderr).toBe(0);
    expect(peakMb(scrub.stderr)).toBeLessThan(640);
    expect(statSync(file).size).toBeGreaterThan(2 * GIB - 100);
    // The key's lines hold the marker now; everything else is as it was.
    const check = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(64);
      readSync(check, buf, 0, 64, at[0]);
      expect(buf.toString('latin1')).toContain('[keyring-inject:big]');
    } finally {
      closeSync(check);
    }
    console.log(`[leaks-big] peak RSS: scan ${peakMb(scan.stderr).toFixed(0)} MB, scrub ${peakMb(scrub.stderr).toFixed(0)} MB; ${(scan.ms / 1000).toFixed(1)} s / ${(scrub.ms / 1000).toFixed(1)} s`);
    const again = await runNode([CLI, 'scan'], { env: t.env, timeoutMs: 300_000 });
    expect(again.code, again.stderr).toBe(0);
  }, 600_000);
});
