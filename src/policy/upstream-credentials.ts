/**
 * Credentials the gateway presents to an HTTP upstream — its own, never a client's: static
 * headers (config, `${VAR}` from the environment), headers read from secret files, and OAuth
 * access tokens it obtains with client credentials or RFC 8693 token exchange, refreshed in the
 * background before they expire. Secrets appear in no log line and no error message.
 */
import { readFileSync } from 'node:fs';
import type { HttpMcpConfig } from '../config/schema.js';
import type { Logger } from '../telemetry/logger.js';

type OAuth = NonNullable<HttpMcpConfig['oauth']>;

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** Refresh when this share of the token's lifetime has passed. */
const REFRESH_AT = 0.8;

export class CredentialError extends Error {}

export class UpstreamCredentials {
  private token: string | undefined;
  private fileHeaders: Record<string, string> = {};
  private merged: Readonly<Record<string, string>>;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly spec: HttpMcpConfig,
    private readonly log: Logger,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.merged = Object.freeze({ ...spec.headers });
  }

  static needed(spec: HttpMcpConfig): boolean {
    return spec.oauth !== undefined || Object.keys(spec.headerFiles).length > 0;
  }

  /** Read secret files and get a first token; throws a CredentialError without secrets in it. */
  async start(): Promise<void> {
    this.fileHeaders = {};
    for (const [name, file] of Object.entries(this.spec.headerFiles))
      this.fileHeaders[name] = readSecret(file, `headerFiles.${name}`);
    if (this.spec.oauth) await this.refresh();
    this.merge();
  }

  /** The headers to send now (the same object until a token or file changes). */
  headers(): Readonly<Record<string, string>> {
    return this.merged;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private merge(): void {
    const out: Record<string, string> = { ...this.spec.headers, ...this.fileHeaders };
    if (this.token) {
      // The obtained token replaces any configured Authorization header, whatever its case.
      for (const k of Object.keys(out)) if (k.toLowerCase() === 'authorization') delete out[k];
      out.authorization = `Bearer ${this.token}`;
    }
    this.merged = Object.freeze(out);
  }

  private async refresh(): Promise<void> {
    const o = this.spec.oauth!;
    const body = new URLSearchParams();
    if (o.grant === 'client_credentials') body.set('grant_type', 'client_credentials');
    else {
      body.set('grant_type', EXCHANGE);
      body.set('subject_token', o.subjectToken ?? readSecret(o.subjectTokenFile, 'oauth.subjectTokenFile'));
      body.set('subject_token_type', o.subjectTokenType);
      body.set('requested_token_type', 'urn:ietf:params:oauth:token-type:access_token');
    }
    if (o.scope) body.set('scope', o.scope);
    if (o.audience) body.set('audience', o.audience);
    if (o.resource) body.set('resource', o.resource);
    const secret =
      o.clientSecret ?? (o.clientSecretFile ? readSecret(o.clientSecretFile, 'oauth.clientSecretFile') : '');
    const basic = Buffer.from(`${encodeURIComponent(o.clientId)}:${encodeURIComponent(secret)}`).toString(
      'base64',
    );
    let res: Response;
    try {
      res = await this.fetchImpl(o.tokenUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          authorization: `Basic ${basic}`,
        },
        body,
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new CredentialError(
        `token endpoint ${hostOf(o.tokenUrl)} unreachable: ${(err as Error).message}`,
      );
    }
    const json = (await res.json().catch(() => ({}))) as {
      access_token?: unknown;
      expires_in?: unknown;
      error?: unknown;
    };
    if (!res.ok || typeof json.access_token !== 'string') {
      // Only the OAuth error code, never the body: it could echo what was sent.
      const code = typeof json.error === 'string' ? ` (${json.error.slice(0, 64)})` : '';
      throw new CredentialError(`token endpoint ${hostOf(o.tokenUrl)} answered ${res.status}${code}`);
    }
    this.token = json.access_token;
    this.merge();
    const lifetime =
      typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in * 1000 : undefined;
    if (lifetime !== undefined && !this.stopped) this.schedule(lifetime * REFRESH_AT, o);
  }

  private schedule(ms: number, o: OAuth, attempt = 0): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.refresh().catch((err: unknown) => {
          const next = Math.min(60_000, 1000 * 2 ** attempt);
          this.log.error(
            { reason: (err as Error).message, retryInMs: next, grant: o.grant },
            'refreshing the upstream token failed',
          );
          if (!this.stopped) this.schedule(next, o, attempt + 1);
        });
      },
      Math.max(50, ms),
    );
    this.timer.unref();
  }
}

function readSecret(file: string | undefined, what: string): string {
  if (!file) throw new CredentialError(`${what}: no file given`);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new CredentialError(
      `${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}
