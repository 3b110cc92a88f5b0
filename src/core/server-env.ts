import { defaultEnvName } from './names.js';

// Which environment variable an MCP server reads its key from. A wrong default quietly maps the
// key to a variable nobody reads, so the answer says how sure it is: evidence from the server's
// own config entry or its package is sure; a server merely *named* like a well-known one is a
// suggestion to confirm. Pure: the caller passes what the config says.

export interface KnownServer {
  /** What users call it ("GitHub"). */
  label: string;
  /** Words in a server name that suggest it (matched against whole words of the name). */
  names: readonly string[];
  /** Package or image names in command/args that identify it. */
  packages: readonly string[];
  /** The variable its documentation says it reads the key from. */
  env: string;
}

// Each entry is the variable the server's own README documents.
export const KNOWN_SERVERS: readonly KnownServer[] = [
  { label: 'GitHub', names: ['github'], packages: ['@modelcontextprotocol/server-github', 'github/github-mcp-server', 'github-mcp-server'], env: 'GITHUB_PERSONAL_ACCESS_TOKEN' },
  { label: 'GitLab', names: ['gitlab'], packages: ['@modelcontextprotocol/server-gitlab'], env: 'GITLAB_PERSONAL_ACCESS_TOKEN' },
  { label: 'Stripe', names: ['stripe'], packages: ['@stripe/mcp'], env: 'STRIPE_SECRET_KEY' },
  { label: 'Linear', names: ['linear'], packages: ['linear-mcp-server'], env: 'LINEAR_API_KEY' },
  { label: 'Slack', names: ['slack'], packages: ['@modelcontextprotocol/server-slack'], env: 'SLACK_BOT_TOKEN' },
  { label: 'Sentry', names: ['sentry'], packages: ['@sentry/mcp-server'], env: 'SENTRY_ACCESS_TOKEN' },
  { label: 'Notion', names: ['notion'], packages: ['@notionhq/notion-mcp-server'], env: 'NOTION_TOKEN' },
  { label: 'Brave Search', names: ['brave'], packages: ['@modelcontextprotocol/server-brave-search', '@brave/brave-search-mcp-server'], env: 'BRAVE_API_KEY' },
  { label: 'Google Maps', names: ['maps', 'googlemaps'], packages: ['@modelcontextprotocol/server-google-maps'], env: 'GOOGLE_MAPS_API_KEY' },
  { label: 'Supabase', names: ['supabase'], packages: ['@supabase/mcp-server-supabase'], env: 'SUPABASE_ACCESS_TOKEN' },
];

export interface ServerFacts {
  server: string;
  command?: string | undefined;
  args?: readonly string[] | undefined;
  /** Names (never values) already in the server's `env`. */
  envNames?: readonly string[] | undefined;
}

export interface EnvSuggestion {
  env: string;
  /** true: use it without asking; false: offer it as the default and ask. */
  sure: boolean;
  /** Why, for the note shown to the user. */
  why: string;
}

const SECRET_WORD = /(^|_)(KEY|TOKEN|SECRET|PASSWORD|PASS|PAT|AUTH|CREDENTIALS?)(_|$)/i;

/** The server's package, matched on whole path/name parts (`@stripe/mcp@latest` counts, `@stripe/mcp-x` not). */
function byPackage(facts: ServerFacts): KnownServer | undefined {
  const words = [facts.command ?? '', ...(facts.args ?? [])].map((w) => w.replace(/@[^/@]*$/, '').replace(/:[^/]*$/, ''));
  return KNOWN_SERVERS.find((k) => k.packages.some((p) => words.some((w) => w === p || w.endsWith(`/${p}`))));
}

function byName(server: string): KnownServer | undefined {
  const words = server
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return KNOWN_SERVERS.find((k) => k.names.some((n) => words.includes(n) || words.join('') === n));
}

/** `keyName` is the fallback: "github-token" -> "GITHUB_TOKEN". */
export function suggestEnv(facts: ServerFacts, keyName: string): EnvSuggestion {
  const existing = facts.envNames ?? [];
  const known = byPackage(facts);
  const named = known ?? byName(facts.server);
  if (named && existing.includes(named.env)) return { env: named.env, sure: true, why: `the ${named.label} server reads it and its config entry already names it` };
  const secretLooking = existing.filter((n) => SECRET_WORD.test(n));
  if (secretLooking.length === 1) return { env: secretLooking[0] as string, sure: true, why: "the only key-like variable in the server's config entry" };
  if (known) return { env: known.env, sure: true, why: `the variable the ${known.label} MCP server documents` };
  if (named) return { env: named.env, sure: false, why: `what the ${named.label} MCP server reads, if that is what ${JSON.stringify(facts.server)} runs` };
  if (secretLooking.length > 1) return { env: secretLooking[0] as string, sure: false, why: `one of ${secretLooking.join(', ')} in the server's config entry` };
  return { env: defaultEnvName(keyName), sure: false, why: 'from the key name' };
}
