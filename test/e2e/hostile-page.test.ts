/**
 * A hostile web page and the gateway on the user's machine (the documented start: loopback, a
 * SQLite file, no admin.token). A page from another site, a DNS-rebound page, and a page on
 * localhost each try the admin API — in a real browser — and get nowhere: Host/Origin checks on
 * every route, JSON-only admin writes, an admin token the page cannot know, and no stdio
 * upstreams from the admin API.
 */
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Browser } from 'playwright-core';
import { haveChromium, launchBrowser } from '../support/browser.js';
import { runCli } from '../support/cli.js';
import { stdioFixture } from '../support/fixtures.js';
import { adminFetch, startGateway, type TestGateway } from '../support/gateway.js';

/** A stdio upstream whose start would prove the attack worked: it creates `marker`. */
const pwn = (marker: string) => ({
  name: 'pwn',
  mcp: {
    command: process.execPath,
    args: ['-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`],
  },
});

/** Status of a raw request with the given Host header (fetch cannot set Host). */
function statusWithHost(url: string, path: string, host: string, method = 'GET'): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const r = request({ host: u.hostname, port: u.port, path, method, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    r.on('error', reject);
    r.end();
  });
}

describe('a web page against the gateway on the same machine', () => {
  let dir: string;
  let gw: TestGateway;
  let pages: Server;
  let pagePort: number;
  let browser: Browser | undefined;
  let marker: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'swy-page-'));
    marker = join(dir, 'pwned');
    // The documented start: a SQLite file, no admin.token configured.
    gw = await startGateway({
      store: `sqlite:${join(dir, 'data', 'db.sqlite')}`,
      admin: { token: undefined },
    });
    // The attacker's page: posts a stdio upstream to the admin API as a "simple" request (no
    // preflight), and reports what it could read.
    const attack = (target: string) => `<!doctype html><script>
      window.results = (async () => {
        const spec = ${JSON.stringify(JSON.stringify(pwn(marker)))};
        const out = {};
        for (const [name, init] of [
          ['simple', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: spec }],
          ['no-cors', { method: 'POST', mode: 'no-cors', body: spec }],
          ['json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: spec }],
        ]) {
          try { const r = await fetch('${target}/admin/upstreams', init); out[name] = r.type === 'opaque' ? 'opaque' : r.status; }
          catch (e) { out[name] = 'blocked'; }
        }
        for (const path of ['/readyz', '/metrics', '/admin/upstreams', '/healthz']) {
          try { const r = await fetch('${target}' + path); out[path] = r.status; }
          catch (e) { out[path] = 'blocked'; }
        }
        return out;
      })();
    </script>`;
    pages = createServer((req, res) => {
      const target = new URL(req.url ?? '/', 'http://x').searchParams.get('target') ?? '';
      res.writeHead(200, { 'content-type': 'text/html' }).end(attack(target));
    });
    await new Promise<void>((r) => pages.listen(0, '127.0.0.1', r));
    pagePort = (pages.address() as AddressInfo).port;
    if (haveChromium) browser = await launchBrowser(['evil.test']);
  });

  afterAll(async () => {
    await browser?.close();
    pages?.close();
    await gw?.stop();
  });

  const gwOrigin = () => gw.url.replace(/\/mcp$/, '');

  /** Open `pageUrl` in a fresh context and return what its script reported. */
  async function visit(pageUrl: string, fulfil?: string): Promise<Record<string, unknown>> {
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      if (fulfil) {
        // DNS rebinding: the attacker's DNS first answers with its own server (which serves the
        // page), then with 127.0.0.1. The first answer is played here; later requests go out.
        await page.route(pageUrl, (route) =>
          route.fulfill({ status: 200, contentType: 'text/html', body: fulfil }),
        );
      }
      await page.goto(pageUrl);
      return (await page.evaluate('window.results')) as Record<string, unknown>;
    } finally {
      await context.close();
    }
  }

  it.skipIf(!haveChromium)('a page from another site is refused on every route (Origin)', async () => {
    const results = await visit(`http://evil.test:${pagePort}/?target=${gwOrigin()}`);
    // Readable answers are blocked by CORS; what matters is what the gateway did.
    expect(results.json).toBe('blocked'); // the preflight is refused
    expect(existsSync(marker)).toBe(false);
    expect(gw.gateway.core.status().map((u) => u.name)).not.toContain('pwn');
    expect(await gw.gateway.core.store.upstreams.list()).toEqual([]);
  });

  it.skipIf(!haveChromium)('a DNS-rebound page is refused on every route (Host)', async () => {
    const port = new URL(gw.url).port;
    const pageUrl = `http://evil.test:${port}/`;
    const res = await fetch(`http://127.0.0.1:${pagePort}/?target=`);
    // Same origin as the gateway by name: every request it makes carries Host: evil.test:<port>.
    const results = await visit(pageUrl, await res.text());
    expect(results).toMatchObject({
      simple: 403,
      json: 403,
      '/readyz': 403,
      '/metrics': 403,
      '/admin/upstreams': 403,
      '/healthz': 403,
    });
    expect(existsSync(marker)).toBe(false);
    expect(await gw.gateway.core.store.upstreams.list()).toEqual([]);
  });

  it.skipIf(!haveChromium)('a page on localhost (an allowed origin) cannot use the admin API', async () => {
    const results = await visit(`http://localhost:${pagePort}/?target=${gwOrigin()}`);
    // text/plain is refused before anything else; JSON needs a preflight the gateway does not grant.
    expect(results.json).toBe('blocked');
    expect(existsSync(marker)).toBe(false);
    expect(await gw.gateway.core.store.upstreams.list()).toEqual([]);
  });

  it('the same requests from a local program: no token, no admin; text/plain refused', async () => {
    const admin = `${gwOrigin()}/admin/upstreams`;
    const body = JSON.stringify(pwn(marker));
    const plain = await fetch(admin, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
    expect(plain.status).toBe(415);
    const noToken = await fetch(admin, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(noToken.status).toBe(401);
    expect((await fetch(admin)).status).toBe(401);
    expect(existsSync(marker)).toBe(false);
  });

  it('Host is checked on /readyz, /metrics, /healthz and /admin too', async () => {
    for (const path of ['/readyz', '/metrics', '/healthz', '/admin/upstreams', '/a2a', '/mcp']) {
      expect(await statusWithHost(gw.url, path, 'evil.example')).toBe(403);
    }
    expect(await statusWithHost(gw.url, '/readyz', `localhost:${new URL(gw.url).port}`)).toBe(200);
  });

  it('creates the admin token on first start (0600, next to the store) and `admin token` prints it', async () => {
    const file = join(dir, 'data', 'db.sqlite.admin-token');
    expect(gw.gateway.core.adminToken).toMatchObject({ file, created: true });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = gw.gateway.core.adminToken.token!;
    expect(token).toMatch(/^swy_admin_[A-Za-z0-9_-]{43}$/);
    const config = join(dir, 'switchyard.yaml');
    writeFileSync(config, stringify({ store: `sqlite:${join(dir, 'data', 'db.sqlite')}` }));
    const printed = await runCli(['admin', 'token', '--config', config]);
    expect(printed.stdout.trim()).toBe(token);
    const ok = await fetch(`${gwOrigin()}/admin/upstreams`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(200);
  });
});

describe('upstreams added through the admin API', () => {
  let gw: TestGateway;
  let secrets: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-runtime-'));
    secrets = join(dir, 'secrets');
    mkdirSync(secrets);
    writeFileSync(join(secrets, 'docs'), 'Bearer from-a-file\n');
    writeFileSync(join(dir, 'elsewhere'), 'Bearer not-allowed\n');
    gw = await startGateway({ admin: { allowedFileDirs: [secrets] } });
  });
  afterAll(() => gw?.stop());

  const add = (spec: unknown) => adminFetch(gw, '/upstreams', { method: 'POST', body: JSON.stringify(spec) });
  const message = async (r: Response) => ((await r.json()) as { error: { message: string } }).error.message;

  it('may not run a command unless admin.allowStdioUpstreams', async () => {
    const r = await add({ name: 'cmd', mcp: stdioFixture('cmd') });
    expect(r.status).toBe(403);
    expect(await message(r)).toContain('stdio upstreams cannot be added at runtime');
    expect(gw.gateway.core.status().map((u) => u.name)).not.toContain('cmd');
  });

  it('get no ${VAR} expansion and no secret files outside admin.allowedFileDirs', async () => {
    process.env.SWY_TEST_RUNTIME_SECRET = 'from-the-environment';
    try {
      const env = await add({
        name: 'env',
        mcp: {
          url: 'http://127.0.0.1:9/mcp',
          headers: { authorization: 'Bearer ${SWY_TEST_RUNTIME_SECRET}' },
        },
      });
      expect(env.status).toBe(400);
      expect(await message(env)).toContain('mcp.headers.authorization: ${VAR} references are not expanded');
      const outside = await add({
        name: 'outside',
        mcp: {
          url: 'http://127.0.0.1:9/mcp',
          headerFiles: { authorization: join(secrets, '..', 'elsewhere') },
        },
      });
      expect(outside.status).toBe(400);
      expect(await message(outside)).toContain('is not inside a folder of admin.allowedFileDirs');
      const inside = await add({
        name: 'inside',
        mcp: { url: 'http://127.0.0.1:9/mcp', headerFiles: { authorization: join(secrets, 'docs') } },
      });
      expect(inside.status).toBe(201);
    } finally {
      delete process.env.SWY_TEST_RUNTIME_SECRET;
    }
  });

  it('a stored stdio upstream from before is not started', async () => {
    const now = Date.now();
    await gw.gateway.core.store.upstreams.insert({
      name: 'legacy',
      spec: { name: 'legacy', mcp: stdioFixture('legacy') },
      createdAt: now,
      updatedAt: now,
    });
    await gw.gateway.reload(gw.gateway.core.config);
    expect(gw.gateway.core.status().map((u) => u.name)).not.toContain('legacy');
  });
});
