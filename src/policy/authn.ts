/**
 * Authentication: a credential from any front (HTTP Authorization header, the stdio front's
 * configured principal, an A2A request) becomes a Principal, or a 401 GatewayError carrying the
 * WWW-Authenticate challenge. Checks in order: the admin token, API keys, (JWTs).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../gateway/errors.js';
import type { ApiKeyRepo } from '../store/types.js';
import { ApiKeyVerifier, keyId } from './keys.js';
import type { Credential, Principal } from './principal.js';

export class Authenticator {
  readonly keys: ApiKeyVerifier;
  private anonymousCache: Principal | undefined;

  constructor(
    private readonly config: () => Config,
    repo: ApiKeyRepo,
  ) {
    this.keys = new ApiKeyVerifier(repo, () => this.config().auth.keyCacheMs);
  }

  async authenticate(cred: Credential): Promise<Principal> {
    const cfg = this.config();
    if (cred.malformed)
      throw this.challenge('SWY_AUTH_INVALID', 'the Authorization header is not a bearer token');
    const token = cred.bearer;
    if (token === undefined) {
      if (cfg.auth.required) throw this.challenge('SWY_AUTH_REQUIRED');
      return this.anonymous(cfg.auth.anonymous);
    }
    const admin = cfg.admin.token;
    if (admin && equal(token, admin)) return { name: 'admin', groups: [], via: 'admin-token', admin: true };
    if (keyId(token)) {
      try {
        return await this.keys.verify(token);
      } catch (err) {
        if (err instanceof GatewayError) err.headers = this.challengeHeaders('invalid_token');
        throw err;
      }
    }
    throw this.challenge('SWY_AUTH_INVALID', 'unknown credential');
  }

  /** The principal of the stdio front. */
  local(): Principal {
    const { principal, groups } = this.config().auth.stdio;
    return { name: principal, groups, via: 'local' };
  }

  private anonymous(name: string): Principal {
    if (this.anonymousCache?.name !== name) this.anonymousCache = { name, groups: [], via: 'anonymous' };
    return this.anonymousCache;
  }

  private challenge(code: 'SWY_AUTH_REQUIRED' | 'SWY_AUTH_INVALID', reason?: string): GatewayError {
    const err = new GatewayError(code, reason ? { reason } : {});
    err.headers = this.challengeHeaders(code === 'SWY_AUTH_INVALID' ? 'invalid_token' : undefined);
    return err;
  }

  /** RFC 6750 §3 challenge. */
  challengeHeaders(error?: string): Record<string, string> {
    const parts = ['Bearer realm="switchyard"'];
    if (error) parts.push(`error="${error}"`);
    return { 'www-authenticate': parts.join(', ') };
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
