// Where a placeholder key may go: host patterns ("api.crm.example", "localhost:8443",
// "*.crm.example"). Pure: parsing, the one spelling we store, and matching a request's target.
//
// A pattern without a port allows the scheme's default port only (443 for HTTPS, 80 for plain
// HTTP); "*.x.y" allows every subdomain of x.y at any depth, never x.y itself. Names are
// compared in lower case, as DNS does; an IP address allows that literal address only (a name
// never matches its address, nor the reverse).

export interface HostPattern {
  /** Lower case; without the "*." of a wildcard. */
  host: string;
  port?: number;
  wildcard: boolean;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function validName(host: string): boolean {
  if (host.length > 253) return false;
  const labels = host.split('.');
  // A name whose last label is all digits would read as an (odd) IP address.
  return labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1] as string);
}

/** A pattern, or why it is not one (a phrase for "HOST is not a valid host: ..."). */
export function parseHostPattern(text: string): HostPattern | string {
  const s = text.trim().toLowerCase();
  if (s === '') return 'it is empty';
  if (/[/?#@\s]/.test(s) || s.includes('://')) return 'give a host name, optionally with :PORT, not a URL';
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(s) as RegExpExecArray;
  const name = m[1] as string;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return 'the port must be 1 to 65535';
  const wildcard = name.startsWith('*.');
  const host = wildcard ? name.slice(2) : name;
  if (IPV4.test(host)) {
    if (wildcard) return 'a wildcard goes with a name, not an IP address';
    return { host, wildcard, ...(port !== undefined ? { port } : {}) };
  }
  if (!validName(host)) return "use letters, digits, '-' and '.' (a leading '*.' for every subdomain)";
  if (wildcard && !host.includes('.')) return "a wildcard needs a domain of at least two labels ('*.example.com', not '*.com')";
  return { host, wildcard, ...(port !== undefined ? { port } : {}) };
}

/** The one spelling of a pattern (lower case, "*." and ":PORT" as given). */
export function formatHostPattern(p: HostPattern): string {
  return `${p.wildcard ? '*.' : ''}${p.host}${p.port !== undefined ? `:${p.port}` : ''}`;
}

/** Validated and in their one spelling, without duplicates; the first bad one throws via `fail`. */
export function normalizeHosts(list: readonly string[], fail: (host: string, why: string) => never): string[] {
  const out: string[] = [];
  for (const h of list) {
    const p = parseHostPattern(h);
    if (typeof p === 'string') fail(h, p);
    const s = formatHostPattern(p);
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

/**
 * Does `host:port` (a request's target, as the client named it) match a pattern? `defaultPort`
 * is the scheme's (443 or 80). A trailing dot ("example.com.") is the same name.
 */
export function hostMatches(pattern: HostPattern, host: string, port: number, defaultPort: number): boolean {
  if (port !== (pattern.port ?? defaultPort)) return false;
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!pattern.wildcard) return h === pattern.host;
  return h.length > pattern.host.length + 1 && h.endsWith(`.${pattern.host}`);
}

export function matchesAny(patterns: readonly string[], host: string, port: number, defaultPort: number): boolean {
  return patterns.some((s) => {
    const p = parseHostPattern(s);
    return typeof p !== 'string' && hostMatches(p, host, port, defaultPort);
  });
}

/**
 * Splits an authority ("host", "host:port", "[v6]:port") as a Host header or CONNECT target
 * carries it. Undefined when it is malformed.
 */
export function splitAuthority(authority: string, defaultPort: number): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(authority);
  if (!m) return undefined;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] as string).toLowerCase(), port };
}

/**
 * A host on this machine: "localhost", 127.0.0.0/8, [::1]. Only to these does a key go over
 * plain HTTP; to any other host only inside TLS (the network would see it otherwise).
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h === '[::1]' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
