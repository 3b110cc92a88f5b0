// A child process for `run`/`exec` tests: writes to $OUT the sha256 of each named variable (null
// when unset), never a value.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `<dir>/child.cjs` and returns its path. */
export function hashingChild(dir: string, vars: readonly string[]): string {
  const f = join(dir, 'child.cjs');
  writeFileSync(
    f,
    `const h=(v)=>v===undefined?null:require('crypto').createHash('sha256').update(v).digest('hex');
require('fs').writeFileSync(process.env.OUT, JSON.stringify(Object.fromEntries(${JSON.stringify(vars)}.map((n)=>[n,h(process.env[n])]))));`,
  );
  return f;
}
