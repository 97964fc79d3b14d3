/**
 * What an A2A request is, read from its path and body without acting on it: which agent it names,
 * which binding it came on, which operation it is (a bounded metric label) and which skills a
 * message asks for.
 */
import type { IncomingMessage } from 'node:http';
import { AGENT_CARD_PATH } from '@a2a-js/sdk';
import { A2A_RPC_METHODS, OTHER } from '../telemetry/labels.js';

/** `/a2a/<name><sub>`: the agent's name (decoded), the rest, and whether it is the JSON-RPC endpoint. */
export function splitPath(path: string): { name: string; sub: string; jsonRpc: boolean } {
  const rest = path.startsWith('/a2a/') ? path.slice('/a2a/'.length) : '';
  const slash = rest.indexOf('/');
  const raw = slash === -1 ? rest : rest.slice(0, slash);
  // The listener refuses a path that does not decode before any agent is looked up; its refusal
  // still needs the binding, so this never throws.
  let name = raw;
  try {
    name = decodeURIComponent(raw);
  } catch {
    // keep the raw name: it is only used to pick the error shape
  }
  const sub = slash === -1 ? '' : rest.slice(slash);
  return { name, sub, jsonRpc: name !== '' && (sub === '' || sub === '/') };
}

/** The origin cards and links are built on: `server.publicUrl`, else the Host the client used. */
export function baseUrl(req: IncomingMessage, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `http://${req.headers.host ?? 'localhost'}`;
}

/** An agent's card is public (it says how to authenticate); everything else needs a principal. */
export function isCardRequest(req: IncomingMessage, sub: string): boolean {
  return req.method === 'GET' && sub === `/${AGENT_CARD_PATH}`;
}

/** A metric label for a JSON-RPC method (bounded: anything else is "other"). */
export function rpcOperation(method: unknown): string {
  return typeof method === 'string' && A2A_RPC_METHODS.has(method) ? method : OTHER;
}

const PUSH_CONFIG_VERBS = new Set(['GET', 'POST', 'DELETE']);

/** A metric label for a REST request, by its route (A2A §11, and the v0.3 `/v1/…` routes). */
export function restOperation(method: string, sub: string): string {
  const path = sub.replace(/^\/rest/, '').replace(/^\/v1(?=\/)/, '');
  if (sub.endsWith(`/${AGENT_CARD_PATH}`)) return 'GetAgentCard';
  if (/\/message:send$/.test(path)) return 'SendMessage';
  if (/\/message:stream$/.test(path)) return 'SendStreamingMessage';
  if (/:cancel$/.test(path)) return 'CancelTask';
  if (/:subscribe$/.test(path)) return 'SubscribeToTask';
  if (/pushNotificationConfigs/.test(path))
    return PUSH_CONFIG_VERBS.has(method) ? `${method} pushNotificationConfigs` : OTHER;
  if (/^\/(extendedAgentCard|card)$/.test(path)) return 'GetExtendedAgentCard';
  if (/^\/tasks\/[^/]+$/.test(path)) return 'GetTask';
  if (/^\/tasks$/.test(path)) return 'ListTasks';
  return sub === '' || sub === '/' ? 'jsonrpc' : OTHER;
}

/** The operations that send a message (both versions' names). */
const SENDS = new Set(['SendMessage', 'SendStreamingMessage', 'message/send', 'message/stream']);

/**
 * The skills a SendMessage names: A2A has no skill selector, so clients name one in metadata
 * (`skill` or `skillId`, on the message or the request), as the gateway's own bridge does. Other
 * operations name none.
 */
export function requestedSkills(operation: string, body: unknown, jsonRpc: boolean): string[] {
  if (!SENDS.has(operation)) return [];
  const params = (jsonRpc ? (body as { params?: unknown } | undefined)?.params : body) as
    { message?: { metadata?: unknown }; metadata?: unknown } | undefined;
  const out = new Set<string>();
  for (const meta of [params?.message?.metadata, params?.metadata]) {
    if (!meta || typeof meta !== 'object') continue;
    for (const key of ['skill', 'skillId']) {
      const v = (meta as Record<string, unknown>)[key];
      if (typeof v === 'string' && v) out.add(v);
    }
  }
  return [...out];
}
