// Swap two names in one system call: Linux renameat2(RENAME_EXCHANGE), macOS
// renamex_np(RENAME_SWAP). Node has neither: they are called through core/libc.ts. Loaded where
// a config write is about to happen (prepareExchange), never in the gap between its last check
// and its rename.
import { lastError, libc } from './libc.js';

type Exchange = (a: string, b: string) => number;

// undefined: not tried yet; null: no swap on this system (the caller renames instead).
let exchange: Exchange | null | undefined;

function load(): Exchange | null {
  const c = libc();
  if (!c) return null;
  try {
    if (process.platform === 'linux') {
      const renameat2 = c.lib.func('int renameat2(int, const char *, int, const char *, unsigned int)');
      return (a, b) => renameat2(-100 /* AT_FDCWD */, a, -100, b, 2 /* RENAME_EXCHANGE */) as number;
    }
    const renamexNp = c.lib.func('int renamex_np(const char *, const char *, unsigned int)');
    return (a, b) => renamexNp(a, b, 2 /* RENAME_SWAP */) as number;
  } catch {
    // a libc without the call (glibc < 2.28)
    return null;
  }
}

/** Load the swap now (a few ms the first time): before taking a lock, and before any check that the swap must follow closely. */
export function prepareExchange(): void {
  if (exchange === undefined) exchange = load();
}

/**
 * Atomically swap the files named `a` and `b` (both must exist). Returns false when this
 * system cannot swap (no such call, an old kernel, a filesystem without support): nothing
 * changed, and the caller falls back to a plain rename. Any other failure throws (ENOENT: one of
 * the two is gone).
 */
export function exchangeSync(a: string, b: string): boolean {
  prepareExchange();
  const c = libc();
  if (!exchange || !c) return false;
  if (exchange(a, b) === 0) return true;
  const { code, errno } = lastError(c);
  if (code === 'ENOSYS') exchange = null;
  if (code === 'ENOSYS' || code === 'EINVAL' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') return false;
  throw Object.assign(new Error(`${code}: cannot swap ${a} and ${b}`), { code, errno: -errno });
}
