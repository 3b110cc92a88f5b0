// Swap two names in one system call: Linux renameat2(RENAME_EXCHANGE), macOS
// renamex_np(RENAME_SWAP). Node has neither, so they are called through koffi (an FFI library
// with prebuilt binaries per platform), loaded on the first swap only: it costs a few ms, and
// only a write of Claude Code's config swaps (core/atomic-write.ts).
import type * as Koffi from 'koffi';
import { requireLazily } from './lazy-load.js';

type Exchange = (a: string, b: string) => number;

// undefined: not tried yet; null: no swap on this system (the caller renames instead).
let exchange: Exchange | null | undefined;
let koffi: typeof Koffi | undefined;

function loadKoffi(): typeof Koffi {
  // koffi's own entry point spends ~5 ms finding the binary; its platform package (the one koffi
  // itself requires, pinned to koffi's version by koffi's optionalDependencies) is the binary.
  try {
    const native = requireLazily(`@koromix/koffi-${process.platform}-${process.arch}`) as typeof Koffi;
    if (typeof native.load === 'function' && typeof native.errno === 'function') return native;
  } catch {
    // not installed that way: koffi finds it
  }
  return requireLazily('koffi') as typeof Koffi;
}

function load(): Exchange | null {
  if (process.platform !== 'linux' && process.platform !== 'darwin') return null;
  try {
    koffi = loadKoffi();
    // The process's own symbols: libc, whatever its name (glibc, musl, libSystem).
    const libc = koffi.load(null);
    if (process.platform === 'linux') {
      const renameat2 = libc.func('int renameat2(int, const char *, int, const char *, unsigned int)');
      return (a, b) => renameat2(-100 /* AT_FDCWD */, a, -100, b, 2 /* RENAME_EXCHANGE */) as number;
    }
    const renamexNp = libc.func('int renamex_np(const char *, const char *, unsigned int)');
    return (a, b) => renamexNp(a, b, 2 /* RENAME_SWAP */) as number;
  } catch {
    // no koffi binary for this platform, or a libc without the call (glibc < 2.28)
    return null;
  }
}

/**
 * Atomically swap the files named `a` and `b` (both must exist). Returns false when this
 * system cannot swap (no such call, an old kernel, a filesystem without support): nothing
 * changed, and the caller falls back to a plain rename. Any other failure throws (ENOENT: one of
 * the two is gone).
 */
export function exchangeSync(a: string, b: string): boolean {
  if (exchange === undefined) exchange = load();
  if (exchange === null || koffi === undefined) return false;
  if (exchange(a, b) === 0) return true;
  const errno = koffi.errno();
  const codes = koffi.os.errno;
  if (errno === codes.ENOSYS) exchange = null;
  if (errno === codes.ENOSYS || errno === codes.EINVAL || errno === codes.ENOTSUP || errno === codes.EOPNOTSUPP) return false;
  const code = Object.keys(codes).find((k) => codes[k] === errno) ?? `errno ${errno}`;
  throw Object.assign(new Error(`${code}: cannot swap ${a} and ${b}`), { code, errno: -errno });
}
