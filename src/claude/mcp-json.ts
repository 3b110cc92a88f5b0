// A project's `.mcp.json` (project scope): read only. keyring-inject never writes it: it is meant
// to be committed, and a secret written there would be.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { withoutBom } from '../core/bom.js';
import { KiError } from '../core/errors.js';
import { isRecord } from '../core/is-record.js';
import { parseJson } from '../core/parse-json.js';

/** `.mcp.json` files from `start` up to the project root (closest first). */
export async function mcpJsonFiles(start: string, projectRoot: string): Promise<string[]> {
  const out: string[] = [];
  const root = resolve(projectRoot);
  for (let d = resolve(start); ; d = dirname(d)) {
    const file = join(d, '.mcp.json');
    if (existsSync(file)) out.push(file);
    if (d === root || dirname(d) === d || !(d + sep).startsWith(root + sep)) return out;
  }
}

/** The closest `.mcp.json` that defines `server`, and its entry. */
export async function mcpJsonEntry(start: string, projectRoot: string, server: string): Promise<{ file: string; entry: unknown } | undefined> {
  for (const file of await mcpJsonFiles(start, projectRoot)) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const data = parseJson(withoutBom(text), () => new KiError('config-invalid', `${file} is not valid JSON: fix it first`));
    const servers = isRecord(data) && isRecord(data.mcpServers) ? data.mcpServers : {};
    if (Object.hasOwn(servers, server)) return { file, entry: servers[server] };
  }
  return undefined;
}
