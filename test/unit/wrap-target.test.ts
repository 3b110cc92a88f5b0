// The record of a wrap comes from the edit's own result (WrapEdit's `target`), not from
// reading the config again: for every kind of wrap it says what the wrapped entry in the text
// the edit produced wraps (wrappedTargetIn, the reader exec and headers fall back to).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claudePaths, type ClaudePaths } from '../../src/core/paths.js';
import type { SelfPaths } from '../../src/wrap/format.js';
import { wrapEditOf, wrappedTargetIn } from '../../src/wrap/patch.js';
import { recordWrapTargets } from '../../src/wrap/record.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

const self: SelfPaths = { node: '/opt/node/bin/node', cli: '/opt/ki/dist/cli.js' };
const other: SelfPaths = { node: '/usr/bin/node', cli: '/elsewhere/dist/cli.js' };
const P = '/home/u/proj';
type Ref = { server: string; scope: 'user' | 'local'; project?: string };
const user = (server: string): Ref => ({ server, scope: 'user' });
const local = (server: string): Ref => ({ server, scope: 'local', project: P });

const config = JSON.stringify(
  {
    mcpServers: {
      gh: { type: 'stdio', command: 'npx', args: ['-y', 'server-github', 'a "q"'] },
      bare: { command: '/usr/local/bin/srv' },
      empty: { command: 'x', args: [] },
      api: { type: 'http', url: 'https://api.example.com/${TENANT:-x}/mcp' },
      nourl: { type: 'sse' },
      odd: { command: 'o', headersHelper: `${self.node} ${self.cli} headers --server odd`, url: 'https://odd.example/mcp' },
    },
    projects: { [P]: { mcpServers: { db: { command: 'db-server', args: ['--port', '1'] } } } },
  },
  null,
  2,
);

describe('WrapEdit.target is what the produced text wraps', () => {
  const cases: [string, Ref, unknown?][] = [
    ['stdio with args', user('gh')],
    ['stdio without args', user('bare')],
    ['stdio with empty args', user('empty')],
    ['http with a URL', user('api')],
    ['sse without a URL', user('nourl')],
    ['stdio entry that has our headersHelper and a URL', user('odd')],
    ['local scope', local('db')],
    ['.mcp.json stdio copy', local('fromjson'), { command: 'node', args: ['s.js'] }],
    ['.mcp.json http copy', local('webjson'), { type: 'http', url: 'https://w.example/mcp' }],
  ];
  for (const [label, ref, mcpJson] of cases) {
    it(label, () => {
      const first = wrapEditOf(config, ref, self, mcpJson);
      expect(first.outcome.kind).toBe('wrapped');
      expect(first.target).toEqual(wrappedTargetIn(first.text, ref));
      // Unchanged, and re-wrapped with other paths.
      const again = wrapEditOf(first.text, ref, self, mcpJson);
      expect(again.outcome.kind).toBe('unchanged');
      expect(again.target).toEqual(wrappedTargetIn(again.text, ref));
      const moved = wrapEditOf(first.text, ref, other, mcpJson);
      expect(moved.outcome.kind).toBe('rewrapped');
      expect(moved.target).toEqual(wrappedTargetIn(moved.text, ref));
    });
  }
});

describe('recordWrapTargets', () => {
  let t: TempHome;
  let paths: ClaudePaths;
  beforeEach(() => {
    t = makeTempHome();
    paths = claudePaths(t.env);
  });
  afterEach(() => t.cleanup());

  it('records the reported targets without reading ~/.claude.json (there is none here), replacing a server’s older record', async () => {
    await recordWrapTargets(paths, [
      { ref: user('gh'), target: { kind: 'stdio', command: ['old'] } },
      { ref: local('db'), target: { kind: 'http', url: 'https://x/mcp' } },
      { ref: user('nourl'), target: undefined },
    ]);
    await recordWrapTargets(paths, [{ ref: user('gh'), target: { kind: 'stdio', command: ['npx', '-y'] } }]);
    const file = join(paths.dataDir, 'wrapped.json');
    expect(JSON.parse(readFileSync(file, 'utf8')).servers).toEqual([
      { server: 'db', scope: 'local', project: P, kind: 'http', url: 'https://x/mcp' },
      { server: 'gh', scope: 'user', kind: 'stdio', command: ['npx', '-y'] },
    ]);
    writeFileSync(paths.configFile, '{ not json');
    await recordWrapTargets(paths, [{ ref: user('api'), target: { kind: 'http', url: 'https://api/mcp' } }]);
    expect(JSON.parse(readFileSync(file, 'utf8')).servers).toHaveLength(3);
  });
});
