// What a project's `.claude/secrets.json` may not ask for, whatever the user approves: it comes
// with a repository, i.e. from other people. Pure.
//
// 1. Variables that make a program load code or look elsewhere for it (loaders, interpreters,
//    shells, paths, proxies and CA bundles, our own and Claude Code's settings). Fed from an env
//    file in the repository, `NODE_OPTIONS=--require ./x.js` runs the repository's code inside
//    whatever `keyring-inject run` starts, with your keys in its environment.
//    And whole configuration families by shape (FAMILIES below): CURL_HOME with a repository
//    `.curlrc` makes `curl` post your keys where the repository says.
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
/**
 * Configuration families by shape: a program that finds one reads a file, a command, a server or
 * options from where the variable points (CURL_HOME, WGETRC, OPENSSL_CONF, KUBECONFIG,
 * AWS_CONFIG_FILE, GRADLE_OPTS, RSYNC_RSH, PIP_INDEX_URL, SSLKEYLOGFILE, VIMINIT, CARGO_HOME...).
 * A list of names always misses one; a project file names secrets, not configuration.
 */
// biome-ignore format: one family a line
const FAMILIES: readonly RegExp[] = [
  /(?:^|_)HOME$/, /CONFIG/, /(?:^|_)CONF$/, /CNF$/, /RC$/, /OPTS$/, /OPTIONS$/, /FLAGS$/, /PROXY/, /(?:^|_)CA(?:_|$)/,
  /CA_?(?:BUNDLE|FILE|PATH|CERT)/, /_CERTS?_(?:FILE|DIR|PATH)$/, /PATH$/, /(?:^|_)DIR$/, /(?:^|_)(?:RSH|SSH)$/,
  /_(?:CMD|COMMAND|EXEC|EXECUTABLE|HELPER|PROGRAM|PLUGINS?|HOOKS?|WRAPPER|PRELOAD|LOADER|INIT|RC_?FILE)$/, /INIT$/,
  /KEYLOG/, /LOGFILE$/, /(?:^|_)INDEX(?:_URL)?$/, /(?:^|_)EXTRA_INDEX/, /(?:^|_)REGISTRY$/, /MIRROR/,
  /^(?:PIP|CARGO|RUSTUP|GRADLE|MAVEN|KUBE|DOCKER|TF_CLI|OPENSSL|SSL|WGET|CURL|AWS_CONFIG|HELM|ANSIBLE|VAGRANT|CONDA|POETRY|PIPENV|UV|NIX|VIM|EX|EMACS|TERRAFORM|PACKER|SBT|LEIN|COMPOSER|MIX|HEX)_/,
];
/** A name that plainly holds a secret (no program reads settings from DOCKER_PASSWORD or CURL_API_TOKEN): FAMILIES do not apply. */
const SECRET_NAME = /(?:^|_)(?:TOKEN|KEY|SECRET|PASSWORD|PASSWD|PASS|PWD|PASSPHRASE|DSN|PAT|SK)$/;
/** Ordinary secrets that happen to share a prefix above. */
const ALLOWED = new Set(['NODE_AUTH_TOKEN']);

/**
 * Whether `name` is plainly a secret's name (`*_TOKEN`, `*_KEY`, `*_SECRET`, `*_PASSWORD`...).
 * `allow` shows any other name prominently: a `*_URL` or a tool's own variable can point a program
 * at another server or file, and only the user can judge it.
 */
export function plainlySecretName(name: string): boolean {
  const upper = name.toUpperCase();
  return ALLOWED.has(upper) || SECRET_NAME.test(upper);
}

/** Why a project file may not set environment variable `name`, or undefined. Case-insensitive: `http_proxy` counts too. */
export function refusedVariable(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (ALLOWED.has(upper)) return undefined;
  if (EXACT.has(upper) || PREFIXES.some((p) => upper.startsWith(p))) {
    return `${name} makes programs load code, or look for code, settings or servers elsewhere (a loader, interpreter, shell, path or proxy variable): a project file may not set it, refused (map the key to another variable)`;
  }
  if (!SECRET_NAME.test(upper) && FAMILIES.some((re) => re.test(upper))) {
    return `${name} has the shape of a configuration variable (a *_HOME, *CONFIG*, *RC, *_OPTS, *PROXY*, *_PATH, tool-settings name...): programs read settings, commands or servers from where it points, so a project file may not set it, refused (a project file names secrets: map the key to a variable named like one, e.g. MYTOOL_API_KEY)`;
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
