#!/usr/bin/env bash
# The real-client suite (test/e2e) against the newest published Claude Code instead of the pinned
# test client (scripts/install-test-client.mjs): installs @anthropic-ai/claude-code@latest into a throwaway prefix, points the
# harness at it (KI_E2E_CLAUDE_BIN), and removes the prefix afterwards. Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=$(mktemp -d "${TMPDIR:-/tmp}/ki-client-latest.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
printf '{"private":true,"allowScripts":{"@anthropic-ai/claude-code":true}}\n' >"$prefix/package.json"
npm install --prefix "$prefix" --no-audit --no-fund --no-save --loglevel=error --engine-strict=false @anthropic-ai/claude-code@latest >/dev/null
bin="$prefix/node_modules/.bin/claude"
echo "client under test: $("$bin" --version) ($bin)"
node scripts/build.mjs
KI_E2E_CLAUDE_BIN="$bin" scripts/with-secret-service.sh npx vitest run test/e2e "$@"
