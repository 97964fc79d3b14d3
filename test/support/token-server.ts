/**
 * A small OAuth token endpoint for tests: client credentials and RFC 8693 token exchange, with
 * HTTP Basic client authentication, numbered tokens and a chosen lifetime.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenServer {
  url: string;
  /** Form bodies of the token requests received (client secrets are not kept). */
  requests: Record<string, string>[];
  stop(): Promise<void>;
}

export async function startTokenServer(opts: {
  clientId: string;
  clientSecret: string;
  expiresIn?: number;
  /** token_exchange: the subject token that may be exchanged. */
  subjectToken?: string;
}): Promise<TokenServer> {
  const requests: Record<string, string>[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      requests.push(form);
      const send = (status: number, json: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const [id, secret] = basic
        ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent)
        : [];
      if (id !== opts.clientId || secret !== opts.clientSecret) return send(401, { error: 'invalid_client' });
      if (form.grant_type === 'client_credentials') {
        return send(200, {
          access_token: `cc-${++n}`,
          token_type: 'Bearer',
          expires_in: opts.expiresIn ?? 3600,
        });
      }
      if (form.grant_type === 'urn:ietf:params:oauth:grant-type:token-exchange') {
        if (form.subject_token !== opts.subjectToken) return send(400, { error: 'invalid_grant' });
        return send(200, {
          access_token: `exchanged-${++n}`,
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          token_type: 'Bearer',
          expires_in: opts.expiresIn ?? 3600,
        });
      }
      return send(400, { error: 'unsupported_grant_type' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    requests,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
