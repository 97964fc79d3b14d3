/**
 * A small local token issuer for tests: an ES256 key pair, its JWKS served over HTTP on a free
 * loopback port, and a signer for access tokens with chosen claims.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TestIssuer {
  issuer: string;
  jwksUrl: string;
  publicJwk: JWK;
  /** Sign a token; `exp` defaults to in 5 minutes. */
  sign(
    claims: Record<string, unknown>,
    opts?: { expiresIn?: number | string; key?: CryptoKey; kid?: string },
  ): Promise<string>;
  /** JWKS fetches served so far. */
  fetches: number;
  stop(): Promise<void>;
}

export async function startIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === '/jwks.json') {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer: TestIssuer = {
    issuer: base,
    jwksUrl: `${base}/jwks.json`,
    publicJwk,
    get fetches() {
      return fetches;
    },
    async sign(claims, opts = {}) {
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: opts.kid ?? 'k1' })
        .setIssuedAt();
      if (claims.iss === undefined) jwt.setIssuer(base);
      if (claims.exp === undefined) jwt.setExpirationTime(opts.expiresIn ?? '5m');
      return jwt.sign(opts.key ?? privateKey);
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
  return issuer;
}
