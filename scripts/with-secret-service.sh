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
  # The standard session bus without service activation: if the daemon below ever dies, a
  # client must not silently get a second one started by the bus, with the caller's real HOME
  # and no unlocked keyring; the supervisor below restarts the right one instead.
  # Beside HOME, not in it: tests check what HOME holds.
  bus_conf=$(mktemp "${TMPDIR:-/tmp}/ki-session-bus.XXXXXX")
  # The Claude Code client keeps task outputs and probe dirs under CLAUDE_CODE_TMPDIR (default
  # /tmp): a client started from a test with this environment (a tmux shell) keeps them here.
  CLAUDE_CODE_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/ki-claude-tmp.XXXXXX")
  export CLAUDE_CODE_TMPDIR
  trap 'rm -rf "$KI_TEST_HOME" "$bus_conf" "$CLAUDE_CODE_TMPDIR"' EXIT
  sed '/<standard_session_servicedirs *\/>/d; /<servicedir>/d' /usr/share/dbus-1/session.conf >"$bus_conf"
  # Not exec: the trap must run after the session ends.
  dbus-run-session --config-file="$bus_conf" -- "$0" "$@"
  exit $?
fi

export HOME="$KI_TEST_HOME"
export XDG_DATA_HOME="$HOME/.local/share" XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
unset XDG_RUNTIME_DIR

secrets_owned() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}
bus_alive() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetId >/dev/null 2>&1
}

# The password only unlocks this throwaway test keyring; it stays in this shell (printf is a
# builtin, so it is in no argv).
ki_keyring_password="test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
# gnome-keyring-daemon 42 has been seen to abort (a GLib trap) under the torture suite's load
# of thousands of clients, some SIGKILLed mid-call. The supervisor restarts it on the same
# keyring file, unlocked with the same password, so one crash costs the calls in flight, not
# every test after it. It stops when the bus is gone (the daemon exits with the bus).
(
  for restarts in $(seq 0 20); do
    [ "$restarts" = 0 ] || echo "with-secret-service: gnome-keyring-daemon exited; restart $restarts" >&2
    printf %s "$ki_keyring_password" | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 || true
    bus_alive || exit 0
    sleep 0.05
  done
  echo "with-secret-service: gnome-keyring-daemon keeps exiting; giving up" >&2
) &
supervisor=$!
unset ki_keyring_password
for _ in $(seq 1 100); do
  secrets_owned && break
  sleep 0.05
done
export KI_SECRET_SERVICE=1
# Not exec: the supervisor must be stopped, and the daemon with it, when the command ends.
status=0
"$@" || status=$?
kill "$supervisor" 2>/dev/null || true
exit "$status"
