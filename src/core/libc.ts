// The C library's calls Node has no binding for (renameat2, mkfifo), through koffi (an FFI
// library), by its prebuilt binary for this platform: the package
// `@koromix/koffi-<platform>-<arch>`, which is what koffi's own entry point loads. We depend on
// those packages directly (optional dependencies, Linux and macOS only) because koffi's main
// package has an install script (a build from source when no binary fits), which npm asks the
// user to allow on a global install; and its entry point spends ~5 ms more finding the binary.
// Loaded on first use (~3 ms), once per process.
import type * as Koffi from 'koffi';
import { requireLazily } from './lazy-load.js';

export interface Libc {
  koffi: typeof Koffi;
  /** The process's own symbols: libc, whatever its name (glibc, musl, libSystem). */
  lib: Koffi.LibraryHandle;
}

// undefined: not tried yet; null: no koffi binary for this system.
let loaded: Libc | null | undefined;

/** koffi and the C library, or null where there is no koffi binary (Windows, another arch). */
export function libc(): Libc | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.platform !== 'linux' && process.platform !== 'darwin') return loaded;
  try {
    const koffi = requireLazily(`@koromix/koffi-${process.platform}-${process.arch}`) as typeof Koffi;
    loaded = { koffi, lib: koffi.load(null) };
  } catch {
    // no binary for this platform or arch
  }
  return loaded;
}

/** The last call's errno as Node names it ('ENOENT'), and its number. */
export function lastError(c: Libc): { code: string; errno: number } {
  const errno = c.koffi.errno();
  const codes = c.koffi.os.errno;
  return { code: Object.keys(codes).find((k) => codes[k] === errno) ?? `errno ${errno}`, errno };
}
