// A leading byte-order mark (U+FEFF), as an editor on Windows may write one. Claude Code strips it
// before parsing ~/.claude.json and .mcp.json (docs/install.md), so we read such a file as it does; our edits
// start after it and keep it, byte for byte.

/** 1 when `text` starts with a byte-order mark, else 0: where the JSON starts. */
export function bomLength(text: string): 0 | 1 {
  return text.charCodeAt(0) === 0xfeff ? 1 : 0;
}

/** `text` without a leading byte-order mark. */
export function withoutBom(text: string): string {
  return bomLength(text) === 1 ? text.slice(1) : text;
}
