// Tests that spawn the CLI run the bundle users run: build it once before any test. The real
// Claude Code client (test/e2e, the storms) is installed on demand, pinned, by
// scripts/install-test-client.mjs, unless KI_E2E_CLAUDE_BIN names another one; its path reaches
// the test workers as KI_TEST_CLIENT_BIN (test/helpers/claude/home.ts).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  if (!process.env.KI_E2E_CLAUDE_BIN) {
    process.env.KI_TEST_CLIENT_BIN = execFileSync(process.execPath, ['scripts/install-test-client.mjs'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  }
}
