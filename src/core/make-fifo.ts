// Named pipes (mkfifo(3)): Node has no call for them; through core/libc.ts.
import { lastError, libc } from './libc.js';

let mkfifo: ((path: string, mode: number) => number) | null | undefined;

/** Can this system make named pipes here (Linux, macOS with koffi's binary)? */
export function canMakeFifo(): boolean {
  if (mkfifo === undefined) {
    const c = libc();
    mkfifo = null;
    try {
      if (c) mkfifo = c.lib.func('int mkfifo(const char *, unsigned int)') as (path: string, mode: number) => number;
    } catch {
      // no such symbol
    }
  }
  return mkfifo !== null;
}

/** Make the named pipe `path` with `mode` (less the umask); throws as fs calls do (code EEXIST...). */
export function makeFifo(path: string, mode: number): void {
  const c = libc();
  if (!canMakeFifo() || !mkfifo || !c) throw Object.assign(new Error(`ENOSYS: no mkfifo on this system, cannot make ${path}`), { code: 'ENOSYS' });
  if (mkfifo(path, mode) === 0) return;
  const { code, errno } = lastError(c);
  throw Object.assign(new Error(`${code}: cannot make the named pipe ${path}`), { code, errno: -errno });
}
