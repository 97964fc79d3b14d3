/**
 * Fuzz: 100,000 generated requests at the admin API (generator in test/support/admin-fuzz.ts):
 * valid-shaped and mutated upstreams, keys, policies, catalog entries and imports, approvals,
 * DELETEs with odd names and broken escapes, GETs with odd queries; mostly with the admin token,
 * some without or with a wrong one, some as text/plain. The gateway is a real `switchyard serve`
 * child process. Nothing may crash, nothing may be logged as unhandled, no answer may be a 5xx or
 * carry internals, and the admin API still works afterwards.
 *
 * Safe: generated upstreams point at 127.0.0.1 port 1 or at a command that does not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminFuzz } from '../support/admin-fuzz.js';
import { configFile, ServeProcess } from '../support/cli.js';
import { stdioFixture } from '../support/fixtures.js';
import { gen } from '../support/fuzz.js';
import { fuzzHttp, judge, type Answer, type HttpInput } from '../support/http-fuzz.js';

const INPUTS = 100_000;
const TOKEN = 'fuzz-admin-token-0123456789';

function* take(n: number, make: () => HttpInput): Generator<HttpInput> {
  for (let i = 0; i < n; i++) yield make();
}

/**
 * An upstream's state in the admin API carries its last connection error for the operator (e.g.
 * "fetch failed: bad port"): that is by design, not a leak. Everything else is judged as usual.
 */
const check = (_input: HttpInput, answer: Answer) =>
  judge(
    answer.status < 300
      ? { ...answer, body: answer.body.replace(/"error":"(?:[^"\\]|\\.)*"/g, '"error":"…"') }
      : answer,
  );

describe('fuzz: the admin API', () => {
  let gw: ServeProcess;

  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${gw.base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
    });

  beforeAll(async () => {
    const file = configFile('fuzz-admin', {
      log: { level: 'error' },
      // Records are written at once: one that cannot be written fails next to its request.
      audit: { flushIntervalMs: 0 },
      admin: { token: TOKEN },
      // Catalog changes re-judge the upstreams, so the license policy runs too.
      licensePolicy: { allow: ['MIT', 'Apache-2.0'], deny_flags: ['non-commercial'] },
      upstreams: [{ name: 'fixture', mcp: stdioFixture('fixture') }],
    });
    gw = await ServeProcess.start(file);
  }, 60_000);
  afterAll(() => gw?.stop());

  it(
    `survives ${INPUTS} generated admin requests (bodies, names, escapes, queries, tokens)`,
    { timeout: 900_000 },
    async () => {
      const fuzz = new AdminFuzz(gen(20260212), TOKEN);
      const report = await fuzzHttp(
        gw,
        take(INPUTS, () => fuzz.next()),
        { learn: (i, a) => fuzz.learn(i, a), check },
      );
      // One assertion, so that a failing run shows all it found.
      const { crashes, failures, quarantined } = report;
      expect({ crashes, failures, quarantined }).toEqual({ crashes: [], failures: [], quarantined: {} });
      expect(report.sent).toBe(INPUTS);
      expect(report.kinds.valid).toBeGreaterThan(INPUTS * 0.35);
      expect(report.kinds.deep).toBeGreaterThan(200);
      expect(report.kinds.credentials).toBeGreaterThan(INPUTS * 0.05);
      // The generator reaches the handlers: additions, refusals of bad bodies and of bad tokens.
      expect(report.statuses[201]).toBeGreaterThan(1000);
      expect(report.statuses[400]).toBeGreaterThan(10_000);
      expect(report.statuses[401]).toBeGreaterThan(1000);

      // The admin API still works.
      expect(gw.alive).toBe(true);
      const list = await admin('/admin/upstreams');
      expect(list.status).toBe(200);
      expect(
        ((await list.json()) as { upstreams: { name: string }[] }).upstreams.map((u) => u.name),
      ).toContain('fixture');
      const added = await admin('/admin/policies', {
        method: 'POST',
        body: JSON.stringify({ name: 'after-fuzz', effect: 'allow', principals: ['*'] }),
      });
      expect(added.status).toBe(201);
      expect((await admin('/admin/policies/after-fuzz', { method: 'DELETE' })).status).toBe(204);
    },
  );
});
