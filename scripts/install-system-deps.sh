#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the test suite needs (a real Secret Service in a private
# D-Bus session, secret-tool to check it from outside, tmux for the hidden-prompt test, pass and
# gnupg for the pass source's tests, keepassxc (keepassxc-cli) and age for the keepassxc and age
# sources', python3-keyring for the move from mcp-keyring-injector, openssl for the vault TLS test,
# Chromium and Firefox ESR for the secret page's browser tests, driven by playwright-core /
# puppeteer-core, which never download a browser of their own; curl, python3 with requests, git
# and openssl for the placeholder-key proxy's tests with real clients).
# Does nothing when they are all present.
set -euo pipefail
pkgs=(gnome-keyring dbus-daemon dbus-bin libsecret-tools tmux pass gnupg keepassxc age python3-keyring openssl chromium firefox-esr curl python3 python3-requests git ca-certificates)
need=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p"); done
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing: ${need[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
command -v apt-get >/dev/null || { echo "install-system-deps: no apt-get here; install ${need[*]} with your package manager" >&2; exit 1; }
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
