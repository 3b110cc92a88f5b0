// Every command, loaded only when it runs: a hook pays for its own code, not for the CLI's.
import type { Command } from './command.js';

/** Where `--help` lists a command: what a newcomer needs first, plumbing last, internal never. */
export type CommandGroup = 'start' | 'keys' | 'sessions' | 'zero-disk' | 'plumbing' | 'internal';

export interface CommandEntry {
  name: string;
  group: CommandGroup;
  summary: string;
  load: () => Promise<Command>;
}

export const COMMAND_TABLE: readonly CommandEntry[] = [
  { name: 'setup', group: 'start', summary: 'first run: move plaintext keys into the keyring, protect every server, install the hooks', load: async () => (await import('./commands/setup.js')).setup },
  { name: 'add', group: 'keys', summary: 'store a key in the OS keyring and map it to MCP server env vars', load: async () => (await import('./commands/add.js')).add },
  { name: 'list', group: 'keys', summary: 'list stored keys and their targets (never a value)', load: async () => (await import('./commands/list.js')).list },
  { name: 'rotate', group: 'keys', summary: 'replace the value of a stored key', load: async () => (await import('./commands/rotate.js')).rotate },
  { name: 'remove', group: 'keys', summary: 'delete a key from the keyring and the registry', load: async () => (await import('./commands/remove.js')).remove },
  { name: 'claude', group: 'sessions', summary: 'start Claude Code with the keys injected before its MCP servers start', load: async () => (await import('./commands/claude.js')).claude },
  { name: 'install', group: 'sessions', summary: 'add the session hooks and the guards to Claude Code settings', load: async () => (await import('./commands/install.js')).install },
  { name: 'uninstall', group: 'sessions', summary: 'remove our hooks from Claude Code settings', load: async () => (await import('./commands/uninstall.js')).uninstall },
  { name: 'exec', group: 'plumbing', summary: 'what a wrapped stdio server runs: the server, with its keys from the keyring', load: async () => (await import('./commands/exec.js')).exec },
  { name: 'wrap', group: 'zero-disk', summary: 'make servers read their keys from the keyring when they start', load: async () => (await import('./commands/wrap.js')).wrap },
  { name: 'unwrap', group: 'zero-disk', summary: 'undo wrap', load: async () => (await import('./commands/unwrap.js')).unwrap },
  { name: 'headers', group: 'plumbing', summary: "(headersHelper) print an http server's headers as JSON", load: async () => (await import('./commands/headers.js')).headers },
  { name: 'allow', group: 'keys', summary: "approve the project's .claude/secrets.json as it is (needed before anything uses it)", load: async () => (await import('./commands/allow.js')).allow },
  { name: 'run', group: 'zero-disk', summary: 'run any command with your keys in its environment', load: async () => (await import('./commands/run.js')).run },
  { name: 'import', group: 'start', summary: 'move plaintext keys from ~/.claude.json into the keyring', load: async () => (await import('./commands/import.js')).importCommand },
  { name: 'doctor', group: 'start', summary: "each server's mode; any plaintext secret left", load: async () => (await import('./commands/doctor.js')).doctor },
  { name: 'scan', group: 'keys', summary: "find stored keys already sitting in Claude Code's transcripts, logs and backups", load: async () => (await import('./commands/scan.js')).scan },
  { name: 'scrub', group: 'keys', summary: "replace stored keys found in Claude Code's files with [keyring-inject:NAME]", load: async () => (await import('./commands/scrub.js')).scrub },
  { name: 'audit', group: 'keys', summary: 'every use of a key, by name (never a value)', load: async () => (await import('./commands/audit.js')).audit },
  { name: 'status', group: 'sessions', summary: 'live sessions, what is injected where, and leftovers', load: async () => (await import('./commands/status.js')).status },
  { name: 'cleanup', group: 'sessions', summary: 'crash recovery: strip every injected key from the config and its backups', load: async () => (await import('./commands/cleanup.js')).cleanup },
  { name: 'mcp', group: 'plumbing', summary: 'an MCP server that lets Claude ask you for a key without seeing it (run by Claude Code)', load: async () => (await import('./commands/mcp.js')).mcp },
  { name: 'hook', group: 'plumbing', summary: 'the SessionStart / SessionEnd hooks (run by Claude Code)', load: async () => (await import('./commands/hook.js')).hook },
  { name: 'guard', group: 'plumbing', summary: "the hooks that keep API keys out of the model's context (run by Claude Code)", load: async () => (await import('./commands/guard.js')).guard },
  {
    name: 'guard-service',
    group: 'internal',
    summary: '(internal) the guards as one loopback service while sessions live',
    load: async () => (await import('./commands/guard-service.js')).guardService,
  },
  { name: 'watchdog', group: 'internal', summary: '(internal) strips keys when every session died without SessionEnd', load: async () => (await import('./commands/watchdog.js')).watchdog },
];
