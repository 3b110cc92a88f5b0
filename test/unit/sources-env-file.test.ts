// The env-file source for real: the parser, and the rule that a project reference's file stays
// inside the project root (.., absolute paths, symlinks out). Files in a temporary directory.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { envFilePath, envFileSource, parseEnvFile } from '../../src/sources/env-file.js';
import type { SourceRef } from '../../src/registry/source-ref.js';
import { sourceContext } from '../../src/sources/resolver.js';
import { testSecret } from '../helpers/secret.js';

describe('parseEnvFile', () => {
  it('reads KEY=VALUE with quotes, export, comments, blank lines and CRLF', () => {
    const text = [
      '\uFEFF# a comment',
      '',
      'PLAIN=abc123',
      'export EXPORTED=from-export',
      '  SPACED = padded value   ',
      'INLINE=value # a comment',
      'HASH=ab#cd',
      "SINGLE='it''s' ",
      "LITERAL='no $expansion \\n here'",
      'DOUBLE="a\\nb \\"q\\" \\\\ \\$x"',
      'DQ_COMMENT="x # not a comment" # but this is',
      'EMPTY=',
      'EMPTY_QUOTED=""',
      'MULTI="line one',
      'line two"',
      "MULTI_SINGLE='first",
      "second'",
      'AFTER=after-multi',
      'dotted.name-x=dots',
      'DUP=first',
      'DUP=second',
      'REF=${PLAIN}',
    ].join('\r\n');
    const { values, badLines } = parseEnvFile(text);
    expect(Object.fromEntries(values)).toEqual({
      PLAIN: 'abc123',
      EXPORTED: 'from-export',
      SPACED: 'padded value',
      INLINE: 'value',
      HASH: 'ab#cd',
      LITERAL: 'no $expansion \\n here',
      DOUBLE: 'a\nb "q" \\ $x',
      DQ_COMMENT: 'x # not a comment',
      EMPTY: '',
      EMPTY_QUOTED: '',
      MULTI: 'line one\nline two',
      MULTI_SINGLE: 'first\nsecond',
      AFTER: 'after-multi',
      'dotted.name-x': 'dots',
      DUP: 'second',
      REF: '${PLAIN}',
    });
    // SINGLE='it''s' has text after its closing quote: refused, reported by line number only.
    expect(badLines).toEqual([8]);
  });

  it('skips lines it cannot parse and counts multi-line values in line numbers', () => {
    const { values, badLines } = parseEnvFile('A="x\ny"\nnot an assignment\n1BAD=x\nB=ok\nC="unterminated\nD=fine\n');
    expect(Object.fromEntries(values)).toEqual({ A: 'x\ny', B: 'ok', D: 'fine' });
    expect(badLines).toEqual([3, 4, 6]);
  });
});

describe('env-file paths and reading', () => {
  let dir: string;
  let root: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ki-envfile-'));
    root = join(dir, 'project');
    mkdirSync(join(root, 'config'), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const resolveOne = async (ref: SourceRef) => (await envFileSource.resolve([{ name: 'K', ref }], sourceContext(new MemoryBackend(), {}))).get('K');

  it('project references: relative to the root, default .env; .., absolute paths and links out are refused', async () => {
    const v = testSecret();
    writeFileSync(join(root, '.env'), `TOKEN=${v}\n`);
    writeFileSync(join(root, 'config', 'dev.env'), `export TOKEN="${v}-dev"\n`);
    writeFileSync(join(dir, 'outside.env'), `TOKEN=${v}-outside\n`);
    symlinkSync(join(dir, 'outside.env'), join(root, 'link.env'));
    symlinkSync(join(root, 'config', 'dev.env'), join(root, 'inner-link.env'));

    expect(await resolveOne({ source: 'env-file', id: 'TOKEN', root })).toEqual({ kind: 'value', value: v });
    expect(await resolveOne({ source: 'env-file', id: 'TOKEN', metadata: { path: 'config/dev.env' }, root })).toEqual({ kind: 'value', value: `${v}-dev` });
    expect(await resolveOne({ source: 'env-file', id: 'TOKEN', metadata: { path: 'inner-link.env' }, root })).toEqual({ kind: 'value', value: `${v}-dev` });

    for (const path of ['../outside.env', 'config/../../outside.env', join(dir, 'outside.env'), '..', '.']) {
      expect(envFilePath({ source: 'env-file', id: 'TOKEN', metadata: { path }, root })).toHaveProperty('problem');
      const r = await resolveOne({ source: 'env-file', id: 'TOKEN', metadata: { path }, root });
      expect(r?.kind).toBe('failed');
      expect(JSON.stringify(r)).not.toContain(v);
    }
    const link = await resolveOne({ source: 'env-file', id: 'TOKEN', metadata: { path: 'link.env' }, root });
    expect(link).toMatchObject({ kind: 'failed', reason: expect.stringContaining('leaves the project root') });
  });

  it('user-registry references need an absolute path', async () => {
    const v = testSecret();
    writeFileSync(join(dir, 'outside.env'), `TOKEN=${v}\n`);
    expect(await resolveOne({ source: 'env-file', id: 'TOKEN', metadata: { path: join(dir, 'outside.env') } })).toEqual({ kind: 'value', value: v });
    expect(await resolveOne({ source: 'env-file', id: 'TOKEN', metadata: { path: 'outside.env' } })).toMatchObject({ kind: 'failed', reason: expect.stringContaining('must be absolute') });
  });

  it('a missing file, a missing or empty variable: "missing" with the fix, never file content', async () => {
    const v = testSecret();
    writeFileSync(join(root, '.env'), `OTHER=${v}\nEMPTY=\nBROKEN="${v}\n`);
    const noFile = await resolveOne({ source: 'env-file', id: 'TOKEN', metadata: { path: 'nope.env' }, root });
    expect(noFile).toMatchObject({ kind: 'missing', reason: expect.stringContaining('does not exist') });
    const noVar = await resolveOne({ source: 'env-file', id: 'TOKEN', root });
    expect(noVar).toMatchObject({ kind: 'missing', reason: expect.stringMatching(/TOKEN is not set in .*\.env \(lines 3 could not be parsed\): add it there/) });
    expect(JSON.stringify(noVar)).not.toContain(v);
    expect(await resolveOne({ source: 'env-file', id: 'EMPTY', root })).toMatchObject({ kind: 'missing' });
    expect(await envFileSource.available(sourceContext(new MemoryBackend(), {}), { source: 'env-file', id: 'X', metadata: { path: 'nope.env' }, root })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('create it or fix metadata.path'),
    });
  });

  it('a directory or a file over 1 MiB is refused', async () => {
    writeFileSync(join(root, 'big.env'), `A=${'x'.repeat(1024 * 1024)}\n`);
    expect(await resolveOne({ source: 'env-file', id: 'A', metadata: { path: 'big.env' }, root })).toMatchObject({ kind: 'failed', reason: expect.stringContaining('larger than 1 MiB') });
    expect(await resolveOne({ source: 'env-file', id: 'A', metadata: { path: 'config' }, root })).toMatchObject({ kind: 'failed', reason: expect.stringContaining('not a regular file') });
  });
});
