/**
 * Generated JSON-RPC messages for the fuzz test: valid MCP messages, mutated ones (wrong types,
 * missing fields, odd ids, deep nesting, odd Unicode) and truncated ones, from a seeded PRNG so a
 * failure can be replayed.
 */

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Gen {
  rand: () => number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
}

export function gen(seed: number): Gen {
  const rand = prng(seed);
  return {
    rand,
    int: (n) => Math.floor(rand() * n),
    pick: (xs) => xs[Math.floor(rand() * xs.length)]!,
  };
}

const STRINGS = [
  '',
  'a',
  'local.echo',
  'local.whoami',
  'nope',
  '\u0000',
  '\ud800',
  'ｅｃｈｏ',
  '🙂',
  'x'.repeat(300),
  '../../etc/passwd',
  '__proto__',
  'constructor',
];
const METHODS = [
  'ping',
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'tools/call',
  'prompts/get',
  'resources/read',
  'resources/subscribe',
  'completion/complete',
  'logging/setLevel',
  'tasks/get',
  'tasks/list',
  'initialize',
  'unknown/method',
  'notifications/cancelled',
  'notifications/initialized',
  'notifications/roots/list_changed',
];

function value(g: Gen, depth = 0): unknown {
  switch (g.int(depth > 3 ? 5 : 8)) {
    case 0:
      return g.int(1000) - 500;
    case 1:
      return g.pick(STRINGS);
    case 2:
      return g.rand() < 0.5;
    case 3:
      return null;
    case 4:
      return g.pick([1.5, -0, 1e308, Number.MAX_SAFE_INTEGER + 2]);
    case 5:
      return Array.from({ length: g.int(4) }, () => value(g, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = g.int(4); i > 0; i--)
        o[g.pick(['text', 'a', 'b', 'uri', 'name', 'cursor', 'level', '__proto__'])] = value(g, depth + 1);
      return o;
    }
  }
}

function validParams(g: Gen, method: string): Record<string, unknown> | undefined {
  switch (method) {
    case 'tools/call':
      return g.rand() < 0.5
        ? { name: 'local.echo', arguments: { text: String(g.int(1e6)) } }
        : { name: g.pick(STRINGS), arguments: value(g) };
    case 'prompts/get':
      return { name: g.pick(['local.greet', 'nope']), arguments: { name: 'x' } };
    case 'resources/read':
    case 'resources/subscribe':
      return { uri: g.pick(['fixture://static/hello', 'fixture://items/7', 'nope://x', '']) };
    case 'completion/complete':
      return {
        ref: {
          type: g.pick(['ref/prompt', 'ref/resource', 'bogus']),
          name: 'local.greet',
          uri: 'fixture://items/{id}',
        },
        argument: { name: 'id', value: '4' },
      };
    case 'logging/setLevel':
      return { level: g.pick(['debug', 'info', 'bogus']) };
    case 'notifications/cancelled':
      return { requestId: g.int(100), reason: 'fuzz' };
    case 'tools/list':
    case 'prompts/list':
    case 'resources/list':
      return g.rand() < 0.2 ? { cursor: g.pick(['eyJvIjoxfQ', 'bad', '']) } : undefined;
    default:
      return g.rand() < 0.3 ? (value(g) as Record<string, unknown>) : undefined;
  }
}

let ids = 0;

/** A message that is well-formed JSON-RPC (its params may still be wrong for the method). */
export function validMessage(g: Gen): Record<string, unknown> {
  const method = g.pick(METHODS);
  const params = validParams(g, method);
  const msg: Record<string, unknown> = { jsonrpc: '2.0', method, ...(params ? { params } : {}) };
  if (!method.startsWith('notifications/')) msg.id = g.rand() < 0.8 ? ++ids : `s-${++ids}`;
  if (g.rand() < 0.03) return { jsonrpc: '2.0', id: g.int(50), result: value(g) }; // a stray response
  return msg;
}

function mutate(g: Gen, msg: Record<string, unknown>): unknown {
  const m: Record<string, unknown> = { ...msg };
  switch (g.int(9)) {
    case 0:
      delete m.jsonrpc;
      break;
    case 1:
      m.jsonrpc = g.pick(['1.0', 2, null]);
      break;
    case 2:
      m.id = g.pick([{}, [], true, 1.5, null, 'x'.repeat(2000)]);
      break;
    case 3:
      m.method = g.pick([42, null, '', {}, 'tools/call\u0000']);
      break;
    case 4:
      m.params = g.pick([[], 'params', 7, null]);
      break;
    case 5: {
      let deep: unknown = 1;
      for (let i = g.int(150); i > 0; i--) deep = g.rand() < 0.5 ? [deep] : { a: deep };
      m.params = { name: 'local.echo', arguments: { text: deep } };
      break;
    }
    case 6:
      return value(g); // not even an object
    case 7:
      return [msg, value(g)]; // a batch with junk
    default:
      m[g.pick(['extra', '__proto__', 'result', 'error'])] = value(g);
  }
  return m;
}

/** One generated message as the text a client would send. */
export function fuzzText(g: Gen): { text: string; kind: 'valid' | 'mutated' | 'truncated' } {
  const msg = validMessage(g);
  const r = g.rand();
  if (r < 0.5) return { text: JSON.stringify(msg), kind: 'valid' };
  if (r < 0.85) return { text: JSON.stringify(mutate(g, msg)) ?? 'null', kind: 'mutated' };
  const full = JSON.stringify(msg);
  return { text: full.slice(0, 1 + g.int(full.length - 1)), kind: 'truncated' };
}

// ---- building blocks shared by the HTTP surface fuzzers (A2A, admin) ---------------------------

/** Strings that have tripped parsers, loggers, path handling and terminals before. */
export const ODD_STRINGS = [
  '',
  ' ',
  'a',
  'nope',
  '\u0000',
  '\u0000\u0001\u001f\u007f',
  '\ud800',
  '\udfff\ud800',
  'ｅｃｈｏ',
  '🙂'.repeat(40),
  'e\u0301\u0301\u0301\u0301',
  '\u202egnp.exe',
  '\u200b\u200d\ufeff',
  '%',
  '%E0%A4%A',
  '%00',
  '../../etc/passwd',
  '..\\..\\windows',
  '__proto__',
  'constructor',
  'toString',
  '${HOME}',
  '{{7*7}}',
  "'; drop table tasks; --",
  '<script>alert(1)</script>',
  '\r\nX-Injected: 1',
  'a/b',
  'a:b',
  '*',
  '?',
  '#',
  'x'.repeat(300),
] as const;

/** An odd string; now and then a long one (64 KB to 1.1 MB, past the usual part and field limits). */
export function oddString(g: Gen): string {
  if (g.rand() < 0.005) return 'x'.repeat(g.pick([65_536, 262_144, 1_048_577, 1_153_434]));
  if (g.rand() < 0.2) return Array.from({ length: 1 + g.int(6) }, () => g.pick(ODD_STRINGS)).join('');
  return g.pick(ODD_STRINGS);
}

/** Any JSON value (small; nesting at most a few levels). */
export function anyValue(g: Gen): unknown {
  return value(g);
}

const DEEP_MARK = '\ue000deep:';

/**
 * A placeholder for JSON nested `levels` deep. Put it anywhere in a value, then serialize with
 * `toJson`: JSON.stringify itself cannot build 100,000 levels (it recurses), so the nesting is
 * spliced in as text.
 */
export function deepMark(levels: number, shape: 'array' | 'object' | 'mixed'): string {
  return `${DEEP_MARK}${levels}:${shape}`;
}

/**
 * 1,000 to 100,000 levels for the i-th deep input: log-uniform, stratified. The range is cut into
 * 64 cells (7.5 % apart) visited in a scrambled order, with a random depth inside each, so that
 * every narrow band of depths is tried again and again. Bands matter: too shallow and every
 * recursive step copes, too deep and the first one fails cleanly; a crash hides where some steps
 * pass the value on to one that does not (at the time of writing, 2,850 to 3,200 nested arrays).
 */
export function deepLevels(g: Gen, i: number): number {
  const cell = (i * 37) % 64; // 37 is prime to 64: a permutation of the cells
  return Math.round(1000 * Math.pow(100, (cell + g.rand()) / 64));
}

export type DeepShape = 'array' | 'object' | 'mixed';

/** Arrays half the time (the least stack per level), objects and a mix of both otherwise. */
export function deepShape(g: Gen): DeepShape {
  return g.rand() < 0.5 ? 'array' : g.pick(['object', 'mixed'] as const);
}

export function nestedJson(levels: number, shape: 'array' | 'object' | 'mixed'): string {
  if (shape === 'array') return `${'['.repeat(levels)}1${']'.repeat(levels)}`;
  if (shape === 'object') return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < levels; i++) {
    open.push(i % 2 ? '[' : '{"k":');
    close.push(i % 2 ? ']' : '}');
  }
  return `${open.join('')}1${close.reverse().join('')}`;
}

/** JSON.stringify, with every deepMark replaced by the nesting it stands for. */
export function toJson(v: unknown): string {
  const text = JSON.stringify(v) ?? 'null';
  if (!text.includes(DEEP_MARK)) return text;
  return text.replace(/"\ue000deep:(\d+):(\w+)"/g, (_m, n: string, shape: 'array' | 'object' | 'mixed') =>
    nestedJson(Number(n), shape),
  );
}

/** The first part of a text: a body cut off mid-way. */
export function truncate(g: Gen, text: string): string {
  return text.slice(0, g.int(Math.max(1, text.length - 1)));
}

/** encodeURIComponent, except that a lone surrogate (which it refuses) becomes U+FFFD. */
export function encode(s: string): string {
  return encodeURIComponent(
    s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
  );
}

/** Percent escapes that do not decode (cut short, not hex, overlong or surrogate UTF-8). */
export const BAD_ESCAPES = ['%', '%E0%A4%A', '%ZZ', '%C0%AF', '%ED%A0%80', '%FF', '%E0%A4', '%%', '%u0041'];

/** Does some part of this path not percent-decode? */
export function undecodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return false;
  } catch {
    return true;
  }
}

/** A path segment: a usual one, an odd string percent-encoded, or one with a broken escape. */
export function segment(g: Gen, usual: readonly string[]): string {
  const r = g.rand();
  if (r < 0.7) return encode(g.pick(usual));
  if (r < 0.85) return encode(oddString(g).slice(0, 2000));
  const s = encode(g.pick(usual));
  const at = g.int(s.length + 1);
  return s.slice(0, at) + g.pick(BAD_ESCAPES) + s.slice(at);
}

/** Every path to a value inside a JSON value (objects and arrays), for the mutators below. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  if (v && typeof v === 'object') {
    for (const [k, child] of Object.entries(v)) {
      const p = [...prefix, Array.isArray(v) ? Number(k) : k];
      out.push(p);
      if (out.length < 200) paths(child, p, out);
    }
  }
  return out;
}

type Container = Record<string | number, unknown> & unknown[];

function setAt(
  root: unknown,
  path: (string | number)[],
  fn: (parent: Container, key: string | number) => void,
) {
  let at = root as Container;
  for (const k of path.slice(0, -1)) at = at[k as number] as Container;
  fn(at, path.at(-1)!);
}

/** A value of another type than `v`. */
function otherType(g: Gen, v: unknown): unknown {
  const options: unknown[] = [
    null,
    true,
    0,
    -1,
    1.5,
    1e308,
    Number.MAX_SAFE_INTEGER + 2,
    '',
    'x',
    [],
    [1, 'a'],
    {},
    { a: 1 },
  ];
  let out = g.pick(options);
  for (let i = 0; i < 3 && typeof out === typeof v && Array.isArray(out) === Array.isArray(v); i++)
    out = g.pick(options);
  return out;
}

export const VALUE_MUTATIONS = [
  'wrong-type',
  'missing',
  'huge',
  'unicode',
  'extra',
  'nested',
  'proto',
] as const;
export type ValueMutation = (typeof VALUE_MUTATIONS)[number];

/**
 * Mutate a JSON value in place at one random path: a wrong type, a missing field, a huge or odd
 * string, an unknown key, 10–300 levels of nesting, or `__proto__` keys. Returns the mutation.
 */
export function mutateValue(g: Gen, root: Record<string, unknown>, kind?: ValueMutation): ValueMutation {
  const all = paths(root);
  const m = kind ?? g.pick(VALUE_MUTATIONS);
  const path = all.length ? g.pick(all) : undefined;
  if (!path) {
    root[g.pick(['x', '__proto__', 'constructor'])] = anyValue(g);
    return m;
  }
  setAt(root, path, (parent, key) => {
    switch (m) {
      case 'wrong-type':
        parent[key] = otherType(g, parent[key]);
        break;
      case 'missing':
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
        break;
      case 'huge':
        // Mostly tens of kilobytes; one in ten past the 1 MB part limit.
        parent[key] =
          g.rand() < 0.2
            ? Array(5000).fill(1)
            : 'x'.repeat(g.rand() < 0.1 ? 1_048_577 : 16_384 * (1 + g.int(8)));
        break;
      case 'unicode':
        parent[key] = oddString(g);
        break;
      case 'extra':
        if (parent[key] && typeof parent[key] === 'object' && !Array.isArray(parent[key]))
          (parent[key] as Container)[g.pick(['extra', 'kind', 'type', 'id', '$case', 'tenant'])] =
            anyValue(g);
        else parent[key] = { [g.pick(['value', 'text', 'data'])]: parent[key] };
        break;
      case 'nested': {
        let v: unknown = parent[key] ?? 1;
        for (let i = 10 + g.int(290); i > 0; i--) v = g.rand() < 0.5 ? [v] : { a: v };
        parent[key] = v;
        break;
      }
      case 'proto':
        parent[key] = JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}');
        break;
    }
  });
  return m;
}

/**
 * A UTF-8 body with bytes that are not UTF-8 spliced into it, at the start of a JSON string (so
 * that a URL inside keeps its host, and the fuzzer's loopback check still holds).
 */
export function badUtf8(g: Gen, text: string): Buffer {
  const quotes: number[] = [];
  for (let i = text.indexOf('"'); i !== -1 && quotes.length < 500; i = text.indexOf('"', i + 1))
    quotes.push(i + 1);
  const at = quotes.length ? g.pick(quotes) : g.int(text.length + 1);
  const junk = Buffer.from(g.pick([[0xc0], [0xff, 0xfe], [0xed, 0xa0, 0x80], [0xe0, 0xa4], [0x80]]));
  return Buffer.concat([Buffer.from(text.slice(0, at)), junk, Buffer.from(text.slice(at))]);
}
