import { resolve } from 'node:path';
import { readConfigView, serversIn } from '../../claude/config-read.js';
import { projectKeyFor } from '../../claude/project-key.js';
import { KiError, UsageError } from '../../core/errors.js';
import { checkEnvName, checkKeyName, checkServerName } from '../../core/names.js';
import { suggestEnv } from '../../core/server-env.js';
import { registryFile } from '../../core/paths.js';
import { headerOwnerOf, ownerOf, withHeaderTargets, withHosts, withKey, withServerMode, withSource, type HeaderTarget, type Target } from '../../registry/registry.js';
import { parseHeaderSpec, parseMode, wrapAfterAdd, wrappedServers } from '../../wrap/add.js';
import { HTTP_TYPES } from '../../claude/config-servers.js';
import { loadRegistry, updateRegistry } from '../../registry/store.js';
import { addForSource, addToProject, HOST_HELP, hostsFromFlags, refuseStdinFor, sourceNeedsAdd, sourceOrKeyring, SOURCE_FLAGS, SOURCE_HELP, userSourceFromFlags } from '../add-source.js';
import { describeRef, sameRef } from '../../registry/source-ref.js';
import { bool, list, parseArgs, positionals, refuseStoredValues, str } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../context.js';
import { askLine, readSecret } from '../secret-input.js';
import { storedKeyringValues } from '../stored-values.js';
import { parseScope } from '../../claude/scope.js';
import { describeEnv, describeHeader, describeServer, type ServerAddress } from '../../claude/address.js';

export const add: Command = {
  name: 'add',
  example: 'keyring-inject add github --server github   # asks for the value (hidden); the env var is the one the server reads',
  help: `Usage: keyring-inject add NAME --server S [--server S2 ...] (--env VAR | --header 'NAME: TEMPLATE') [--mode inject|wrap] [--scope user|local] [--project PATH] [--source KIND [--id ID] [--meta K=V ...]] [--host HOST ...] [--stdin] [--json]

Stores a value in the OS keyring under NAME and records (without the value) that env var VAR
of MCP server S receives it. On a terminal the value is read from a hidden prompt; with
--stdin it is read from standard input (one trailing newline is removed). A value is never
accepted as an argument: arguments are visible in 'ps' and shell history.

If NAME is already stored, add only adds the new targets and asks for no value; with --stdin
the value piped in must be the stored one (use 'rotate' to change the value).
Without --env, add uses the variable the server reads when it can tell (a key-like variable in
the server's config entry, or the documented one of a well-known server such as GitHub's
GITHUB_PERSONAL_ACCESS_TOKEN) and says so; otherwise it asks on a terminal. A missing --server
is asked for on a terminal.

  --server S     MCP server name as in 'claude mcp list' (repeat for several servers)
  --env VAR      environment variable the server reads
  --header 'NAME: TEMPLATE'
                 for an http/sse server: the header that carries the key, e.g.
                 'Authorization: Bearer {value}' ({value} is where the key goes). Delivered by
                 Claude Code's headersHelper ('keyring-inject headers'), so always zero-disk
  --mode MODE    inject (default): written into the server's env in ~/.claude.json while a
                 session needs it; wrap: zero-disk, the server is wrapped ('keyring-inject wrap')
                 and reads the key from the keyring when it starts
  --scope SCOPE  user (top-level mcpServers, default) or local (projects[PATH].mcpServers)
  --project PATH with --scope local: the project whose local servers get the key (default: the
                 git root of the current directory). Without --scope: a team reference instead
                 (never a value) in PATH's .claude/secrets.json (the nearest one up to the git
                 top, else created there) for 'keyring-inject run' in that project;
                 --source keyring still puts the value into your keyring, under --id.
                 Without --server and --env (and not on a terminal, or Enter at the
                 prompt) the entry has no targets: 'run' gives it as the variable NAME
${SOURCE_HELP}
${HOST_HELP}
  --stdin        read the value from standard input
  --json         print the result as JSON`,

  async run(argv, ctx) {
    const p = parseArgs(argv, {
      server: { type: 'string', multiple: true },
      env: { type: 'string' },
      header: { type: 'string' },
      mode: { type: 'string' },
      scope: { type: 'string' },
      project: { type: 'string' },
      stdin: { type: 'boolean' },
      json: { type: 'boolean' },
      host: { type: 'string', multiple: true },
      ...SOURCE_FLAGS,
    });
    // Every argument here may end up in the registry: none may hold a stored value.
    refuseStoredValues(p, await storedKeyringValues(ctx));
    const [rawName] = positionals(p, ['NAME'], 'values are never taken from the command line (visible in ps and shell history); use the prompt or --stdin');
    const name = checkKeyName(rawName as string);
    const out = output(ctx);
    const hosts = hostsFromFlags(p);
    const interactive = ctx.stdin.isTTY === true && !bool(p, 'stdin');
    // --project without --scope: a reference in the project's .claude/secrets.json (see add-source.ts).
    if (str(p, 'project') !== undefined && str(p, 'scope') === undefined) return addToProject(p, name, ctx);
    const source = userSourceFromFlags(p, name, ctx.cwd);

    let scope = parseScope(str(p, 'scope'));
    if (str(p, 'project') !== undefined && scope !== 'local') throw new UsageError('--project goes with --scope local');
    let project = scope === 'local' ? projectKeyFor(resolve(ctx.cwd, str(p, 'project') ?? '.')) : undefined;

    const view = await readConfigView(ctx.paths.configFile).catch((err: Error) => {
      out.warn(err.message);
      return null; // unreadable: warned once here, not again as "missing"
    });
    const known = view ? serversIn(view, scope, project) : [];

    let servers = list(p, 'server');
    if (servers.length === 0) {
      if (!interactive) throw new UsageError('missing --server: name the MCP server that gets this key');
      const suggestion = known[0];
      const hint = known.length ? ` (${known.join(', ')})` : '';
      const answer = (await askLine(ctx, `MCP server${hint}${suggestion ? ` [${suggestion}]` : ''}: `)).trim() || suggestion;
      if (!answer) throw new UsageError('missing --server: name the MCP server that gets this key');
      servers = [answer];
    }
    servers.forEach(checkServerName);
    // 'claude mcp add' puts a server in the local scope of the current project by default: a
    // key for it must go there too, not to a user-scope server of the same name that does not exist.
    if (str(p, 'scope') === undefined && view) {
      const here = projectKeyFor(ctx.cwd);
      if (servers.every((s) => !view.userServers.includes(s) && view.localServers(here).includes(s))) {
        scope = 'local';
        project = here;
        out.note(`${servers.join(', ')}: a local-scope server of ${here}, so the key goes there (--scope user to choose the user scope)`);
      }
    }

    const headerSpec = str(p, 'header');
    if (headerSpec !== undefined && str(p, 'env') !== undefined) throw new UsageError('give either --env (stdio server) or --header (http server), not both');
    const mode = parseMode(str(p, 'mode'), headerSpec !== undefined);
    const header = headerSpec === undefined ? undefined : parseHeaderSpec(headerSpec);

    let envVar = str(p, 'env');
    if (envVar === undefined && header === undefined) {
      // The variable the server actually reads: from its config entry or its documentation.
      const first = servers[0] as string;
      const facts = view?.server(scope, project, first);
      const suggestion = suggestEnv({ server: first, ...facts }, name);
      if (suggestion.sure) {
        envVar = suggestion.env;
        out.note(`environment variable: ${envVar} (${suggestion.why}; --env to choose another)`);
      } else if (!interactive) {
        throw new UsageError(`missing --env: name the environment variable the server reads${suggestion.why === 'from the key name' ? '' : ` (perhaps ${suggestion.env}: ${suggestion.why})`}`);
      } else {
        envVar = (await askLine(ctx, `Environment variable ${first} reads [${suggestion.env}]: `)).trim() || suggestion.env;
      }
    }
    if (envVar !== undefined) checkEnvName(envVar);
    const modeField = mode === 'wrap' ? { mode } : {};
    const refs: ServerAddress[] = servers.map((server) => (scope === 'local' ? { server, scope, project: project as string } : { server, scope }));
    const targets: Target[] = envVar === undefined ? [] : refs.map((r) => ({ ...r, env: envVar, ...modeField }));
    const headerTargets: HeaderTarget[] = header === undefined ? [] : refs.map((r) => ({ ...r, ...header }));
    const file = registryFile(ctx.paths);

    // Refuse before asking for the value: one env var gets one key.
    const current = await loadRegistry(file);
    const before = current.keys[name];
    if (before && str(p, 'source') !== undefined && !sameRef(sourceOrKeyring(name, before.source), sourceOrKeyring(name, source))) {
      throw new KiError(
        'key-external',
        `key ${name} already takes its value from ${describeRef(sourceOrKeyring(name, before.source))}: run 'keyring-inject remove ${name}' first to change its source`,
      );
    }
    for (const t of targets) {
      const owner = ownerOf(current, t);
      if (owner && owner !== name) throw new KiError('key-conflict', `${describeEnv(t)} already receives key ${owner}: run 'keyring-inject remove ${owner}' or choose another --env`);
    }
    for (const t of headerTargets) {
      const owner = headerOwnerOf(current, t);
      if (owner && owner !== name) throw new KiError('key-conflict', `${describeHeader(t)} already receives key ${owner}: run 'keyring-inject remove ${owner}' or choose another --header`);
    }
    if (view === undefined) out.warn(`${ctx.paths.configFile} does not exist yet: run Claude Code once and add the MCP server with 'claude mcp add'; the key is stored anyway`);
    for (const t of refs) {
      if (view && !serversIn(view, t.scope, t.project).includes(t.server)) {
        out.warn(`MCP server ${JSON.stringify(t.server)} is not in ${ctx.paths.configFile} (${t.scope} scope) yet; add it with 'claude mcp add', the key is stored anyway`);
      }
      const type = view?.server(t.scope, t.project, t.server)?.type;
      if (envVar !== undefined && type !== undefined && HTTP_TYPES.has(type)) {
        out.warn(
          `MCP server ${JSON.stringify(t.server)} is an ${type} server: Claude Code gives it no environment, so ${envVar} reaches nothing; use --header 'Authorization: Bearer {value}' (or the header its docs name) instead`,
        );
      }
    }

    const alreadyWrapped = str(p, 'mode') === undefined && header === undefined ? await wrappedServers(ctx.paths.configFile, refs) : [];
    const backend = ctx.backend();
    const isNew = current.keys[name] === undefined;
    if (source && (isNew || (await sourceNeedsAdd(source)))) {
      // Another source holds the value: only the reference to record (and what that source needs: see addForSource).
      await addForSource(p, ctx, source, name);
    } else if (isNew) {
      const value = await readSecret(ctx, { fromStdin: bool(p, 'stdin'), label: `Value for ${name} (input hidden)` });
      await backend.set(name, value);
    } else if (bool(p, 'stdin')) {
      // add only adds targets to a stored key. A script that pipes the same value again is
      // fine; a different value is refused rather than silently dropped or swapped in.
      const ref = sourceOrKeyring(name, before?.source);
      if (ref.source !== 'keyring') refuseStdinFor(p, ref);
      const value = await readSecret(ctx, { fromStdin: true, label: '' });
      if ((await backend.get(ref.id)) !== value) {
        throw new KiError(
          'key-conflict',
          `key ${name} is already stored with a different value: nothing changed; 'keyring-inject rotate ${name}' replaces the value, then add the targets without --stdin`,
        );
      }
    }

    const record = await updateRegistry(file, (reg) => {
      for (const t of targets) {
        const owner = ownerOf(reg, t);
        if (owner && owner !== name) throw new KiError('key-conflict', `${describeEnv(t)} already receives key ${owner}`);
      }
      for (const t of headerTargets) {
        const owner = headerOwnerOf(reg, t);
        if (owner && owner !== name) throw new KiError('key-conflict', `${describeHeader(t)} already receives key ${owner}`);
      }
      let registry = withKey(reg, name, targets, backend.id, ctx.now());
      if (isNew && source) registry = withSource(registry, name, source);
      if (headerTargets.length > 0) registry = withHeaderTargets(registry, name, headerTargets);
      registry = withHosts(registry, name, hosts);
      // A server that is wrapped already reads all its keys at spawn: new targets follow it.
      for (const r of alreadyWrapped) registry = withServerMode(registry, r, 'wrap');
      return { registry, result: registry.keys[name] };
    });

    const wrapped = mode === 'wrap' ? await wrapAfterAdd(ctx, refs, out.warn) : [];

    if (bool(p, 'json')) {
      const src = sourceOrKeyring(name, record?.source);
      out.json({
        name,
        stored: isNew && !source,
        backend: backend.id,
        targets: record?.targets ?? [],
        headers: record?.headers ?? [],
        mode,
        wrapped,
        source: { source: src.source, id: src.id, ...(src.metadata ? { metadata: src.metadata } : {}) },
        hosts: record?.hosts ?? [],
      });
    } else {
      if (isNew && source) out.line(`added ${name}: its value is read from ${describeRef(source)} whenever it is needed (keyring-inject stores no copy)`);
      else out.line(isNew ? `stored ${name} in the ${backend.label}` : `${name} was already stored; targets updated`);
      for (const t of record?.targets ?? []) out.line(`  -> ${describeEnv(t)}${t.mode === 'wrap' ? '  [wrap]' : ''}`);
      for (const t of record?.headers ?? []) out.line(`  -> ${describeHeader(t)}  [headersHelper]`);
      if (record?.hosts?.length) out.line(`  placeholder key: 'keyring-inject run' gives its command a placeholder; the value goes only into HTTP(S) requests to ${record.hosts.join(', ')}`);
      for (const w of wrapped) out.line(`wrapped: ${w} (zero-disk)`);
      for (const r of alreadyWrapped) out.line(`${describeServer(r)} is wrapped: the key is read at spawn (zero-disk)`);
    }
    return 0;
  },
};
