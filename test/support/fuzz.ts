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
