// undici's EnvHttpProxyAgent, bundled on its own (dist/undici.js, scripts/build.mjs): the fetch
// preload loads it at a process's first request only, so a Node process that fetches nothing
// does not parse it.
export { EnvHttpProxyAgent } from 'undici';
