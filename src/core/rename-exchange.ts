// Swap two names in one system call: Linux renameat2(RENAME_EXCHANGE), macOS
// renamex_np(RENAME_SWAP). Node has neither, so they are called through koffi (an FFI library),
// by its prebuilt binary for this platform: the package `@koromix/koffi-<platform>-<arch>`,
// which is what koffi's own entry point loads. We depend on those packages directly (optional
// dependencies, Linux and macOS only) because koffi's main package has an install script (a
// build from source when no binary fits), which npm asks the user to allow on a global install;
// and its entry point spends ~5 ms more finding the binary. Loaded only where a config write is
// about to happen (prepareExchange), never in the gap between its last check and its rename.
import type * as Koffi from 'koffi';
import { requireLazily } from './lazy-load.js';

type Exchange = (a: string, b: string) => number;

// undefined: not tried yet; null: no swap on this system (the caller renames instead).
let exchange: Exchange | null | undefined;
let koffi: typeof Koffi | undefined;

function load(): Exchange | null {
  if (process.platform !== 'linux' && process.platform !== 'darwin') return null;
  try {
    koffi = requireLazily(`@koromix/koffi-${process.platform}-${process.arch}`) as typeof Koffi;
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
  if (!exchange || koffi === undefined) return false;
  if (exchange(a, b) === 0) return true;
  const errno = koffi.errno();
  const codes = koffi.os.errno;
  if (errno === codes.ENOSYS) exchange = null;
  if (errno === codes.ENOSYS || errno === codes.EINVAL || errno === codes.ENOTSUP || errno === codes.EOPNOTSUPP) return false;
  const code = Object.keys(codes).find((k) => codes[k] === errno) ?? `errno ${errno}`;
  throw Object.assign(new Error(`${code}: cannot swap ${a} and ${b}`), { code, errno: -errno });
}
