/**
 * Compatibility with popular MCP servers from npm (servers.ts): each one is run directly with the
 * official SDK client and behind the real gateway, and whatever the direct client gets, a client
 * of the gateway must get too: every tool, prompt, resource and template (names prefixed
 * `<upstream>.`), and the same answers to real requests made offline.
 *
 * The servers are installed by `npm run compat:install` (test/compat/servers); without them the
 * suite is skipped, except in CI. The table in docs/compatibility.md is what this suite saw; it
 * fails when the committed copy differs (`npm run compat:doc` rewrites it).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { haveChromium } from '../support/browser.js';
import { adminFetch, startGateway, type TestGateway } from '../support/gateway.js';
import {
  connectHttp,
  connectStdio,
  keyOf,
  LIST_KINDS,
  newClient,
  normalize,
  readList,
  run,
  settle,
  sortByKey,
  startHttpServer,
  type DirectPeer,
  type Item,
  type ServerProcess,
} from './harness.js';
import {
  binPath,
  FIXTURE_FILE,
  FIXTURE_TEXT,
  installed,
  installedVersion,
  SERVERS,
  type Check,
  type Instance,
  type ServerSpec,
} from './servers.js';
import { startSite, type Site } from './site.js';
import { docWithTable, renderTable, writeDoc, type Row } from './table.js';

const missing = [...new Set(SERVERS.filter((s) => !installed(s)).map((s) => s.package))];
if (missing.length > 0) {
  const what = `the MCP servers of the compatibility suite (not installed: ${missing.join(', ')}; run \`npm run compat:install\`)`;
  if (process.env.CI) throw new Error(`CI needs ${what}`);
  console.warn(`\n[switchyard tests] test/compat is skipped: it needs ${what}.\n`);
}

/** Set by the global setup: the test database, or '' when Postgres is not reachable (CI fails there). */
const POSTGRES = process.env.SWITCHYARD_TEST_POSTGRES ?? '';

function unavailable(spec: ServerSpec): string | undefined {
  if (spec.needs === 'postgres' && !POSTGRES) return 'Postgres is not reachable';
  if (spec.needs === 'chromium' && !haveChromium) return 'Chromium is not installed';
  return undefined;
}

const skipped = SERVERS.filter((s) => unavailable(s));
for (const s of skipped)
  if (missing.length === 0)
    console.warn(`\n[switchyard tests] compat: ${s.name} is skipped: ${unavailable(s)}.\n`);

/** Waits for things a server does at its own pace (start, list_changed); never a bound on speed. */
const JOIN_MS = 90_000;
const SETTLE_MS = 20_000;

/** Test names are made before any instance exists; only the shape of the checks is read from this. */
const placeholderInstance: Instance = {
  dir: '<dir>',
  home: '<home>',
  site: '<site>',
  postgres: '<postgres>',
};

const rows = new Map<string, Row>();
let site: Site;

describe.skipIf(missing.length > 0)('compatibility with MCP servers from npm', () => {
  beforeAll(async () => {
    site = await startSite();
  });
  afterAll(async () => {
    await site?.close();
  });

  for (const spec of SERVERS) {
    describe.skipIf(unavailable(spec) !== undefined)(spec.name, () => {
      const dirs: string[] = [];
      let mine: Instance; // the direct client's copy of the server
      let theirs: Instance; // the gateway's copy (the same one for an HTTP server)
      let direct: DirectPeer | undefined;
      let http: ServerProcess | undefined;
      let gw: TestGateway | undefined;
      let behind: Client | undefined;
      /** Why the upstream is not ready in the gateway, once that is known. */
      let notReady: string | undefined;
      /** Lists read from the server directly: the row is complete when all of them were. */
      let listsRead = 0;
      const row: Row = {
        spec,
        version: installed(spec) ? installedVersion(spec) : 'not installed',
        counts: { tools: 0, prompts: 0, resources: 0, resourceTemplates: 0 },
        listErrors: [],
        tolerated: [],
        checks: spec.checks(placeholderInstance),
      };

      const instance = async (): Promise<Instance> => {
        const dir = await mkdtemp(join(tmpdir(), `swy-compat-${spec.name}-`));
        const home = await mkdtemp(join(tmpdir(), `swy-compat-home-`));
        dirs.push(dir, home);
        await writeFile(join(dir, FIXTURE_FILE), FIXTURE_TEXT);
        return { dir, home, site: site.url, postgres: POSTGRES };
      };

      beforeAll(async () => {
        mine = await instance();
        let upstream;
        if (spec.transport === 'stdio') {
          theirs = await instance();
          direct = await connectStdio(spec, spec.launch(mine));
          upstream = { command: binPath(spec), ...spec.launch(theirs) };
        } else {
          theirs = mine;
          http = await startHttpServer(spec, spec.launch(mine));
          direct = await connectHttp(spec, http.url);
          upstream = { url: http.url, transport: spec.transport };
        }
        gw = await startGateway({
          // Small pages: the merged lists are read through the gateway's own cursors.
          server: { pageSize: 10 },
          upstreams: [{ name: spec.name, mcp: upstream, startTimeoutMs: JOIN_MS }],
        });
        behind = newClient('switchyard-compat');
        await behind.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
      }, 180_000);

      afterAll(async () => {
        if (listsRead === LIST_KINDS.length) rows.set(spec.name, row);
        await behind?.close().catch(() => {});
        await gw?.stop();
        await direct?.close();
        await http?.stop();
        for (const d of dirs) await rm(d, { recursive: true, force: true });
      }, 60_000);

      it(
        'joins the gateway',
        async () => {
          const status = await settle(
            async () => {
              const res = await adminFetch(gw!, '/upstreams');
              const body = (await res.json()) as {
                upstreams: { name: string; state: string; error?: string; tolerated?: string[] }[];
              };
              return body.upstreams.find((u) => u.name === spec.name);
            },
            // Until its first attempt has ended: one that failed is a failure, whatever a retry does.
            (u) => u !== undefined && u.state !== 'starting',
            JOIN_MS,
          );
          if (status?.state !== 'ready')
            notReady = `${status?.state ?? 'missing'}: ${status?.error ?? '(no error)'}`;
          row.tolerated = status?.tolerated ?? [];
          if (notReady) expect.fail(`upstream ${spec.name} is not ready in the gateway (${notReady})`);
        },
        JOIN_MS + 30_000,
      );

      for (const kind of LIST_KINDS) {
        it(
          `lists the same ${kind}`,
          async () => {
            const mapped = (items: readonly Item[]) =>
              sortByKey(
                kind,
                kind === 'tools' || kind === 'prompts'
                  ? items.map((i) => ({ ...i, name: `${spec.name}.${String(i.name)}` }))
                  : items,
              );
            const readBoth = async () => {
              const [d, g] = await Promise.all([
                readList(direct!.client, kind, true),
                readList(behind!, kind, false),
              ]);
              return {
                expected: mapped(d.items),
                error: d.error,
                // The gateway's own resources (switchyard://…) are not the upstream's.
                seen: sortByKey(
                  kind,
                  g.items.filter((i) => !keyOf(kind, i).startsWith('switchyard://')),
                ),
              };
            };
            let last = await readBoth();
            if (!notReady) {
              last = await settle(
                readBoth,
                (v) => JSON.stringify(v.seen) === JSON.stringify(v.expected),
                SETTLE_MS,
              );
            }
            row.counts[kind] = last.expected.length;
            if (last.error) row.listErrors.push(last.error);
            listsRead++;
            if (notReady) expect.fail(`the upstream is not ready in the gateway (${notReady})`);
            expect(last.seen).toEqual(last.expected);
            // A list the server answers with an error is one the gateway says it tolerated (/readyz).
            if (last.error) {
              const method = last.error.split(':')[0]!;
              expect(row.tolerated).toContainEqual(
                expect.stringMatching(new RegExp(`^${method} failed \\(`)),
              );
            }
          },
          SETTLE_MS + 60_000,
        );
      }

      // One request after another (some depend on the ones before), each made directly and
      // through the gateway before the next.
      for (const [n, check] of spec.checks(placeholderInstance).entries()) {
        it(`answers ${describeCheck(check)} the same way`, async () => {
          const mineCheck = spec.checks(mine)[n]!;
          const theirCheck = spec.checks(theirs)[n]!;
          const paths = (i: Instance) => ({ [i.dir]: '<dir>', [i.home]: '<home>', [i.site]: '<site>' });
          const directResult = normalize(await run(direct!.client, mineCheck), paths(mine));
          const text = JSON.stringify(directResult);
          expect(
            (directResult as { isError?: boolean }).isError,
            `direct: ${text.slice(0, 2000)}`,
          ).toBeFalsy();
          if (check.expect) expect(text).toMatch(check.expect);
          if (notReady) expect.fail(`the upstream is not ready in the gateway (${notReady})`);
          const viaGateway = normalize(await run(behind!, prefixed(spec, theirCheck)), paths(theirs));
          expect(viaGateway).toEqual(directResult);
        }, 120_000);
      }
    });
  }

  it('docs/compatibility.md shows what the suite saw', async (ctx) => {
    if (skipped.length > 0) {
      console.warn(
        `\n[switchyard tests] compat: docs/compatibility.md is not compared (skipped: ${skipped.map((s) => s.name).join(', ')}).\n`,
      );
      ctx.skip();
    }
    const absent = SERVERS.filter((s) => !rows.has(s.name)).map((s) => s.name);
    expect(absent, 'servers that did not run').toEqual([]);
    const { expected, committed } = await docWithTable(renderTable(SERVERS.map((s) => rows.get(s.name)!)));
    if (process.env.SWY_COMPAT_WRITE) return writeDoc(expected);
    expect(
      committed,
      'docs/compatibility.md differs from what the suite saw: run `npm run compat:doc` (SWY_COMPAT_WRITE=1 vitest run test/compat) to update it',
    ).toBe(expected);
  });
});

function describeCheck(c: Check): string {
  if ('tool' in c) return `tools/call ${c.tool}`;
  if ('prompt' in c) return `prompts/get ${c.prompt}`;
  return `resources/read ${c.resource}`;
}

/** The same request as the gateway's client names it: tools and prompts carry the upstream prefix. */
function prefixed(spec: ServerSpec, c: Check): Check {
  if ('tool' in c) return { ...c, tool: `${spec.name}.${c.tool}` };
  if ('prompt' in c) return { ...c, prompt: `${spec.name}.${c.prompt}` };
  return c;
}
