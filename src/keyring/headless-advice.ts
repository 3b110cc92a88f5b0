// What to do on a Linux machine without an unlocked Secret Service (SSH, containers, WSL, CI).
// One source for the error messages, `setup`'s screen and the docs; a test types these exact
// lines into a shell that has no session bus, so they must work as written.

/** Start gnome-keyring in a D-Bus session of its own and unlock (or create) the login keyring. */
export const GNOME_KEYRING_STEPS: readonly { command: string; why: string }[] = [
  { command: 'dbus-run-session -- bash', why: 'a shell with a D-Bus session of its own (the keyring daemon ends with it)' },
  { command: 'read -rs KEYRING_PASSWORD', why: 'type the keyring password (not shown; not empty: an empty one creates no keyring)' },
  {
    command: `printf '%s' "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --replace --components=secrets >/dev/null`,
    why: 'start gnome-keyring and unlock it (the first time creates ~/.local/share/keyrings/login.keyring)',
  },
];

/** Debian/Ubuntu packages those steps need (dbus-run-session is in dbus-bin or dbus-daemon; no dbus-x11). */
export const GNOME_KEYRING_PACKAGES = 'gnome-keyring dbus-daemon dbus-bin libsecret-tools';

/** The same advice in one line, for an error message. */
export function headlessFixLine(): string {
  const steps = GNOME_KEYRING_STEPS.map((s) => `\`${s.command}\``).join(', then ');
  return (
    `On headless Linux start and unlock gnome-keyring (apt install ${GNOME_KEYRING_PACKAGES}): ${steps}; ` +
    "or keep keys in pass ('keyring-inject add NAME --source pass --id PATH ...'), or set KEYRING_INJECT_BACKEND=keyutils (kernel memory, lost at reboot); " +
    "'keyring-inject setup' explains each"
  );
}

/** gnome-keyring unlocked with an empty password creates no collection: writes then find nothing. */
export const NO_COLLECTION_FIX =
  'The Secret Service has no keyring to store into: gnome-keyring creates one only when it is unlocked with a non-empty password. ' +
  `Restart it with one: \`read -rs KEYRING_PASSWORD\` (type a password that is not empty), then \`${GNOME_KEYRING_STEPS[2]?.command ?? ''}\``;
