#!/usr/bin/env bash
# The whole test suite, from a fresh clone: system packages, npm packages, type check, bundle,
# then every test inside a private D-Bus session with a real, unlocked gnome-keyring.
# Ends with one plain line "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # The lock file lists every platform's optional binaries, so npm ci never rewrites it.
  npm ci --no-audit --no-fund
fi
npx tsc --noEmit -p .
# Lint (Biome), the layer rules (dependency-cruiser, ARCHITECTURE.md), unused code (knip).
npm run -s lint
node scripts/build.mjs

# CI runs the full torture suite (hundreds of crash trials, 16+ session storms); a developer's
# npm test runs its quick subset. `npm run torture` runs the full one on demand.
if [ -n "${CI:-}" ] && [ -z "${KI_TORTURE:-}" ]; then export KI_TORTURE=full; fi

report=$(mktemp "${TMPDIR:-/tmp}/ki-vitest.XXXXXX.json")
trap 'rm -f "$report"' EXIT
set +e
# npm's cache and settings stay the user's: the tests' HOME is a throwaway directory.
npm_config_cache="${npm_config_cache:-$HOME/.npm}" npm_config_userconfig="${npm_config_userconfig:-$HOME/.npmrc}" \
  scripts/with-secret-service.sh npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
rc=$?
set -e
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$report" 2>/dev/null || echo "tests: 0 passed, 1 failed"
exit $rc
