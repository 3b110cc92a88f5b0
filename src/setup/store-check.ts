// setup's first question: can we reach the secret store? If not, one screen with the choices
// that work (never a silent fallback to another store: a key that quietly lands in kernel memory
// and vanishes at reboot is worse than being asked).
import { KeyringUnavailableError, oneLine } from '../core/errors.js';
import type { SecretBackend } from '../keyring/backend.js';
import { GNOME_KEYRING_PACKAGES, GNOME_KEYRING_STEPS, headlessFixLine } from '../keyring/headless-advice.js';

/** `reason`: what went wrong, short; `fix`: the error's own advice when it is not the headless choices the screen lists. */
export type StoreCheck = { ok: true } | { ok: false; reason: string; fix?: string };

export async function checkStore(backend: SecretBackend): Promise<StoreCheck> {
  try {
    await backend.list();
    return { ok: true };
  } catch (err) {
    if (err instanceof KeyringUnavailableError) {
      const generic = err.fix === headlessFixLine() || err.fix.endsWith(headlessFixLine());
      return { ok: false, reason: oneLine(err.what), ...(generic ? {} : { fix: oneLine(err.fix) }) };
    }
    return { ok: false, reason: oneLine(err instanceof Error ? err.message : String(err)) };
  }
}

/** The screen shown when the store cannot be reached. `reason` is our own one-line error (no value). */
export function storeScreen(backendId: string, reason: string, platform: NodeJS.Platform = process.platform, fix?: string): string {
  // One short line; the choices follow once, as a list.
  const head = `The secret store cannot be reached: ${reason}${fix ? `\n  ${fix}` : ''}\n`;
  if (platform !== 'linux' || backendId !== 'secret-service') {
    return `${head}\nUnlock it (log in to the desktop session, or unlock the keychain), then run 'keyring-inject setup' again.`;
  }
  const steps = GNOME_KEYRING_STEPS.map((s) => `       ${s.command.padEnd(44)} # ${s.why}`).join('\n');
  return `${head}
keyring-inject never falls back to another store on its own. On a machine without a desktop
session (SSH, container, WSL) pick one of these:

  1. gnome-keyring in a D-Bus session of its own: keys encrypted on disk, kept across reboots.
       sudo apt-get install ${GNOME_KEYRING_PACKAGES}
${steps}
     Then run 'keyring-inject setup' again, and start Claude Code from that same shell:
     servers read their keys when they start.

  2. pass (gpg-encrypted files; works over SSH with gpg-agent): the keys stay in pass, and
     you map each one yourself ('keyring-inject doctor' shows what is left):
       keyring-inject add NAME --source pass --id PATH --server S --env VAR --mode wrap

  3. the kernel keyring: no daemon, but keys live in memory only (lost at reboot, dropped
     after 3 days unused). Put this in your shell's startup file so Claude Code inherits it,
     then run 'keyring-inject setup' again:
       export KEYRING_INJECT_BACKEND=keyutils`;
}
