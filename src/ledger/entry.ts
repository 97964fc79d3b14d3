/**
 * The ledger entry: what the audit log keeps of one operation. It is built from the request
 * record the data path filled in (MCP here; the A2A front builds the same input from its own
 * record), so the ledger, the log line and the metrics tell one story.
 */
import { digest } from './canonical.js';

export const LEDGER_VERSION = 1;

/** What a front hands the ledger for one operation. Only `time`, `front` and `method` are required. */
export interface LedgerInput {
  kind?: 'request' | 'alert';
  time: number;
  front: 'mcp' | 'a2a' | 'admin';
  id?: string;
  transport?: string;
  session?: string;
  principal?: string;
  /** The caller's address (admin operations): the peer, or what a trusted proxy reports. */
  client?: string;
  /** The route: MCP method, A2A method, admin operation. */
  method: string;
  upstream?: string;
  /** Tool or prompt name, resource URI (MCP); agent and skill (A2A). */
  target?: string;
  /** The declared agent that made the call on the principal's behalf (its tool loop). */
  agent?: string;
  skill?: string;
  /** The call's arguments: digested always, stored only when `audit.storeArguments` is on. */
  args?: unknown;
  outcome?: string;
  errorCode?: string;
  latencyMs?: number;
  decision?: { effect: 'allow' | 'deny'; rule: string };
  definitionHash?: string;
  /** Alerts: what happened (e.g. `tool_quarantined`) and details. */
  alert?: string;
  detail?: Record<string, unknown>;
}

export interface EntryOptions {
  storeArguments: boolean;
  /** Argument keys whose values are replaced by `[redacted]` (case-insensitive substrings). */
  redactKeys: readonly string[];
}

/** The JSON object that is hashed and stored (before `seq` is assigned). */
export function toEntry(input: LedgerInput, opts: EntryOptions): Record<string, unknown> {
  const { args, latencyMs, kind, ...rest } = input;
  const entry: Record<string, unknown> = { v: LEDGER_VERSION, kind: kind ?? 'request', ...rest };
  if (args !== undefined) {
    entry.argsDigest = digest(args);
    if (opts.storeArguments) entry.args = redact(args, opts.redactKeys);
  }
  if (latencyMs !== undefined) entry.latencyMs = Math.round(latencyMs * 1000) / 1000;
  return entry;
}

const TEXT_FIELDS = [
  'front',
  'id',
  'transport',
  'session',
  'principal',
  'method',
  'upstream',
  'target',
  'agent',
  'skill',
  'outcome',
  'errorCode',
  'definitionHash',
  'alert',
] as const;

/**
 * The entry for an operation whose full entry could not be built (arguments that cannot be
 * serialised: a cycle, a BigInt, a throwing getter). The operation is still on the chain, with
 * what is plain text about it and the reason, never dropped: `argsDigest: "unavailable"`.
 */
export function unbuildableEntry(input: LedgerInput, reason: string): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    v: LEDGER_VERSION,
    kind: input.kind === 'alert' ? 'alert' : 'request',
    time: Number.isFinite(input.time) ? input.time : Date.now(),
  };
  for (const k of TEXT_FIELDS) if (typeof input[k] === 'string') entry[k] = input[k];
  const d = input.decision;
  if (d && typeof d.effect === 'string' && typeof d.rule === 'string') {
    entry.decision = { effect: d.effect, rule: d.rule };
  }
  if (typeof input.latencyMs === 'number' && Number.isFinite(input.latencyMs)) {
    entry.latencyMs = Math.round(input.latencyMs * 1000) / 1000;
  }
  if (input.args !== undefined) entry.argsDigest = 'unavailable';
  entry.digestError = reason;
  return entry;
}

/** A copy with the values of secret-looking keys replaced, at any depth. */
export function redact(value: unknown, keys: readonly string[]): unknown {
  // Keys match case-insensitively both ways: `redactKeys: [apiKey]` covers `APIKEY` and `apikey`.
  return redactLower(
    value,
    keys.map((k) => k.toLowerCase()),
    0,
  );
}

function redactLower(value: unknown, keys: readonly string[], depth: number): unknown {
  if (depth > 64) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => redactLower(v, keys, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const lower = k.toLowerCase();
      out[k] = keys.some((s) => lower.includes(s)) ? '[redacted]' : redactLower(v, keys, depth + 1);
    }
    return out;
  }
  return value;
}
