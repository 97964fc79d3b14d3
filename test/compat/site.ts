/**
 * What the compatibility suite's servers reach instead of the internet, on 127.0.0.1: a page for
 * the browser servers, a minimal GitLab API for the GitLab server, and the feature-flag document
 * Desktop Commander fetches at start (so it neither goes online nor opens a welcome page).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const PAGE_PATH = '/page.html';
export const PAGE_TITLE = 'Switchyard compatibility page';
export const PAGE_HEADING = 'Hello from the compatibility suite';

/** No favicon request: a browser's console then says the same thing however fast it loads. */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${PAGE_TITLE}</title></head>
<body><h1>${PAGE_HEADING}</h1><p>Served on 127.0.0.1 by test/compat.</p></body></html>
`;

export const GITLAB_PROJECT = {
  id: 4180,
  name: 'switchyard',
  path_with_namespace: 'compat/switchyard',
  visibility: 'public',
  web_url: 'http://127.0.0.1/compat/switchyard',
  description: 'An MCP gateway',
  ssh_url_to_repo: 'git@127.0.0.1:compat/switchyard.git',
  http_url_to_repo: 'http://127.0.0.1/compat/switchyard.git',
  created_at: '2026-01-01T00:00:00.000Z',
  last_activity_at: '2026-01-02T00:00:00.000Z',
  default_branch: 'main',
};

export interface Site {
  /** Base URL, without a trailing slash. */
  url: string;
  close(): Promise<void>;
}

export async function startSite(): Promise<Site> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      res.end(body);
    };
    if (url.pathname === PAGE_PATH) return send(200, 'text/html; charset=utf-8', PAGE);
    if (url.pathname === '/desktop-commander/flags.json')
      return send(200, 'application/json', JSON.stringify({ flags: { welcome_page_enabled: false } }));
    if (url.pathname === '/gitlab/api/v4/projects') {
      const found = (url.searchParams.get('search') ?? '') === GITLAB_PROJECT.name ? [GITLAB_PROJECT] : [];
      return send(200, 'application/json', JSON.stringify(found), { 'x-total': String(found.length) });
    }
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
