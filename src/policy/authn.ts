/**
 * Authentication: a credential from any front (HTTP Authorization header, the stdio front's
 * configured principal, an A2A request) becomes a Principal, or a 401 GatewayError carrying the
 * WWW-Authenticate challenge. Checks in order: the admin token, API keys, JWTs. When the gateway
 * is an OAuth resource server, challenges carry `resource_metadata` (RFC 9728 §5.1) and tokens
 * without the required scopes get 403 `insufficient_scope` (MCP authorization §Scope Challenge).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../errors/index.js';
import type { ApiKeyRepo } from '../store/types.js';
import { JwtVerifier, looksLikeJwt } from './jwt.js';
import { ApiKeyVerifier, keyId } from './keys.js';
import { resourceMetadataUrl, resourceUrl } from './oauth.js';
import type { Credential, Principal } from './principal.js';

export class Authenticator {
  readonly keys: ApiKeyVerifier;
  private anonymousCache: Principal | undefined;
  private jwt: { config: Config['auth']['jwt']; verifier: JwtVerifier | undefined } | undefined;

  constructor(
    private readonly config: () => Config,
    repo: ApiKeyRepo,
    /** The admin token in force: configured, or generated (policy/admin-token.ts). */
    private readonly adminToken: () => string | undefined = () => config().admin.token,
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
    const admin = this.adminToken();
    if (admin && equal(token, admin)) return { name: 'admin', groups: [], via: 'admin-token', admin: true };
    if (keyId(token)) {
      try {
        return await this.keys.verify(token);
      } catch (err) {
        if (err instanceof GatewayError) err.headers = this.challengeHeaders('invalid_token');
        throw err;
      }
    }
    const jwt = this.jwtVerifier();
    if (jwt && looksLikeJwt(token)) {
      let principal: Principal;
      try {
        principal = await jwt.verify(token);
      } catch (err) {
        if (err instanceof GatewayError) err.headers = this.challengeHeaders('invalid_token');
        throw err;
      }
      const missing = (cfg.auth.jwt?.requiredScopes ?? []).filter((s) => !principal.scopes?.includes(s));
      if (missing.length > 0) {
        const err = new GatewayError('SWY_INSUFFICIENT_SCOPE', { scope: missing.join(' ') });
        err.headers = this.challengeHeaders('insufficient_scope', cfg.auth.jwt!.requiredScopes.join(' '));
        throw err;
      }
      return principal;
    }
    throw this.challenge('SWY_AUTH_INVALID', 'unknown credential');
  }

  /** Built once per config snapshot (the remote key set keeps its cache). */
  private jwtVerifier(): JwtVerifier | undefined {
    const cfg = this.config();
    if (!this.jwt || this.jwt.config !== cfg.auth.jwt) {
      const j = cfg.auth.jwt;
      const audience = j?.audience ?? resourceUrl(cfg);
      this.jwt = { config: j, verifier: j ? new JwtVerifier(j, audience) : undefined };
    }
    return this.jwt.verifier;
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

  /** RFC 6750 §3 challenge, with RFC 9728 `resource_metadata` when the gateway is a resource server. */
  challengeHeaders(error?: string, scope?: string): Record<string, string> {
    const cfg = this.config();
    const parts = ['Bearer realm="switchyard"'];
    if (error) parts.push(`error="${error}"`);
    const needed = scope ?? cfg.auth.jwt?.requiredScopes.join(' ');
    if (needed) parts.push(`scope="${needed}"`);
    if (cfg.auth.oauth) parts.push(`resource_metadata="${resourceMetadataUrl(cfg)}"`);
    return { 'www-authenticate': parts.join(', ') };
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
