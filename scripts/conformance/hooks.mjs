// Module resolve hook registered by node20-shim.mjs. It redirects `fs` / `node:fs` imports made from
// inside @modelcontextprotocol/conformance to fs-with-glob.mjs; every other importer gets the real fs.
const FS_WITH_GLOB_URL = new URL('./fs-with-glob.mjs', import.meta.url).href;
const CONFORMANCE_DIR = '/node_modules/@modelcontextprotocol/conformance/';

function isConformanceModule(parentURL) {
  if (!parentURL) return false;
  // Normalise Windows separators and percent-encoding ('@' may appear as %40) before comparing.
  const url = decodeURIComponent(parentURL).replace(/\\/g, '/');
  return url.includes(CONFORMANCE_DIR);
}

export async function resolve(specifier, context, nextResolve) {
  if ((specifier === 'fs' || specifier === 'node:fs') && isConformanceModule(context.parentURL)) {
    return { url: FS_WITH_GLOB_URL, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
