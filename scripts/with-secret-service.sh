#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a fresh, unlocked gnome-keyring,
# in a throwaway HOME so the keyring file and every Claude config live in a temp dir.
# Usage: scripts/with-secret-service.sh CMD [ARGS...]
# (It re-executes itself under dbus-run-session; the inner part is marked by KI_IN_DBUS.)
set -euo pipefail

if [ -z "${KI_IN_DBUS:-}" ]; then
  for bin in dbus-run-session gnome-keyring-daemon dbus-send secret-tool; do
    command -v "$bin" >/dev/null || { echo "with-secret-service: $bin is missing: run 'bash scripts/install-system-deps.sh'" >&2; exit 1; }
  done
  export KI_IN_DBUS=1
  KI_TEST_HOME=$(mktemp -d "${TMPDIR:-/tmp}/ki-test-home.XXXXXX")
  export KI_TEST_HOME
  trap 'rm -rf "$KI_TEST_HOME"' EXIT
  # Not exec: the trap must run after the session ends.
  dbus-run-session -- "$0" "$@"
  exit $?
fi

export HOME="$KI_TEST_HOME"
export XDG_DATA_HOME="$HOME/.local/share" XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
unset XDG_RUNTIME_DIR
# The password only unlocks this throwaway test keyring.
KI_KEYRING_PASSWORD="test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
eval "$(printf %s "$KI_KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets)"
unset KI_KEYRING_PASSWORD
# Without this wait, one run in five starts a second daemon through D-Bus activation.
for _ in $(seq 1 100); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
    break
  fi
  sleep 0.05
done
export KI_SECRET_SERVICE=1
# gnome-keyring-daemon exits with the private bus when dbus-run-session ends.
"$@"
