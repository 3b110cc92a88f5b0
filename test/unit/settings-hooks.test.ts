import { describe, expect, it } from 'vitest';
import { KiError } from '../../src/core/errors.js';
import { checkHooks } from '../../src/install/hook-check.js';
import { settingsError } from '../../src/install/settings-file.js';
import { SettingsFormatError, addHooks, isOurCommand, markCommand, ourHookCommands, removeHooks, type HookCommands } from '../../src/install/settings-hooks.js';

const CMDS: HookCommands = {
  sessionStart: markCommand(`'/usr/bin/node' '/opt/ki/dist/cli.js' hook session-start`),
  sessionEnd: markCommand(`'/usr/bin/node' '/opt/ki/dist/cli.js' hook session-end`),
};
const MOVED: HookCommands = {
  sessionStart: markCommand(`'/usr/local/bin/node' '/home/u/ki/dist/cli.js' hook session-start`),
  sessionEnd: markCommand(`'/usr/local/bin/node' '/home/u/ki/dist/cli.js' hook session-end`),
};

const ourStart = { type: 'command', command: CMDS.sessionStart, timeout: 30 };
const ourEnd = { type: 'command', command: CMDS.sessionEnd, timeout: 10 };
const userHook = (command: string) => ({ type: 'command', command });

/** Every handler of ours in parsed settings, by event. */
function ours(settings: any): Record<string, unknown[]> {
  const found: Record<string, unknown[]> = {};
  for (const [event, groups] of Object.entries(settings.hooks ?? {})) {
    for (const g of groups as any[]) for (const h of g.hooks ?? []) if (isOurCommand(h.command)) (found[event] ??= []).push(h);
  }
  return found;
}

function roundTrip(original: string) {
  const added = addHooks(original, CMDS);
  expect(added.changed).toBe(true);
  const parsed = JSON.parse(added.text);
  expect(ours(parsed)).toEqual({ SessionStart: [ourStart], SessionEnd: [ourEnd] });
  const again = addHooks(added.text, CMDS);
  expect(again).toEqual({ text: added.text, changed: false });
  const removed = removeHooks(added.text);
  expect(removed.removed).toBe(2);
  expect(removed.changed).toBe(true);
  return { added: added.text, parsed, restored: removed.text };
}

describe('markCommand / isOurCommand', () => {
  it('appends the shell-comment marker once', () => {
    expect(markCommand('a b')).toBe('a b # keyring-inject');
    expect(markCommand('a b # keyring-inject')).toBe('a b # keyring-inject');
    expect(markCommand('a b  ')).toBe('a b # keyring-inject');
  });

  it('recognises only commands that end with the marker', () => {
    expect(isOurCommand(CMDS.sessionStart)).toBe(true);
    expect(isOurCommand('x #keyring-inject')).toBe(true);
    expect(isOurCommand('x # keyring-inject-other')).toBe(false);
    expect(isOurCommand('echo keyring-inject')).toBe(false);
    expect(isOurCommand('x # keyring-inject; rm -rf /tmp/y')).toBe(false);
    expect(isOurCommand(undefined)).toBe(false);
    expect(isOurCommand(42)).toBe(false);
  });
});

describe('addHooks', () => {
  it('creates {"hooks": ...} from missing or empty text', () => {
    for (const text of ['', '\n', '  \n']) {
      const r = addHooks(text, CMDS);
      expect(r.changed).toBe(true);
      expect(JSON.parse(r.text)).toEqual({
        hooks: { SessionStart: [{ hooks: [ourStart] }], SessionEnd: [{ hooks: [ourEnd] }] },
      });
      expect(r.text.endsWith('}\n')).toBe(true);
      expect(r.text).toContain('\n  "hooks": {\n    "SessionStart": [\n      {\n        "hooks": [\n');
    }
  });

  it('fills an empty object, and remove gives back the same bytes', () => {
    for (const text of ['{}', '{}\n', '{}\r\n']) {
      const { restored } = roundTrip(text);
      expect(restored).toBe(text);
    }
  });

  it('keeps every other setting byte for byte (no hooks key before)', () => {
    const text = [
      '{',
      '  "model": "opus",',
      '  "permissions": {"allow": ["Bash(ls)", "Read"], "deny": []},',
      '  "env": {',
      '    "FOO": "bar"',
      '  },',
      '  "statusLine": {"type": "command", "command": "x"}',
      '}',
      '',
    ].join('\n');
    const { added, parsed, restored } = roundTrip(text);
    // The original lines are all still there, untouched, in order, before our insertion.
    expect(added.startsWith(text.slice(0, text.lastIndexOf('\n}')))).toBe(true);
    expect(parsed.permissions).toEqual({ allow: ['Bash(ls)', 'Read'], deny: [] });
    expect(restored).toBe(text);
  });

  it('appends to user hooks on the same events (with matchers) and keeps them first', () => {
    const original = {
      model: 'sonnet',
      hooks: {
        SessionStart: [{ matcher: 'startup', hooks: [userHook('echo start')] }],
        PreToolUse: [{ matcher: 'Bash', hooks: [userHook('check.sh'), { type: 'command', command: 'log.sh', timeout: 5 }] }],
        SessionEnd: [{ matcher: 'clear|logout', hooks: [userHook('echo end')] }],
      },
      other: [1, 2, 3],
    };
    const text = `${JSON.stringify(original, null, 2)}\n`;
    const { parsed, restored } = roundTrip(text);
    expect(parsed.hooks.SessionStart).toEqual([original.hooks.SessionStart[0], { hooks: [ourStart] }]);
    expect(parsed.hooks.SessionEnd).toEqual([original.hooks.SessionEnd[0], { hooks: [ourEnd] }]);
    expect(parsed.hooks.PreToolUse).toEqual(original.hooks.PreToolUse);
    expect(parsed.other).toEqual([1, 2, 3]);
    expect(restored).toBe(text);
  });

  it('adds our events next to other events only', () => {
    const text = `${JSON.stringify({ hooks: { Stop: [{ hooks: [userHook('say done')] }] }, theme: 'dark' }, null, 2)}\n`;
    const { parsed, restored } = roundTrip(text);
    expect(Object.keys(parsed.hooks)).toEqual(['Stop', 'SessionStart', 'SessionEnd']);
    expect(restored).toBe(text);
  });

  it("leaves a user's own empty lists and groups alone", () => {
    const text = '{\n  "hooks": {\n    "SessionStart": [\n      {\n        "hooks": []\n      }\n    ],\n    "Stop": []\n  }\n}\n';
    const { parsed, restored } = roundTrip(text);
    expect(parsed.hooks.SessionStart).toEqual([{ hooks: [] }, { hooks: [ourStart] }]);
    expect(parsed.hooks.Stop).toEqual([]);
    expect(restored).toBe(text);
  });

  it('removes an event list that holds nothing but ours (even one that was [] before install)', () => {
    // Stateless: a list that was empty before install cannot be told from one install created.
    const r = roundTrip('{\n  "hooks": {\n    "SessionStart": []\n  }\n}\n');
    expect(r.restored).toBe('{}\n');
  });

  it('keeps CRLF line endings', () => {
    const text =
      '{\r\n  "model": "opus",\r\n  "hooks": {\r\n    "Stop": [\r\n      {\r\n        "hooks": [\r\n          {\r\n            "type": "command",\r\n            "command": "x"\r\n          }\r\n        ]\r\n      }\r\n    ]\r\n  }\r\n}\r\n';
    const { added, restored } = roundTrip(text);
    expect(added.replace(/\r\n/g, '')).not.toContain('\n');
    expect(restored).toBe(text);
  });

  it('follows the indentation of the file (tabs, four spaces)', () => {
    const tabs = '{\n\t"model": "opus"\n}\n';
    const t = roundTrip(tabs);
    expect(t.added).toContain('\n\t"hooks": {\n\t\t"SessionStart": [\n\t\t\t{\n');
    expect(t.restored).toBe(tabs);
    const four = '{\n    "model": "opus"\n}\n';
    const f = roundTrip(four);
    expect(f.added).toContain('\n    "hooks": {\n        "SessionStart": [\n');
    expect(f.restored).toBe(four);
  });

  it('handles a one-line file', () => {
    const text = '{"model":"opus","hooks":{"Stop":[{"hooks":[{"type":"command","command":"x"}]}]}}';
    const { restored } = roundTrip(text);
    expect(restored).toBe(text);
  });

  it('keeps a byte-order mark', () => {
    const text = '\uFEFF{\n  "model": "opus"\n}\n';
    const added = addHooks(text, CMDS).text;
    expect(added.charCodeAt(0)).toBe(0xfeff);
    expect(ours(JSON.parse(added.slice(1)))).toEqual({ SessionStart: [ourStart], SessionEnd: [ourEnd] });
    const restored = removeHooks(added).text;
    expect(restored).toBe(text);
  });

  it('is idempotent', () => {
    const once = addHooks('{\n  "a": 1\n}\n', CMDS);
    const twice = addHooks(once.text, CMDS);
    expect(twice.changed).toBe(false);
    expect(twice.text).toBe(once.text);
  });

  it('replaces an outdated command in place, keeping position and extra fields', () => {
    const original = {
      hooks: {
        SessionStart: [
          { matcher: 'startup', hooks: [userHook('before')] },
          { hooks: [{ type: 'command', command: CMDS.sessionStart, timeout: 5, statusMessage: 'keys' }] },
          { hooks: [userHook('after')] },
        ],
        SessionEnd: [{ hooks: [userHook('user end'), { type: 'command', command: CMDS.sessionEnd, timeout: 10 }] }],
      },
    };
    const text = JSON.stringify(original, null, 2);
    const r = addHooks(text, MOVED);
    expect(r.changed).toBe(true);
    const parsed = JSON.parse(r.text);
    expect(parsed.hooks.SessionStart).toEqual([
      original.hooks.SessionStart[0],
      { hooks: [{ type: 'command', command: MOVED.sessionStart, timeout: 30, statusMessage: 'keys' }] },
      original.hooks.SessionStart[2],
    ]);
    expect(parsed.hooks.SessionEnd).toEqual([{ hooks: [userHook('user end'), { type: 'command', command: MOVED.sessionEnd, timeout: 10 }] }]);
    // Only the changed values moved: same number of lines.
    expect(r.text.split('\n').length).toBe(text.split('\n').length);
    expect(addHooks(r.text, MOVED).changed).toBe(false);
  });

  it('adds a missing timeout or type to an entry of ours', () => {
    const text = JSON.stringify({ hooks: { SessionStart: [{ hooks: [{ command: CMDS.sessionStart }] }], SessionEnd: [{ hooks: [{ type: 'command', command: CMDS.sessionEnd }] }] } }, null, 2);
    const parsed = JSON.parse(addHooks(text, CMDS).text);
    expect(parsed.hooks.SessionStart).toEqual([{ hooks: [{ command: CMDS.sessionStart, type: 'command', timeout: 30 }] }]);
    expect(parsed.hooks.SessionEnd).toEqual([{ hooks: [ourEnd] }]);
  });

  it('collapses duplicate entries of ours to one', () => {
    const text = JSON.stringify(
      {
        hooks: {
          SessionStart: [{ hooks: [ourStart] }, { matcher: 'x', hooks: [userHook('u'), ourStart] }, { hooks: [ourStart] }],
          SessionEnd: [{ hooks: [ourEnd] }],
        },
      },
      null,
      2,
    );
    const parsed = JSON.parse(addHooks(text, CMDS).text);
    expect(parsed.hooks.SessionStart).toEqual([{ hooks: [ourStart] }, { matcher: 'x', hooks: [userHook('u')] }]);
  });

  it('refuses comments and trailing commas with a position, since Claude Code would skip the file', () => {
    const withComment = '{\n  // my settings\n  "model": "opus"\n}\n';
    expect(() => addHooks(withComment, CMDS)).toThrow(SettingsFormatError);
    try {
      addHooks(withComment, CMDS);
    } catch (err) {
      const e = err as SettingsFormatError;
      expect(e.message).toMatch(/^comment at line 2, column 3: /);
      expect(e.message).not.toContain('my settings');
      expect([e.line, e.column]).toEqual([2, 3]);
    }
    expect(() => addHooks('{\n  "model": "opus",\n}\n', CMDS)).toThrow(/^invalid JSON at line 3, column 1 /);
  });

  it('throws a one-line error naming the position, never the content', () => {
    const secret = 'sk-live-DO-NOT-PRINT-4242';
    const cases: Array<[string, RegExp]> = [
      [`{"a": 1,, "token": "${secret}"}`, /line 1, column 9/],
      [`{\n  "token": "${secret}"\n  "b": 2\n}`, /line 3, column 3/],
      [`{\n  "token": "${secret}`, /line 2/],
      [`not json ${secret}`, /line 1, column 1/],
      [`[1, "${secret}"]`, /top level is not a JSON object \(line 1, column 1\)/],
      [`{"hooks": ["${secret}"]}`, /"hooks" is not a JSON object \(line 1, column 11\)/],
      [`{"hooks": {"SessionEnd": "${secret}"}}`, /"hooks.SessionEnd" is not a JSON array/],
    ];
    for (const [text, re] of cases) {
      let message = '';
      try {
        addHooks(text, CMDS);
      } catch (err) {
        expect(err).toBeInstanceOf(SettingsFormatError);
        message = (err as Error).message;
      }
      expect(message).toMatch(re);
      expect(message).not.toContain(secret);
      expect(message).not.toMatch(/[\r\n]/);
    }
  });
});

describe('removeHooks', () => {
  it('changes nothing when there is nothing of ours', () => {
    for (const text of ['', '{}', '{\n  "hooks": {\n    "Stop": []\n  }\n}\n', '{"hooks": 5}']) {
      expect(removeHooks(text)).toEqual({ text, changed: false, removed: 0 });
    }
  });

  it('removes only our handler from a group shared with a user handler', () => {
    const original = { hooks: { SessionStart: [{ matcher: 'startup', hooks: [userHook('mine'), ourStart, userHook('also mine')] }] } };
    const r = removeHooks(JSON.stringify(original, null, 2));
    expect(r.removed).toBe(1);
    expect(JSON.parse(r.text)).toEqual({ hooks: { SessionStart: [{ matcher: 'startup', hooks: [userHook('mine'), userHook('also mine')] }] } });
  });

  it('removes our entries from any event and cleans up only what it emptied', () => {
    const original = {
      a: 1,
      hooks: {
        PreToolUse: [{ hooks: [{ type: 'command', command: 'old # keyring-inject' }] }],
        SessionStart: [{ hooks: [ourStart, ourStart] }, { hooks: [] }],
        SessionEnd: [{ hooks: [ourEnd] }],
      },
    };
    const r = removeHooks(JSON.stringify(original, null, 2));
    expect(r.removed).toBe(4);
    expect(JSON.parse(r.text)).toEqual({ a: 1, hooks: { SessionStart: [{ hooks: [] }] } });
  });

  it('never deletes an emptied member that would bring back an earlier duplicate (the last duplicate wins)', () => {
    // A `hooks` object shadowed an old Stop hook: uninstall must not make old.sh run again.
    const shadowedHooks = '{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "old.sh"}]}]}, "hooks": {}}';
    const r1 = removeHooks(addHooks(shadowedHooks, CMDS).text);
    expect(r1.removed).toBe(2);
    expect(r1.text).toBe(shadowedHooks);
    // The same for an event list, and for both at once (the minimal case the fuzz found).
    const shadowedEvent = '{"hooks": {"SessionStart": [{"hooks": [{"type": "command", "command": "old.sh"}]}], "SessionStart": []}}';
    const r2 = removeHooks(addHooks(shadowedEvent, CMDS).text);
    expect(JSON.parse(r2.text)).toEqual({ hooks: { SessionStart: [] } });
    expect(r2.text).toBe(shadowedEvent);
    const minimal = '{"":"","hooks":null,"hooks":{"UserPromptSubmit":[]},"":null}';
    const r3 = removeHooks(addHooks(minimal, { ...CMDS, userPromptSubmit: markCommand('guard # x') }).text);
    expect(r3.removed).toBe(3);
    // The emptied list goes (as without duplicates), the `hooks` object that shadows `null` stays.
    expect(r3.text).toBe('{"":"","hooks":null,"hooks":{},"":null}');
  });

  it('tolerates and keeps comments and trailing commas', () => {
    const added = addHooks('{\n  "model": "opus"\n}\n', CMDS).text;
    const commented = added.replace('{\n', '{\n  // keep me\n').replace('"model": "opus"', '"model": "opus" /* and me */');
    const r = removeHooks(commented);
    expect(r.removed).toBe(2);
    expect(r.text).toContain('// keep me');
    expect(r.text).toContain('/* and me */');
    const trailing = removeHooks(added.replace('"timeout": 10\n', '"timeout": 10,\n'));
    expect(trailing.removed).toBe(2);
    const middle = removeHooks(addHooks('{\n  "z": 1\n}\n', CMDS).text.replace('"SessionStart": [', '"SessionStart": [ // start\n'));
    expect(middle.removed).toBe(2);
    expect(middle.text).toBe('{\n  "z": 1\n}\n');
    expect(() => removeHooks('{"a": }')).toThrow(/^invalid JSON at line 1, column 7 \(ValueExpected\)$/);
  });
});

describe('round trips on generated settings', () => {
  // A small deterministic generator: random user settings and hooks, written in several styles.
  function rng(seed: number) {
    return () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
  }

  it('add then remove gives back the original bytes', () => {
    const rand = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const events = ['SessionStart', 'SessionEnd', 'PreToolUse', 'Stop', 'UserPromptSubmit'] as const;
    for (let n = 0; n < 300; n++) {
      const settings: Record<string, unknown> = {};
      for (const key of ['model', 'theme', 'env', 'permissions']) if (rand() < 0.5) settings[key] = pick(['x', 1, { a: [1, 'b'] }, [], {}]);
      if (rand() < 0.7) {
        const hooks: Record<string, unknown> = {};
        for (const e of events) {
          if (rand() < 0.4) continue;
          const groups = [];
          for (let g = Math.floor(rand() * 3); g > 0; g--) {
            groups.push({ ...(rand() < 0.5 ? { matcher: pick(['startup', 'Bash', '']) } : {}), hooks: [userHook(`user-${n}-${g}`)] });
          }
          hooks[e] = groups;
        }
        settings.hooks = hooks;
      }
      let text = JSON.stringify(settings, null, pick([2, 4, '\t']));
      if (rand() < 0.3) text = text.replace(/\n/g, '\r\n');
      if (rand() < 0.7) text += text.includes('\r\n') ? '\r\n' : '\n';
      const added = addHooks(text, CMDS);
      expect(added.changed).toBe(true);
      const parsed = JSON.parse(added.text);
      expect(ours(parsed)).toEqual({ SessionStart: [ourStart], SessionEnd: [ourEnd] });
      const { hooks: _h, ...rest } = parsed;
      const { hooks: _o, ...origRest } = settings;
      expect(rest).toEqual(origRest);
      expect(addHooks(added.text, CMDS).changed).toBe(false);
      const removed = removeHooks(added.text);
      // The one thing that cannot come back: a user's own empty SessionStart/SessionEnd list or
      // empty "hooks" object, which after add holds only ours (see above); then it goes away.
      const h = settings.hooks as Record<string, unknown[]> | undefined;
      const ambiguous = h !== undefined && (Object.keys(h).length === 0 || ['SessionStart', 'SessionEnd'].some((e) => h[e]?.length === 0));
      if (!ambiguous) expect(removed.text).toBe(text);
      else {
        const expected = structuredClone(settings) as { hooks?: Record<string, unknown[]> };
        for (const e of ['SessionStart', 'SessionEnd']) if (expected.hooks?.[e]?.length === 0) delete expected.hooks[e];
        if (expected.hooks && Object.keys(expected.hooks).length === 0) delete expected.hooks;
        expect(JSON.parse(removed.text)).toEqual(expected);
      }
      expect(removed.removed).toBe(2);
    }
  });
});

describe('guard hooks (UserPromptSubmit, PreToolUse, PostToolUse)', () => {
  const GUARDS: HookCommands = {
    ...CMDS,
    userPromptSubmit: markCommand(`'/usr/bin/node' '/opt/ki/dist/cli.js' guard user-prompt-submit`),
    preToolUse: markCommand(`'/usr/bin/node' '/opt/ki/dist/cli.js' guard pre-tool-use`),
    postToolUse: markCommand(`'/usr/bin/node' '/opt/ki/dist/cli.js' guard post-tool-use`),
  };
  const ups = { type: 'command', command: GUARDS.userPromptSubmit, timeout: 10 };
  const pre = { type: 'command', command: GUARDS.preToolUse, timeout: 10 };
  const post = { type: 'command', command: GUARDS.postToolUse, timeout: 30 };

  it('adds all five, the tool hooks with their matchers, and removes them all again', () => {
    const original = `${JSON.stringify({ model: 'opus', hooks: { PreToolUse: [{ matcher: 'Edit', hooks: [userHook('lint')] }] } }, null, 2)}\n`;
    const added = addHooks(original, GUARDS);
    const parsed = JSON.parse(added.text);
    expect(ours(parsed)).toEqual({ SessionStart: [ourStart], SessionEnd: [ourEnd], UserPromptSubmit: [ups], PreToolUse: [pre], PostToolUse: [post] });
    expect(parsed.hooks.UserPromptSubmit).toEqual([{ hooks: [ups] }]);
    expect(parsed.hooks.PreToolUse).toEqual([
      { matcher: 'Edit', hooks: [userHook('lint')] },
      { matcher: '*', hooks: [pre] },
    ]);
    expect(parsed.hooks.PostToolUse).toEqual([{ matcher: '*', hooks: [post] }]);
    expect(addHooks(added.text, GUARDS)).toEqual({ text: added.text, changed: false });
    const removed = removeHooks(added.text);
    expect(removed.removed).toBe(5);
    expect(removed.text).toBe(original);
  });

  it('adds the guards to an install that had only the session hooks, and fixes a matcher of ours', () => {
    const before = addHooks('{}\n', CMDS).text;
    const upgraded = JSON.parse(addHooks(before, GUARDS).text);
    expect(ours(upgraded)).toEqual({ SessionStart: [ourStart], SessionEnd: [ourEnd], UserPromptSubmit: [ups], PreToolUse: [pre], PostToolUse: [post] });
    // Issue 14.9: an install from before PreToolUse covered every tool is widened.
    const narrow = JSON.stringify({ hooks: { PreToolUse: [{ matcher: 'Read|Grep|Glob|Bash', hooks: [pre] }] } }, null, 2);
    expect(JSON.parse(addHooks(narrow, GUARDS).text).hooks.PreToolUse).toEqual([{ matcher: '*', hooks: [pre] }]);
    const stale = JSON.stringify({ hooks: { PreToolUse: [{ matcher: 'Read', hooks: [pre] }], PostToolUse: [{ hooks: [post] }] } }, null, 2);
    const fixed = JSON.parse(addHooks(stale, GUARDS).text);
    expect(fixed.hooks.PreToolUse).toEqual([{ matcher: '*', hooks: [pre] }]);
    expect(fixed.hooks.PostToolUse).toEqual([{ hooks: [post], matcher: '*' }]);
    // In a group shared with a user's handler, the user's matcher is left alone.
    const shared = JSON.stringify({ hooks: { PostToolUse: [{ matcher: 'Bash', hooks: [userHook('u'), post] }] } }, null, 2);
    expect(JSON.parse(addHooks(shared, GUARDS).text).hooks.PostToolUse).toEqual([{ matcher: 'Bash', hooks: [userHook('u'), post] }]);
  });
});

describe('errors in the one error model', () => {
  it('a SettingsFormatError is a KiError coded settings-invalid; settingsError names the file, keeps the message and the cause', () => {
    let err: unknown;
    try {
      addHooks('{\n  "a": 1,\n}\n', CMDS);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SettingsFormatError);
    expect(err).toBeInstanceOf(KiError);
    expect([(err as KiError).code, (err as KiError).exitCode]).toEqual(['settings-invalid', 1]);
    const wrapped = settingsError('/h/.claude/settings.json', err) as KiError;
    expect(wrapped).toBeInstanceOf(KiError);
    expect([wrapped.code, wrapped.cause]).toEqual(['settings-invalid', err]);
    expect(wrapped.message).toBe('/h/.claude/settings.json: invalid JSON at line 3, column 1 (PropertyNameExpected): Claude Code ignores a settings.json that is not plain JSON; fix it and retry');
    const other = new Error('x');
    expect(settingsError('/f', other)).toBe(other);
  });
});

describe("doctor's look at our hooks", () => {
  it('finds our commands by event, comments and trailing commas tolerated', () => {
    const added = addHooks('{\n  "model": "opus"\n}\n', CMDS).text;
    const commented = added.replace('{\n', '{\n  // mine\n').replace('"timeout": 30\n', '"timeout": 30,\n');
    expect(ourHookCommands(commented)).toEqual([
      { event: 'SessionStart', command: CMDS.sessionStart },
      { event: 'SessionEnd', command: CMDS.sessionEnd },
    ]);
    expect(ourHookCommands('')).toEqual([]);
    expect(ourHookCommands('{"hooks": 5}')).toEqual([]);
  });

  it('reports a settings.json it cannot read as one problem naming the position, never the content', () => {
    const secret = 'sk-live-DO-NOT-PRINT-4242';
    const report = checkHooks('/h/.claude/settings.json', `{\n  "env": {"T": "${secret}"}\n  "hooks": {}\n}\n`, '/h/.local/share/ki');
    expect(report.events).toEqual([]);
    expect(report.problems).toEqual(['/h/.claude/settings.json: invalid JSON at line 3, column 3 (CommaExpected): Claude Code skips a settings.json it cannot read, hooks included; fix it']);
  });
});
