/** Set by `keyring-inject claude` for the Claude Code it starts (`<pid>:<start time>`), read by the session hooks. */
export const LAUNCHER_ENV = 'KEYRING_INJECT_LAUNCHER';
