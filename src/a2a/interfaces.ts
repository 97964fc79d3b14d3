/**
 * Where an upstream agent's requests — and the configured headers, its credentials — may go. The
 * SDK client sends to the interface URLs the Agent Card lists, so the card, not the config, would
 * decide; these checks keep that decision with the config: every interface the client may use
 * must be on the origin of `a2a.url` or one of `a2a.allowedOrigins`, and the set of interfaces is
 * pinned like a tool definition (policy/pinning.ts), so a card that moves them is held for review.
 */
import type { AgentCard } from '@a2a-js/sdk';
import type { A2aUpstreamConfig } from '../config/schema.js';
import type { JsonObject } from '../mcp/jsonrpc.js';
import { CardError } from './card.js';

type AgentInterface = AgentCard['supportedInterfaces'][number];

/** The origins requests to this agent may go to. */
export function allowedOrigins(a2a: A2aUpstreamConfig['a2a']): ReadonlySet<string> {
  return new Set([a2a.url, ...a2a.allowedOrigins].map((u) => new URL(u).origin));
}

/** An http(s) URL's origin, or undefined for anything else (relative, another scheme, garbage). */
export function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The interfaces the client may pick: those in a binding it speaks (the SDK matches bindings
 * case-insensitively). Others (gRPC, …) are never sent to, so they are neither checked nor pinned.
 */
export function usableInterfaces(card: AgentCard, bindings: readonly string[]): AgentInterface[] {
  const speaks = new Set(bindings.map((b) => b.toUpperCase()));
  return card.supportedInterfaces.filter((i) => speaks.has(i.protocolBinding.toUpperCase()));
}

/** Refuse interfaces outside the allowed origins, naming the first foreign one. */
export function checkOrigins(interfaces: readonly AgentInterface[], allowed: ReadonlySet<string>): void {
  for (const i of interfaces) {
    const origin = originOf(i.url);
    if (origin === undefined)
      throw new CardError(`the Agent Card's ${i.protocolBinding} interface ${i.url} is not an http(s) URL`);
    if (!allowed.has(origin))
      throw new CardError(
        `the Agent Card lists a ${i.protocolBinding} interface on ${origin}, which is neither the agent's ` +
          'origin nor in a2a.allowedOrigins: its credentials would go there',
      );
  }
}

/** What is pinned: each interface's URL, binding, version and tenant, in a stable order. */
export function interfaceSet(interfaces: readonly AgentInterface[]): JsonObject {
  const rows = interfaces.map((i) => ({
    url: i.url,
    protocolBinding: i.protocolBinding,
    protocolVersion: i.protocolVersion,
    tenant: i.tenant,
  }));
  rows.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return { interfaces: rows };
}

/** The interfaces of a pinned set, to build a client from. */
export function interfacesOf(set: JsonObject): AgentInterface[] {
  const rows = Array.isArray(set.interfaces) ? (set.interfaces as Record<string, unknown>[]) : [];
  return rows.map((r) => ({
    url: String(r.url),
    protocolBinding: String(r.protocolBinding),
    protocolVersion: String(r.protocolVersion ?? ''),
    tenant: String(r.tenant ?? ''),
  }));
}
