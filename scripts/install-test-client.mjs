#!/usr/bin/env node
// Installs the real Claude Code client that test/e2e drives, pinned, into
// node_modules/.cache/keyring-inject-test-client/ (not a devDependency: its package declares
// Node >= 22, so a devDependency made every user's `npm install` warn EBADENGINE on Node 20).
// Does nothing when that version is there already. Prints the client's path.
// Used by scripts/test.sh and test/global-setup.ts; KI_E2E_CLAUDE_BIN overrides it (test-client-latest.sh).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEST_CLIENT_VERSION = '2.1.332';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TEST_CLIENT_DIR = path.join(ROOT, 'node_modules', '.cache', 'keyring-inject-test-client');
export const TEST_CLIENT_BIN = path.join(TEST_CLIENT_DIR, 'node_modules', '.bin', 'claude');

function installedVersion() {
  try {
    return JSON.parse(fs.readFileSync(path.join(TEST_CLIENT_DIR, 'node_modules', '@anthropic-ai', 'claude-code', 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

export function ensureTestClient() {
  if (installedVersion() === TEST_CLIENT_VERSION && fs.existsSync(TEST_CLIENT_BIN)) return TEST_CLIENT_BIN;
  fs.mkdirSync(path.dirname(TEST_CLIENT_DIR), { recursive: true });
  // Into a directory of its own, then renamed into place: two test runs starting at once never
  // see half an install.
  const tmp = fs.mkdtempSync(`${TEST_CLIENT_DIR}.tmp-`);
  try {
    fs.writeFileSync(path.join(tmp, 'package.json'), `${JSON.stringify({ private: true, allowScripts: { '@anthropic-ai/claude-code': true } })}\n`);
    process.stderr.write(`installing the test client @anthropic-ai/claude-code@${TEST_CLIENT_VERSION} (once)\n`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', '--engine-strict=false', `@anthropic-ai/claude-code@${TEST_CLIENT_VERSION}`], {
      cwd: tmp,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    fs.rmSync(TEST_CLIENT_DIR, { recursive: true, force: true });
    try {
      fs.renameSync(tmp, TEST_CLIENT_DIR);
    } catch (err) {
      // Another run put it there first.
      if (installedVersion() !== TEST_CLIENT_VERSION) throw err;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return TEST_CLIENT_BIN;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${ensureTestClient()}\n`);
}
