// A scrub rewrites a transcript while Claude Code appends to it: a real writer process appends
// 3,000 lines (one per ms) during repeated scrubs of a 200,000-line file, and not one is lost.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { testSecret } from '../helpers/secret.js';
import { claudePaths } from '../../src/core/paths.js';
import { scrubStores } from '../../src/doctor/leaks.js';

let t: TempHome;
afterEach(() => t?.cleanup());

describe('scrub of a transcript that is being written', () => {
  it('keeps every line a live writer appends while the file is scrubbed', async () => {
    t = makeTempHome();
    const value = testSecret('live');
    const dir = join(t.home, '.claude', 'projects', 'p');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'live.jsonl');
    // A big enough transcript that the rewrite takes a while, the value on every 1000th line.
    const rows: string[] = [];
    for (let i = 0; i < 200_000; i++) rows.push(JSON.stringify({ i, text: i % 1000 === 0 ? `k=${value}` : 'filler '.repeat(10) }));
    writeFileSync(file, rows.join('\n') + '\n');
    // The writer appends as Claude Code does: open, append one line, close.
    const N = 3000;
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');let i=0;const t=setInterval(()=>{fs.appendFileSync(process.argv[1], JSON.stringify({appended:i, v: i%50===0?process.argv[2]:'x'})+'\\n');if(++i>=${N})clearInterval(t);},1);`,
        file,
        value,
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((r) => writer.once('exit', r));
    await new Promise((r) => setTimeout(r, 30));
    const paths = claudePaths(t.env);
    const rounds: number[] = [];
    while (writer.exitCode === null) {
      const res = scrubStores(paths, t.env, [{ name: 'k', value }], false);
      rounds.push(res.files.reduce((n, f) => n + f.appendedDuring, 0));
      await new Promise((r) => setTimeout(r, 5));
    }
    await exited;
    scrubStores(paths, t.env, [{ name: 'k', value }], false);
    const out = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.filter((o) => 'i' in o).length).toBe(200_000);
    expect(new Set(out.filter((o) => 'appended' in o).map((o) => o.appended)).size).toBe(N);
    expect(readFileSync(file, 'utf8')).not.toContain(value);
    expect(rounds.length).toBeGreaterThan(1);
  }, 60_000);
});
