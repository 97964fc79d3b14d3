/**
 * Agent Cards: fetching and validating an upstream's card (v1.0 or v0.3 shape), verifying its
 * JWS signatures, and rewriting it so that its interfaces point at the gateway.
 *
 * A2A §8 (Agent Discovery): the card lives at `/.well-known/agent-card.json`; §8.4 signatures are
 * JWS over the RFC 8785 canonical card without `signatures`.
 */
import { A2A_PROTOCOL_VERSION, A2A_VERSION_HEADER, AgentCard, verifyAgentCardSignature } from '@a2a-js/sdk';
import { isLegacyAgentCard, parseLegacyAgentCard } from '@a2a-js/sdk/compat/v0_3/client';
import { duplicateInterfacesForLegacy } from '@a2a-js/sdk/compat/v0_3';
import { importJWK, type JWK } from 'jose';
import { z } from 'zod';
import { limitedResponse } from '../mcp/upstream/response-limit.js';

export type { AgentCard };

/** What a card must have for the gateway to use it (A2A §4.4.1, required fields). */
const SkillShape = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  description: z.string(),
  tags: z.array(z.string()),
});
const V1Shape = z.object({
  name: z.string().min(1),
  description: z.string(),
  version: z.string().min(1),
  supportedInterfaces: z
    .array(z.object({ url: z.string().min(1), protocolBinding: z.string().min(1) }))
    .min(1, 'at least one interface is required'),
  capabilities: z.object({}).loose(),
  defaultInputModes: z.array(z.string()),
  defaultOutputModes: z.array(z.string()),
  skills: z.array(SkillShape),
});
const V03Shape = z.object({
  name: z.string().min(1),
  description: z.string(),
  version: z.string().min(1),
  url: z.string().min(1),
  protocolVersion: z.string().optional(),
  capabilities: z.object({}).loose(),
  defaultInputModes: z.array(z.string()),
  defaultOutputModes: z.array(z.string()),
  skills: z.array(SkillShape),
});

export class CardError extends Error {}

export interface FetchedCard {
  card: AgentCard;
  /** The wire version of the card as published. */
  shape: '1.0' | '0.3';
  signed: boolean;
}

/** Validate a card as published (JSON) and turn it into the SDK's in-process model. */
export function parseCard(raw: unknown): { card: AgentCard; shape: '1.0' | '0.3' } {
  if (!raw || typeof raw !== 'object') throw new CardError('the Agent Card is not a JSON object');
  const legacy = isLegacyAgentCard(raw);
  const shape = legacy ? V03Shape : V1Shape;
  const parsed = shape.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(card)'}: ${i.message}`);
    throw new CardError(`invalid Agent Card (${legacy ? 'v0.3' : 'v1.0'} shape): ${problems.join('; ')}`);
  }
  return legacy
    ? { card: parseLegacyAgentCard(raw), shape: '0.3' }
    : { card: AgentCard.fromJSON(raw), shape: '1.0' };
}

export interface FetchCardOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  requireSignature: boolean;
  jwksUrl?: string;
  /** Largest card read (the agent's maxResponseBytes). */
  maxBytes?: number;
}

export async function fetchCard(cardUrl: string, opts: FetchCardOptions): Promise<FetchedCard> {
  let res: Response;
  try {
    res = await fetch(cardUrl, {
      headers: { accept: 'application/json', [A2A_VERSION_HEADER]: A2A_PROTOCOL_VERSION, ...opts.headers },
      signal: AbortSignal.timeout(opts.timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    throw new CardError(`cannot fetch the Agent Card from ${cardUrl}: ${(err as Error).message}`);
  }
  if (!res.ok) throw new CardError(`the Agent Card at ${cardUrl} answered HTTP ${res.status}`);
  const limit = opts.maxBytes ?? Number.POSITIVE_INFINITY;
  res = limitedResponse(
    res,
    limit,
    () => new CardError(`the Agent Card at ${cardUrl} is larger than ${limit} bytes`),
  );
  let raw: unknown;
  try {
    raw = await res.json();
  } catch (err) {
    if (err instanceof CardError) throw err;
    throw new CardError(`the Agent Card at ${cardUrl} is not valid JSON`);
  }
  const { card, shape } = parseCard(raw);
  const signed = card.signatures.length > 0;
  if (signed) await verifySignatures(card, cardUrl, opts.jwksUrl);
  else if (opts.requireSignature)
    throw new CardError('the Agent Card is not signed, and a signature is required');
  return { card, shape, signed };
}

/**
 * Verify the card's JWS signatures (one valid signature suffices, A2A §8.4). Keys come only from
 * the configured JWKS when there is one (the signature's `jku` is then ignored); else from the
 * `jku` when it is on the card's own origin — a card must not make the gateway fetch from anywhere
 * it names. A key served next to the card shows the card is intact, not who published it, which
 * is why `requireSignature` needs the configured JWKS (config/schema.ts).
 */
export async function verifySignatures(card: AgentCard, cardUrl: string, jwksUrl?: string): Promise<void> {
  const origin = new URL(cardUrl).origin;
  let refusal: string | undefined;
  const verify = verifyAgentCardSignature(async (kid, jku) => {
    let url = jwksUrl;
    if (!url && jku) {
      if (new URL(jku, cardUrl).origin !== origin) {
        refusal = `the signature's jku ${jku} is not on the card's origin (set a2a.jwksUrl to trust a JWKS)`;
        throw new CardError(refusal);
      }
      url = new URL(jku, cardUrl).toString();
    }
    if (!url) throw new CardError((refusal = `no JWKS to verify signature key "${kid}" (set a2a.jwksUrl)`));
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
    if (!res.ok) throw new CardError(`JWKS ${url} answered HTTP ${res.status}`);
    const { keys } = (await res.json()) as { keys?: (JWK & { kid?: string })[] };
    const jwk = keys?.find((k) => k.kid === kid);
    if (!jwk) throw new CardError(`key "${kid}" is not in the JWKS at ${url}`);
    return importJWK(jwk, jwk.alg) as Promise<Exclude<Awaited<ReturnType<typeof importJWK>>, Uint8Array>>;
  });
  try {
    await verify(card);
  } catch (err) {
    throw new CardError(`Agent Card signature is invalid: ${refusal ?? (err as Error).message}`);
  }
}

/**
 * The card as the gateway serves it: the upstream's card with its interfaces replaced by the
 * gateway's own (JSON-RPC at `<base>`, HTTP+JSON at `<base>/rest`), each also offered to v0.3
 * clients. Signatures are dropped: they covered the upstream's interfaces, not ours.
 */
export function gatewayInterfaces(base: string): AgentCard['supportedInterfaces'] {
  return duplicateInterfacesForLegacy(
    [
      { url: base, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: A2A_PROTOCOL_VERSION },
      {
        url: `${base}/rest`,
        protocolBinding: 'HTTP+JSON',
        tenant: '',
        protocolVersion: A2A_PROTOCOL_VERSION,
      },
    ],
    ['JSONRPC', 'HTTP+JSON'],
  );
}

export function rewriteCard(card: AgentCard, base: string): AgentCard {
  return { ...card, supportedInterfaces: gatewayInterfaces(base), signatures: [] };
}
