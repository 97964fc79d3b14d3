/**
 * Generated admin API requests for the fuzz tests (routes: src/http/admin.ts): valid-shaped and
 * mutated bodies for upstreams, keys, policies, catalog entries and catalog imports (Hugging Face
 * cards, ModelPack configs and MOT files, also with 1,000–100,000 levels of nesting in their JSON
 * or YAML), approvals, DELETEs of odd names with broken percent escapes, GETs with odd queries;
 * most with the admin token, some without it or with a wrong one, some as text/plain.
 *
 * Safe to run: an upstream spec only ever points at 127.0.0.1 port 1 (nothing listens there) or,
 * for stdio, at a command under /nonexistent/ (spawning fails); `assertSafeAdminBody` checks every
 * body that could start an upstream before it is sent, whatever the mutations did.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertLoopbackOnly } from './a2a-fuzz.js';
import {
  anyValue,
  badUtf8,
  deepLevels,
  deepMark,
  mutateValue,
  nestedJson,
  oddString,
  segment,
  toJson,
  truncate,
  undecodable,
  type Gen,
} from './fuzz.js';
import type { Answer, HttpInput } from './http-fuzz.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The only command a generated stdio upstream may name: it does not exist, so nothing runs. */
export const NO_COMMAND = '/nonexistent/swy-fuzz-no-such-command';

/** A body that could add an upstream must not run anything nor reach beyond loopback. */
export function assertSafeAdminBody(path: string, body: string | Buffer | undefined): void {
  if (body === undefined || !/^\/admin\/+upstreams/.test(path)) return;
  const text = typeof body === 'string' ? body : body.toString('latin1');
  assertLoopbackOnly(text);
  for (const m of text.matchAll(/"command"\s*:\s*"((?:[^"\\]|\\.)*)"/g))
    if (m[1] !== NO_COMMAND) throw new Error(`fuzz input would run a command: ${m[1]!.slice(0, 80)}`);
  // A file read into a header or a secret: only files that do not exist.
  for (const m of text.matchAll(/"(?:clientSecretFile|subjectTokenFile)"\s*:\s*"((?:[^"\\]|\\.)*)"/g))
    if (!m[1]!.startsWith('/nonexistent/')) throw new Error(`fuzz input would read a file: ${m[1]}`);
  if (/"headerFiles"\s*:\s*\{\s*"/.test(text) && !/"headerFiles"\s*:\s*\{[^}]*"\/nonexistent\//.test(text))
    throw new Error('fuzz input would read a header file');
}

const CATALOG = fileURLToPath(new URL('./catalog/', import.meta.url));
const read = (path: string) => readFileSync(`${CATALOG}${path}`, 'utf8');
const CARDS = [
  'deepseek-r1',
  'fineweb',
  'llama-3.1-8b-instruct',
  'openmdw-model',
  'qwen2.5-72b-instruct',
].map((d) => read(`${d}/README.md`));
const MOT = [read('mot-deepseek-r1.yml'), read('mot-open-science.yml')];
const MODELPACK = read('modelpack-config.json');

const UPSTREAMS = Array.from({ length: 12 }, (_, i) => `fz-${i}`);
const POLICIES = Array.from({ length: 10 }, (_, i) => `pol-${i}`);
const ENTRIES = [
  ...Array.from({ length: 8 }, (_, i) => `fuzz-org/model-${i}`),
  ...Array.from({ length: 4 }, (_, i) => `fuzz-org/data-${i}`),
];
const LICENSES = [
  'MIT',
  'Apache-2.0',
  'MIT OR Apache-2.0',
  'GPL-3.0-only WITH Classpath-exception-2.0',
  'LicenseRef-Fuzz-1',
  'CC-BY-NC-4.0',
  '(MIT',
  'NOT-A-LICENSE',
];

export class AdminFuzz {
  private readonly keys: string[] = [];
  private deep = 0;

  constructor(
    private readonly g: Gen,
    private readonly token: string,
  ) {}

  /** Remember key ids from answers, to revoke them later. */
  learn(input: HttpInput, answer: Answer): void {
    if (answer.status !== 201 || !input.path.startsWith('/admin/keys')) return;
    const id = /"id"\s*:\s*"([0-9a-f]{16})"/.exec(answer.body)?.[1];
    if (id) {
      this.keys.push(id);
      if (this.keys.length > 64) this.keys.shift();
    }
  }

  // ---- valid-shaped bodies ------------------------------------------------------------------------

  private upstream(): Json {
    const g = this.g;
    const spec: Json = { name: g.pick(UPSTREAMS) };
    const r = g.rand();
    if (r < 0.55) spec.mcp = { url: `http://127.0.0.1:1/${g.pick(['mcp', 'sse', ''])}` };
    else if (r < 0.7)
      spec.mcp = { url: 'http://127.0.0.1:1/mcp', transport: g.pick(['streamable-http', 'sse']) };
    else if (r < 0.8) spec.mcp = { command: NO_COMMAND, args: ['--stdio'], env: { A: 'b' } };
    else if (r < 0.9)
      spec.mcp = {
        url: 'http://127.0.0.1:1/mcp',
        oauth: {
          grant: 'client_credentials',
          tokenUrl: 'http://127.0.0.1:1/token',
          clientId: 'c',
          clientSecret: 's',
        },
      };
    else spec.a2a = { url: 'http://127.0.0.1:1', headers: { 'x-api-key': 'k' } };
    if (spec.mcp?.url && g.rand() < 0.2) spec.mcp.headers = { authorization: 'Bearer ${FUZZ_NO_SUCH_VAR}' };
    if (g.rand() < 0.3) spec.prefix = g.pick(['always', 'conditional', 'never']);
    if (g.rand() < 0.2) spec.pinning = g.pick(['pin', 'warn', 'off']);
    if (g.rand() < 0.5) spec.startTimeoutMs = 200 + g.int(1000);
    if (g.rand() < 0.3) spec.restart = { initialDelayMs: 500 + g.int(2000), maxDelayMs: 30_000 };
    if (g.rand() < 0.2) spec.healthCheck = { intervalMs: 0 };
    if (g.rand() < 0.1) spec.enabled = false;
    if (g.rand() < 0.2) spec.artifacts = [g.pick(ENTRIES)];
    return spec;
  }

  private key(): Json {
    const g = this.g;
    const k: Json = { principal: g.pick(['alice', 'bob', 'svc-1', 'ops']) };
    if (g.rand() < 0.5) k.groups = g.pick([['ops'], ['dev', 'ops'], []]);
    if (g.rand() < 0.3) k.expiresAt = g.pick(['2099-01-01T00:00:00Z', 4102444800000, '2000-01-01', null]);
    return k;
  }

  private policy(): Json {
    const g = this.g;
    const p: Json = {
      name: g.pick(POLICIES),
      effect: g.pick(['allow', 'deny']),
      principals: g.pick([['*'], ['alice'], ['group:ops'], ['alice', 'group:dev']]),
    };
    for (const k of ['upstreams', 'tools', 'prompts', 'resources', 'agents', 'skills'])
      if (g.rand() < 0.2) p[k] = [g.pick(['fixture', 'fixture.*', '*', 'fz-?', 'fixture.echo'])];
    return p;
  }

  private entry(): Json {
    const g = this.g;
    const e: Json = {
      name: g.pick(ENTRIES),
      kind: g.pick(['model', 'dataset', 'weights', 'code', 'document']),
      license: { declared: g.pick(LICENSES) },
    };
    if (g.rand() < 0.5) e.version = '1.0';
    if (g.rand() < 0.3) e.supplier = 'fuzz-org';
    if (g.rand() < 0.2) e.downloadLocation = 'https://127.0.0.1:1/download';
    if (g.rand() < 0.2) e.releaseTime = g.pick(['2025-07-01T00:00:00Z', '2025-07-01']);
    if (g.rand() < 0.2) e.relationships = { trainedOn: [g.pick(ENTRIES)], baseModel: [] };
    if (g.rand() < 0.1) e.files = [{ path: 'model.safetensors', sha256: 'a'.repeat(64), size: 1 }];
    if (g.rand() < 0.1) e.datasetType = ['text'];
    if (e.license.declared.startsWith('LicenseRef-') && g.rand() < 0.5)
      e.license.refs = { 'LicenseRef-Fuzz-1': { name: 'Fuzz licence', url: 'https://127.0.0.1:1/l' } };
    return e;
  }

  /** A catalog import: query and the file as the body. */
  private importRequest(): [string, string] {
    const g = this.g;
    const q = new URLSearchParams();
    const format = g.pick(['huggingface', 'huggingface', 'modelpack', 'mot', 'bogus', '']);
    if (format) q.set('format', format);
    if (format !== 'mot' || g.rand() < 0.3) q.set('name', g.pick(ENTRIES));
    if (format === 'huggingface' && g.rand() < 0.4) q.set('kind', g.pick(['model', 'dataset', 'bogus']));
    if (format === 'huggingface' && g.rand() < 0.2) q.set('revision', g.pick(['a'.repeat(40), 'main']));
    const body = format === 'modelpack' ? MODELPACK : format === 'mot' ? g.pick(MOT) : g.pick(CARDS);
    return [`/admin/catalog/import?${q}`, body];
  }

  // ---- the inputs -------------------------------------------------------------------------------

  /** One admin request, valid or mutated. */
  next(): HttpInput {
    const g = this.g;
    const input = this.route();
    const body = input.body;
    const r = g.rand();
    if (typeof body === 'string') {
      if (r < 0.5) this.mutateBody(input, body);
      else if (r < 0.55) this.pathMutation(input);
    } else if (r < 0.2) this.pathMutation(input);
    // Checked whatever the mutations did (a cut body was checked whole: cut, it is not JSON).
    assertSafeAdminBody(input.path, input.kind === 'truncated' ? undefined : input.body);
    if (g.rand() < 0.15) this.headerMutation(input);
    else if (input.kind === 'valid' && undecodable(input.path)) input.kind = 'bad-escape';
    return input;
  }

  private route(): HttpInput {
    const g = this.g;
    const json = { 'content-type': 'application/json', authorization: `Bearer ${this.token}` };
    const auth = { authorization: `Bearer ${this.token}` };
    const post = (path: string, body: unknown, label: string): HttpInput => ({
      method: 'POST',
      path,
      headers: json,
      body: toJson(body),
      kind: 'valid',
      label,
    });
    const r = g.int(100);
    if (r < 16) return post('/admin/upstreams', this.upstream(), 'POST /admin/upstreams');
    if (r < 20) return post('/admin/keys', this.key(), 'POST /admin/keys');
    if (r < 32) return post('/admin/policies', this.policy(), 'POST /admin/policies');
    if (r < 44) {
      // One entry, or several at once (all or nothing).
      const body = g.rand() < 0.7 ? this.entry() : Array.from({ length: 2 + g.int(3) }, () => this.entry());
      return post('/admin/catalog', body, 'POST /admin/catalog');
    }
    if (r < 54) {
      const [path, body] = this.importRequest();
      return {
        method: 'POST',
        path,
        headers: { ...auth, 'content-type': 'text/plain' },
        body,
        kind: 'valid',
        label: 'POST /admin/catalog/import',
      };
    }
    if (r < 57) {
      const path = `/admin/pins/${segment(g, ['fixture', 'fz-1'])}/${segment(g, ['echo', 'add', 'nope'])}/approve`;
      return { method: 'POST', path, headers: auth, kind: 'valid', label: 'POST /admin/pins/…/approve' };
    }
    if (r < 70) {
      const [what, names] = g.pick([
        ['upstreams', [...UPSTREAMS, 'fixture']],
        ['keys', this.keys.length ? this.keys : ['0123456789abcdef']],
        ['policies', POLICIES],
        ['catalog', ENTRIES],
      ] as const);
      return {
        method: 'DELETE',
        path: `/admin/${what}/${segment(g, names)}`,
        headers: auth,
        kind: 'valid',
        label: `DELETE /admin/${what}/…`,
      };
    }
    if (r < 94) {
      const path = g.pick([
        '/admin/upstreams',
        '/admin/tools',
        '/admin/catalog',
        '/admin/catalog/check',
        `/admin/catalog/${segment(g, ENTRIES)}`,
        `/admin/bom?format=${g.pick(['cyclonedx', 'spdx', 'bogus', ''])}${g.rand() < 0.3 ? `&upstream=${segment(g, ['fixture', 'nope'])}` : ''}`,
        '/admin/pins',
        '/admin/policies',
        `/admin/policies/explain?principal=${segment(g, ['alice', 'bob'])}&group=ops&${g.pick(['tool', 'prompt', 'resource', 'agent', 'skill', 'nope'])}=${segment(g, ['fixture.echo', 'fixture', '*'])}`,
        `/admin/policies/explain?${segment(g, ['principal=alice'])}`,
        g.rand() < 0.1 ? '/admin/keys' : '/admin/upstreams',
        `/admin/keys?${g.pick(['limit', 'after', 'principal'])}=${segment(g, ['2', '1000', '0', '1.0123456789abcdef', 'alice'])}`,
      ]);
      return {
        method: 'GET',
        path,
        headers: auth,
        kind: 'valid',
        label: `GET /admin/${path.split(/[/?]/)[2]}`,
      };
    }
    const path = g.pick([
      '/admin',
      '/admin/',
      '/admin/nope',
      '/admin/upstreams/a/b',
      '/admin/keys/x/y',
      '/admin//upstreams',
      '/admin/catalog/import',
    ]);
    return {
      method: g.pick(['GET', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS']),
      path,
      headers: json,
      kind: 'route',
      label: 'odd route',
    };
  }

  private mutateBody(input: HttpInput, body: string): void {
    const g = this.g;
    const imported = input.path.startsWith('/admin/catalog/import');
    const r = g.rand();
    if (r < 0.04) {
      input.kind = 'deep';
      const n = deepLevels(g, this.deep++);
      if (imported && !input.path.includes('format=modelpack')) {
        // YAML: flow collections nested n deep, in the front matter of a card or in a MOT file.
        const nested = g.pick(['array', 'object', 'mixed'] as const);
        const flow = nested === 'array' ? nestedJson(n, 'array') : nestedJson(n, 'object');
        input.body = body.startsWith('---')
          ? body.replace(/^---\n/, `---\nextra: ${flow}\n`)
          : `${body}\nextra: ${flow}\n`;
      } else {
        const parsed = JSON.parse(body) as Json | Json[];
        const target = Array.isArray(parsed) ? parsed[0]! : parsed;
        const mark = deepMark(n, g.pick(['array', 'object', 'mixed'] as const));
        const key = g.pick(Object.keys(target).length ? Object.keys(target) : ['x']);
        if (g.rand() < 0.5) target[key] = mark;
        else target.extra = mark;
        input.body = toJson(parsed);
      }
    } else if (r < 0.6 && !imported) {
      const parsed = JSON.parse(body) as Json;
      input.kind = mutateValue(g, parsed);
      input.body = toJson(parsed);
    } else if (r < 0.6) {
      input.kind = 'unicode';
      const at = g.int(body.length);
      input.body = body.slice(0, at) + oddString(g) + body.slice(at);
    } else if (r < 0.75) {
      input.kind = 'truncated';
      assertSafeAdminBody(input.path, body);
      input.body = truncate(g, body);
    } else if (r < 0.82) {
      input.kind = 'not-an-object';
      input.body = toJson(anyValue(g));
    } else if (r < 0.88) {
      input.kind = 'bad-utf8';
      input.body = badUtf8(g, body);
    } else {
      input.kind = 'content-type';
      input.headers = { ...input.headers };
      if (g.rand() < 0.3) delete input.headers['content-type'];
      else
        input.headers['content-type'] = g.pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=utf-16',
          'application/yaml',
        ]);
    }
    // A mutation that would make an upstream run a command or reach out is not sent (a cut body
    // cannot: it is not JSON).
    if (input.kind !== 'truncated' && !safe(input.path, input.body)) {
      input.body = body;
      input.kind = 'valid';
    }
  }

  /** Odd names and broken percent escapes in the path, odd queries. */
  private pathMutation(input: HttpInput): void {
    const g = this.g;
    const parts = input.path.split('?')[0]!.split('/');
    if (parts.length > 3 && g.rand() < 0.7) {
      const i = 3 + g.int(parts.length - 3);
      parts[i] = segment(g, [decodeSafe(parts[i]!), 'x']);
      input.path = parts.join('/');
    } else {
      input.path = `${input.path}${input.path.includes('?') ? '&' : '?'}${segment(g, ['format'])}=${segment(g, ['x'])}`;
    }
    input.kind = undecodable(input.path) ? 'bad-escape' : 'path';
  }

  /** No token, a wrong one, a malformed Authorization header. */
  private headerMutation(input: HttpInput): void {
    const g = this.g;
    input.headers = { ...input.headers };
    input.kind = 'credentials';
    const wrong = g.pick([
      undefined,
      'Bearer wrong-token-0123456789',
      'Bearer ',
      'Bearer',
      `bearer ${this.token}`,
      `Bearer ${this.token}x`,
      `Bearer ${this.token} extra`,
      `Basic ${Buffer.from(`admin:${this.token}`).toString('base64')}`,
      this.token,
      `Bearer swy_0123456789abcdef_${'A'.repeat(43)}`,
    ]);
    if (wrong === undefined) delete input.headers.authorization;
    else input.headers.authorization = wrong;
  }
}

function safe(path: string, body: string | Buffer | undefined): boolean {
  try {
    assertSafeAdminBody(path, body);
    return true;
  } catch {
    return false;
  }
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
