/**
 * What an upstream added at runtime (through the admin API, or read back from the store) may do.
 * A config file is written by whoever runs the gateway; an admin request can come from anything
 * holding the admin credential, so it gets less: no command to run unless
 * `admin.allowStdioUpstreams`, no `${VAR}` or `inheritEnv` from the gateway's environment, and no secret files
 * outside `admin.allowedFileDirs`.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { isStdio, type Config, type UpstreamConfig } from '../config/schema.js';
import { GatewayError } from '../errors/index.js';

/** Throws SWY_ADMIN_STDIO_REFUSED or SWY_ADMIN_BAD_REQUEST naming the offending path. */
export function checkRuntimeUpstream(raw: unknown, spec: UpstreamConfig, admin: Config['admin']): void {
  const reference = findVariable(raw, []);
  if (reference) {
    throw new GatewayError('SWY_ADMIN_BAD_REQUEST', {
      detail:
        `${reference}: \${VAR} references are not expanded in upstreams added at runtime; put the ` +
        'secret in a file under admin.allowedFileDirs (headerFiles), or define the upstream in the config file',
    });
  }
  if (isStdio(spec.mcp)) {
    if (!admin.allowStdioUpstreams)
      throw new GatewayError('SWY_ADMIN_STDIO_REFUSED', { upstream: spec.name });
    // Like ${VAR}: the gateway's environment is the operator's, not the admin API's to hand out.
    if (spec.mcp.inheritEnv.length > 0)
      throw new GatewayError('SWY_ADMIN_BAD_REQUEST', {
        detail:
          'mcp.inheritEnv: not allowed in upstreams added at runtime; set mcp.env, or define the upstream in the config file',
      });
    return;
  }
  const files: [string, string][] = Object.entries(spec.mcp.headerFiles).map(([h, f]) => [
    `mcp.headerFiles.${h}`,
    f,
  ]);
  const oauth = spec.mcp.oauth;
  if (oauth?.clientSecretFile) files.push(['mcp.oauth.clientSecretFile', oauth.clientSecretFile]);
  if (oauth?.subjectTokenFile) files.push(['mcp.oauth.subjectTokenFile', oauth.subjectTokenFile]);
  for (const [path, file] of files) {
    if (!insideAllowed(file, admin.allowedFileDirs)) {
      throw new GatewayError('SWY_ADMIN_BAD_REQUEST', {
        detail: `${path}: ${file} is not inside a folder of admin.allowedFileDirs`,
      });
    }
  }
}

/** The first string in `value` that holds a `${VAR}` reference, by path. */
function findVariable(value: unknown, path: (string | number)[]): string | undefined {
  const stack: [unknown, (string | number)[]][] = [[value, path]];
  while (stack.length > 0) {
    const [v, p] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('${')) return p.join('.') || '(value)';
    } else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) stack.push([child, [...p, k]]);
    }
  }
  return undefined;
}

/** Is `file` (symlinks resolved) inside one of `dirs`? */
function insideAllowed(file: string, dirs: readonly string[]): boolean {
  const real = realOrResolved(file);
  return dirs.some((dir) => {
    const rel = relative(realOrResolved(dir), real);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  });
}

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
