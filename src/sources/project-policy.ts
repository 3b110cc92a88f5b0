// What a project's `.claude/secrets.json` may not ask for, whatever the user approves: it comes
// with a repository, i.e. from other people. Pure.
//
// 1. Variables that make a program load code or look elsewhere for it (loaders, interpreters,
//    shells, paths, proxies and CA bundles, our own and Claude Code's settings). Fed from an env
//    file in the repository, `NODE_OPTIONS=--require ./x.js` runs the repository's code inside
//    whatever `keyring-inject run` starts, with your keys in its environment.
// 2. Keyring items that hold a key of the user's own registry: an entry under a new name with
//    `"source": "keyring", "id": "<your key>"` would copy your key into a variable the repository
//    picks. A name clash is already settled (your registry wins); this closes the same hole by id.
import type { Registry } from '../registry/registry.js';

// biome-ignore format: a word list, kept as a block
const EXACT = new Set([
  'PATH', 'BASH_ENV', 'ENV', 'SHELL', 'SHELLOPTS', 'BASHOPTS', 'PS4', 'PROMPT_COMMAND', 'IFS', 'CDPATH', 'GLOBIGNORE',
  'HOME', 'ZDOTDIR', 'TMPDIR', 'TMP', 'TEMP', 'CLASSPATH', 'EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'BROWSER', 'LESSOPEN',
  'LESSCLOSE', 'GCONV_PATH', 'LOCPATH', 'NLSPATH', 'GLIBC_TUNABLES', 'HOSTALIASES', 'RES_OPTIONS', 'LOCALDOMAIN',
  'SSL_CERT_FILE', 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY',
  'NO_PROXY', 'FTP_PROXY', 'DBUS_SESSION_BUS_ADDRESS', 'SSH_AUTH_SOCK', 'SSH_ASKPASS', 'GNUPGHOME', 'PHPRC',
  'PHP_INI_SCAN_DIR', 'GOFLAGS', 'GOPATH', 'GOROOT', 'GOENV', 'GOPROXY', 'RUSTC_WRAPPER', 'RUSTFLAGS', 'CC', 'CXX',
  'LD', 'MAKEFLAGS', 'TERMINFO', 'CLAUDECODE', 'ANTHROPIC_BASE_URL', 'R_PROFILE', 'R_PROFILE_USER', 'R_LIBS', 'R_LIBS_USER',
]);
// biome-ignore format: a word list, kept as a block
const PREFIXES = [
  'LD_', 'DYLD_', 'PYTHON', 'NODE_', 'NPM_CONFIG_', 'YARN_', 'GIT_', 'PERL', 'RUBY', 'GEM_', 'BUNDLE_', 'JAVA_', '_JAVA_',
  'JDK_', 'DENO_', 'BUN_', 'DOTNET_', 'COR_', 'CORECLR_', 'LUA_', 'MALLOC_', 'CLAUDE_', 'KEYRING_INJECT_', 'XDG_', 'BASH_FUNC_',
];
/** Ordinary secrets that happen to share a prefix above. */
const ALLOWED = new Set(['NODE_AUTH_TOKEN']);

/** Why a project file may not set environment variable `name`, or undefined. Case-insensitive: `http_proxy` counts too. */
export function refusedVariable(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (ALLOWED.has(upper)) return undefined;
  if (EXACT.has(upper) || PREFIXES.some((p) => upper.startsWith(p))) {
    return `${name} makes programs load code, or look for code, settings or servers elsewhere (a loader, interpreter, shell, path or proxy variable): a project file may not set it, refused (map the key to another variable)`;
  }
  return undefined;
}

/** The keyring items that hold keys of the user's registry: a key's own name, or the id its keyring reference names. */
export function userKeyringItems(reg: Registry): Set<string> {
  const items = new Set<string>();
  for (const [name, rec] of Object.entries(reg.keys)) {
    if (!rec.source) items.add(name);
    else if (rec.source.source === 'keyring') items.add(rec.source.id);
  }
  return items;
}
