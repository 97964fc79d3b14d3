// Preload for running @modelcontextprotocol/conformance on Node 20:
//   node --import ./scripts/conformance/node20-shim.mjs node_modules/@modelcontextprotocol/conformance/dist/index.js …
// The suite's bundle imports `globSync` from 'fs', which only exists from Node 22 on, so on Node 20 it
// fails to load. We register a resolve hook that hands the suite (and only the suite) an `fs` with a
// small globSync added. On a Node that has fs.globSync this file does nothing.
import fs from 'node:fs';
import { register } from 'node:module';

if (typeof fs.globSync !== 'function') {
  register('./hooks.mjs', import.meta.url);
}
