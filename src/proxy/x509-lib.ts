// @peculiar/x509 with the reflect-metadata polyfill it needs loaded first. Bundled on its own
// (dist/x509.js, scripts/build.mjs): only `run` with placeholder keys loads it, so the other
// commands do not parse it.
import 'reflect-metadata';

export * from '@peculiar/x509';
