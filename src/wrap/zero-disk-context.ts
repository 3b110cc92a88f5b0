// What the zero-disk operations need from the outside world: a narrow part of the CLI's
// context (which satisfies it), so that they do not depend on the CLI layer above them.
import type { ClaudePaths, Env } from '../core/paths.js';
import type { SecretBackend } from '../keyring/backend.js';

export interface ZeroDiskContext {
  env: Env;
  cwd: string;
  paths: ClaudePaths;
  backend: () => SecretBackend;
  now: () => Date;
}
