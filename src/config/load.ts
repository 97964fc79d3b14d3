/**
 * Reading a config: YAML text → environment interpolation → schema validation → a frozen snapshot.
 *
 * Every failure is reported as a list of `path: message` lines (with the YAML line when known), so
 * `switchyard check` and a failed hot reload say exactly what to fix.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { ConfigSchema, UpstreamSchema, type Config, type UpstreamConfig } from './schema.js';

export interface ConfigProblem {
  /** `upstreams[2].mcp.url` */
  path: string;
  message: string;
  /** 1-based line in the YAML file, when the problem can be placed. */
  line?: number;
}

export class ConfigError extends Error {
  constructor(
    readonly problems: ConfigProblem[],
    readonly source?: string,
  ) {
    super(formatProblems(problems, source));
    this.name = 'ConfigError';
  }
}

export function formatProblems(problems: ConfigProblem[], source?: string): string {
  return problems
    .map((p) => {
      const where = source ? `${source}${p.line ? `:${p.line}` : ''}: ` : '';
      return `${where}${p.path || '(root)'}: ${p.message}`;
    })
    .join('\n');
}

type PathSegment = string | number;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Read, interpolate and validate a YAML config file. */
export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '', message: `cannot read file: ${(err as Error).message}` }], file);
  }
  return parseConfigText(text, env, file);
}

export function parseConfigText(text: string, env: NodeJS.ProcessEnv = process.env, source?: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        path: '',
        message: `YAML: ${e.message.split('\n')[0]}`,
        line: e.linePos?.[0]?.line,
      })),
      source,
    );
  }
  const lineOf = (path: PathSegment[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const raw = doc.toJS() ?? {};
  try {
    return validateConfig(raw, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new ConfigError(
        err.problems.map((p, i) => ({ ...p, line: lineOf(problemPaths.get(err)?.[i] ?? []) })),
        source,
      );
    }
    throw err;
  }
}

const problemPaths = new WeakMap<ConfigError, PathSegment[][]>();

/**
 * Validate an already-parsed config object (YAML, JSON or built in code), resolving `${VAR}`
 * references first. The result is deeply frozen: a snapshot is never edited, only replaced.
 */
export function validateConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): Config {
  const problems: ConfigProblem[] = [];
  const paths: PathSegment[][] = [];
  const interpolated = interpolate(raw, [], env, (path, message) => {
    problems.push({ path: formatPath(path), message });
    paths.push(path);
  });
  if (problems.length === 0) {
    const parsed = ConfigSchema.safeParse(interpolated);
    if (parsed.success) return deepFreeze(parsed.data);
    for (const issue of flattenIssues(parsed.error.issues)) {
      problems.push({ path: formatPath(issue.path as PathSegment[]), message: issue.message });
      paths.push(issue.path as PathSegment[]);
    }
  }
  const error = new ConfigError(problems);
  problemPaths.set(error, paths);
  throw error;
}

/**
 * Validate one `upstreams[]` entry on its own, as in a config file: the schema checked, the result
 * frozen. `${VAR}` references are resolved only when an environment is given; upstreams added at
 * runtime (the admin API, the store) get none, so a caller cannot read the gateway's environment.
 * Problems are thrown as a ConfigError naming each path.
 */
export function validateUpstream(raw: unknown, env?: NodeJS.ProcessEnv): UpstreamConfig {
  const problems: ConfigProblem[] = [];
  const resolved = env
    ? interpolate(raw, [], env, (path, message) => problems.push({ path: formatPath(path), message }))
    : raw;
  if (problems.length === 0) {
    const parsed = UpstreamSchema.safeParse(resolved);
    if (parsed.success) return deepFreeze(parsed.data);
    for (const issue of flattenIssues(parsed.error.issues)) {
      problems.push({ path: formatPath(issue.path as PathSegment[]), message: issue.message });
    }
  }
  throw new ConfigError(problems);
}

/**
 * Zod reports a failed union as one issue holding every branch's issues. The most useful report
 * is the branch that came closest (fewest issues): `{ url: "nope" }` is a bad URL, not a missing
 * `command`.
 */
function flattenIssues(issues: readonly z.core.$ZodIssue[]): { path: PropertyKey[]; message: string }[] {
  const out: { path: PropertyKey[]; message: string }[] = [];
  for (const issue of issues) {
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const ranked = [...issue.errors].sort((a, b) => a.length - b.length);
      const best = ranked[0]!;
      const tie = ranked.length > 1 && ranked[1]!.length === best.length;
      if (!tie && best.length > 0) {
        for (const sub of flattenIssues(best))
          out.push({ path: [...issue.path, ...sub.path], message: sub.message });
        continue;
      }
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...issue.path, key], message: 'unknown key' });
      continue;
    }
    out.push({ path: issue.path, message: issue.message });
  }
  return out;
}

const VAR = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replace `${VAR}` and `${VAR:-default}` in every string; `$${` is a literal `${`. */
function interpolate(
  value: unknown,
  path: PathSegment[],
  env: NodeJS.ProcessEnv,
  report: (path: PathSegment[], message: string) => void,
): unknown {
  if (typeof value === 'string') {
    return value.replace(VAR, (match, varName: string | undefined, dflt: string | undefined) => {
      if (match === '$${') return '${';
      const v = env[varName!];
      if (v !== undefined && v !== '') return v;
      if (dflt !== undefined) return dflt;
      report(path, `environment variable ${varName} is not set`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, [...path, i], env, report));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, [...path, k], env, report);
    return out;
  }
  return value;
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
