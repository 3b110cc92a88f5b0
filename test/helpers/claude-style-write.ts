// One write of ~/.claude.json the way Claude Code makes it when it finds the lock held (no lock):
// re-read, change, temp file `<target>.tmp.<pid>.<12 hex>`, fsync, rename, through a symlink to
// its target, keeping the file's mode (/work/shared/reference/claude-code-facts.md).
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, statSync, writeSync } from 'node:fs';

export function claudeStyleWrite(config: string, change: (text: string) => string): void {
  const target = realpathSync(config);
  const text = change(readFileSync(target, 'utf8'));
  const tmp = `${target}.tmp.${process.pid}.${randomBytes(6).toString('hex')}`;
  const fd = openSync(tmp, 'wx', statSync(target).mode & 0o7777);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, target);
}
