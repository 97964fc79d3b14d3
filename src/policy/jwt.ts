/**
 * JWT bearer tokens (OAuth 2.1 access tokens) verified with `jose` against the issuer's JWKS URL
 * and/or static JWKs: signature, issuer, audience (this gateway, RFC 8707), expiry and not-before
 * with a clock tolerance. The principal comes from a claim (`sub`), groups and scopes from theirs.
 * A token is only ever checked here; it is never passed on to an upstream.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../errors/index.js';
import type { Principal } from './principal.js';

type JwtConfig = NonNullable<Config['auth']['jwt']>;

export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

export class JwtVerifier {
  private readonly getKey: JWTVerifyGetKey;

  constructor(
    private readonly cfg: JwtConfig,
    private readonly audience: string | string[],
  ) {
    const remote = cfg.jwksUrl
      ? createRemoteJWKSet(new URL(cfg.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 })
      : undefined;
    const local = cfg.keys?.length
      ? createLocalJWKSet({ keys: cfg.keys } as unknown as JSONWebKeySet)
      : undefined;
    this.getKey = async (header, token) => {
      if (local) {
        try {
          return await local(header, token);
        } catch (err) {
          if (!remote) throw err;
        }
      }
      return remote!(header, token);
    };
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        issuer: this.cfg.issuer,
        audience: this.audience,
        algorithms: this.cfg.algorithms,
        clockTolerance: this.cfg.clockToleranceSec,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw new GatewayError('SWY_AUTH_INVALID', { reason: reasonOf(err) });
    }
    const name = payload[this.cfg.principalClaim];
    if (typeof name !== 'string' || name === '') {
      throw new GatewayError('SWY_AUTH_INVALID', {
        reason: `the token has no ${this.cfg.principalClaim} claim`,
      });
    }
    const scopes = listClaim(payload.scope ?? payload.scp);
    return { name, groups: listClaim(payload[this.cfg.groupsClaim]), scopes, via: 'jwt' };
  }
}

function listClaim(v: unknown): string[] {
  if (typeof v === 'string') return v.split(' ').filter(Boolean);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/** A reason that helps the caller without telling an attacker more than the token already says. */
function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'the token was not issued for this gateway (audience)';
    if (err.claim === 'iss') return 'the token was issued by an unknown issuer';
    if (err.claim === 'nbf') return 'the token is not valid yet';
    return `the token's ${err.claim} claim is invalid`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey)
    return 'the token signature does not verify';
  if (err instanceof errors.JOSEAlgNotAllowed)
    return 'the token is signed with an algorithm that is not accepted';
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid)
    return 'the signing keys could not be fetched';
  return 'the token is malformed';
}
