/**
 * The AI artifact catalog through a running gateway: the license policy applied when upstreams
 * are started and when the catalog changes, the admin API, and the catalog and BOMs as MCP
 * resources read with the official SDK client.
 */
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { afterEach, describe, expect, it } from 'vitest';
import { BOM_CYCLONEDX_URI, BOM_SPDX_URI, CATALOG_URI, spdxGaps } from '../../src/catalog/index.js';
import { adminFetch, connect, startGateway, type TestGateway } from '../support/gateway.js';
import { stdioFixture } from '../support/fixtures.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const OPEN_MODEL = {
  name: 'example-org/open-model-1b',
  kind: 'model',
  version: '1.0',
  supplier: 'example-org',
  downloadLocation: 'https://huggingface.co/example-org/open-model-1b',
  releaseTime: '2025-07-01T00:00:00Z',
  license: { declared: 'OpenMDW-1.0' },
  relationships: { trainedOn: ['HuggingFaceFW/fineweb'] },
};
const FINEWEB = {
  name: 'HuggingFaceFW/fineweb',
  kind: 'dataset',
  supplier: 'HuggingFaceFW',
  downloadLocation: 'https://huggingface.co/datasets/HuggingFaceFW/fineweb',
  releaseTime: '2024-04-21T00:00:00Z',
  builtTime: '2024-04-01T00:00:00Z',
  datasetType: ['text'],
  license: { declared: 'ODC-By-1.0' },
};
const LLAMA = {
  name: 'meta-llama/Llama-3.1-8B-Instruct',
  kind: 'model',
  license: { declared: 'LicenseRef-Llama-3.1-Community' },
};

const config = () => ({
  licensePolicy: {
    allow: ['OpenMDW-1.0', 'Apache-2.0', 'MIT', 'ODC-By-1.0'],
    deny_flags: ['non-commercial' as const],
    warn_flags: ['acceptable-use-policy' as const],
  },
  catalog: [OPEN_MODEL, FINEWEB, LLAMA] as never[],
  upstreams: [
    { name: 'writer', mcp: stdioFixture('writer'), artifacts: ['example-org/open-model-1b'] },
    { name: 'chat', mcp: stdioFixture('chat'), artifacts: ['meta-llama/Llama-3.1-8B-Instruct'] },
    { name: 'later', mcp: stdioFixture('later'), artifacts: ['deepseek-ai/DeepSeek-R1'] },
  ],
});

describe('license policy and catalog in a running gateway', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
  });

  const admin = (path: string, init: RequestInit = {}) => adminFetch(gw!, path, init);

  it('refuses violating upstreams at start, serves the rest, and re-judges when the catalog changes', async () => {
    gw = await startGateway(config());
    const status = (name: string) => gw!.gateway.core.status().find((u) => u.name === name)!;
    expect(status('writer').state).toBe('ready');
    expect(status('chat')).toMatchObject({
      state: 'refused',
      error:
        'license policy: meta-llama/Llama-3.1-8B-Instruct (LicenseRef-Llama-3.1-Community): ' +
        'LicenseRef-Llama-3.1-Community is not in the allow list [rule allow]',
    });
    expect(status('later').error).toContain(
      '"deepseek-ai/DeepSeek-R1" is not in the catalog [rule unknown_artifacts]',
    );
    const { client } = await connect(gw.url);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('writer.echo');
    expect(tools.some((t) => t.startsWith('chat.') || t.startsWith('later.'))).toBe(false);

    // The admin API: the check, then adding the missing entry lets `later` start.
    const check = (await (await admin('/catalog/check')).json()) as Obj;
    expect(check.ok).toBe(false);
    expect(check.verdicts.map((v: Obj) => [v.name, v.verdict])).toEqual([
      ['writer', 'allow'],
      ['chat', 'refuse'],
      ['later', 'refuse'],
    ]);
    const added = await admin('/catalog', {
      method: 'POST',
      body: JSON.stringify({ name: 'deepseek-ai/DeepSeek-R1', kind: 'model', license: { declared: 'MIT' } }),
    });
    expect(added.status).toBe(201);
    expect(await added.json()).toEqual({ added: ['deepseek-ai/DeepSeek-R1'] });
    // Allowed now: it starts, and joins once up.
    await expect.poll(() => status('later').state, { timeout: 30_000 }).toBe('ready');
    await expect
      .poll(async () => (await client.listTools()).tools.map((t) => t.name))
      .toContain('later.echo');

    const one = (await (
      await admin(`/catalog/${encodeURIComponent('deepseek-ai/DeepSeek-R1')}`)
    ).json()) as Obj;
    expect(one).toMatchObject({ origin: 'store', effectiveLicense: 'MIT', flags: [] });
    const dup = await admin('/catalog', { method: 'POST', body: JSON.stringify(LLAMA) });
    expect(dup.status).toBe(409);
    expect(((await dup.json()) as Obj).error.message).toBe(
      'Catalog entry "meta-llama/Llama-3.1-8B-Instruct" already exists (defined in the config file)',
    );
    // A batch with one bad entry writes nothing.
    const bad = await admin('/catalog', {
      method: 'POST',
      body: JSON.stringify([
        { name: 'ok/one', kind: 'model', license: { declared: 'MIT' } },
        { name: 'bad/two', kind: 'model', license: { declared: 'MIT', concluded: 'GPL-3.0-only' } },
      ]),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Obj).error.message).toContain(
      'license.concluded: "GPL-3.0-only" conflicts',
    );
    expect((await admin(`/catalog/${encodeURIComponent('ok/one')}`)).status).toBe(404);
    expect((await admin(`/catalog/${encodeURIComponent(LLAMA.name)}`, { method: 'DELETE' })).status).toBe(
      409,
    );

    // Removing the entry refuses `later` again: it is stopped.
    const del = await admin(`/catalog/${encodeURIComponent('deepseek-ai/DeepSeek-R1')}`, {
      method: 'DELETE',
    });
    expect(del.status).toBe(204);
    expect(status('later').state).toBe('refused');
    await expect
      .poll(async () => (await client.listTools()).tools.map((t) => t.name))
      .not.toContain('later.echo');

    // An upstream added at runtime is judged before it is stored.
    const refusedAdd = await admin('/upstreams', {
      method: 'POST',
      body: JSON.stringify({
        name: 'extra',
        mcp: { url: 'http://127.0.0.1:9/mcp' },
        artifacts: [LLAMA.name],
      }),
    });
    expect(refusedAdd.status).toBe(409);
    expect(((await refusedAdd.json()) as Obj).error).toMatchObject({
      message: expect.stringContaining('Upstream "extra" is refused by the license policy'),
      data: { code: 'SWY_LICENSE_POLICY_REFUSED' },
    });
    expect(await gw.gateway.core.store.upstreams.get('extra')).toBeUndefined();
    await client.close();
  });

  it('serves the catalog and both BOMs as MCP resources and from the admin API', async () => {
    gw = await startGateway(config());
    const { client } = await connect(gw.url);
    const listed = (await client.listResources()).resources.map((r) => r.uri);
    expect(listed).toEqual(
      expect.arrayContaining(['fixture://static/hello', CATALOG_URI, BOM_CYCLONEDX_URI, BOM_SPDX_URI]),
    );
    // Reads of upstream resources still go upstream.
    expect((await client.readResource({ uri: 'fixture://static/hello' })).contents[0]).toMatchObject({
      text: 'hello from writer',
    });

    const read = async (uri: string) => {
      const { contents } = await client.readResource({ uri });
      expect(contents).toHaveLength(1);
      const [first] = contents;
      if (!first || !('text' in first)) throw new Error(`${uri}: expected text contents`);
      return { mimeType: first.mimeType, body: JSON.parse(first.text) as Obj };
    };
    const catalog = await read(CATALOG_URI);
    expect(catalog.body.entries.map((e: Obj) => e.name)).toEqual([
      'HuggingFaceFW/fineweb',
      'example-org/open-model-1b',
      'meta-llama/Llama-3.1-8B-Instruct',
    ]);
    expect(catalog.body.verdicts.find((v: Obj) => v.name === 'chat').verdict).toBe('refuse');

    const cdx = await read(BOM_CYCLONEDX_URI);
    expect(cdx.mimeType).toBe('application/vnd.cyclonedx+json');
    expect(
      await new Validation.JsonValidator(Spec.Version.v1dot6).validate(JSON.stringify(cdx.body)),
    ).toBeNull();
    // What runs: the refused upstreams are not in the BOM.
    expect(cdx.body.services.map((s: Obj) => s.name)).toEqual(['writer']);
    expect(
      cdx.body.components.find((c: Obj) => c.name === OPEN_MODEL.name).modelCard.modelParameters.datasets,
    ).toEqual([{ ref: `catalog:${FINEWEB.name}` }]);

    const spdx = await read(BOM_SPDX_URI);
    expect(spdx.body['@context']).toBe('https://spdx.org/rdf/3.0.1/spdx-context.jsonld');
    const types = (spdx.body['@graph'] as Obj[]).map((n) => n.type);
    expect(types).toEqual(
      expect.arrayContaining(['ai_AIPackage', 'dataset_DatasetPackage', 'simplelicensing_LicenseExpression']),
    );
    // Llama has no supplier, version, location or release time in this catalog: reported, not invented.
    expect(spdxGaps(spdx.body).every((g) => g.startsWith('ai_AIPackage meta-llama/'))).toBe(true);

    await expect(client.subscribeResource({ uri: CATALOG_URI })).rejects.toThrow(
      /resources\/subscribe on switchyard:\/\/catalog/,
    );

    const fromAdmin = await admin('/bom?format=cyclonedx&upstream=writer');
    expect(fromAdmin.headers.get('content-type')).toBe('application/vnd.cyclonedx+json');
    const only = (await fromAdmin.json()) as Obj;
    expect(only.components.map((c: Obj) => c.name).sort()).toEqual([FINEWEB.name, OPEN_MODEL.name]);
    const spdxAdmin = await admin('/bom?format=spdx');
    expect(spdxAdmin.headers.get('content-type')).toBe('application/spdx+json');
    expect((await admin('/bom?format=xml')).status).toBe(400);
    expect((await admin('/bom?upstream=chat')).status).toBe(404);
    await client.close();
  });

  it('imports cards through the admin API and reports bad ones', async () => {
    gw = await startGateway({ licensePolicy: { allow: ['MIT'] } });
    const { readFileSync } = await import('node:fs');
    const card = (dir: string) =>
      readFileSync(new URL(`../support/catalog/${dir}/README.md`, import.meta.url), 'utf8');
    const post = (query: string, body: string) =>
      adminFetch(gw!, `/catalog/import?${query}`, {
        method: 'POST',
        body,
        headers: { 'content-type': query.includes('modelpack') ? 'application/json' : 'text/markdown' },
      });
    const r1 = await post('format=huggingface&name=deepseek-ai/DeepSeek-R1', card('deepseek-r1'));
    expect(r1.status).toBe(201);
    expect(await r1.json()).toEqual({ added: ['deepseek-ai/DeepSeek-R1'] });
    const ds = await post('format=huggingface&name=HuggingFaceFW/fineweb', card('fineweb'));
    expect(ds.status).toBe(201);
    const entry = (await (
      await admin(`/catalog/${encodeURIComponent('HuggingFaceFW/fineweb')}`)
    ).json()) as Obj;
    expect(entry).toMatchObject({ kind: 'dataset', effectiveLicense: 'ODC-By-1.0' });

    const none = await post('format=huggingface&name=x/y', '---\nlanguage: [en]\n---\n');
    expect(none.status).toBe(400);
    expect(((await none.json()) as Obj).error).toMatchObject({
      message: 'Catalog: request body: the card declares no license (no `license:` in its front matter)',
      data: { code: 'SWY_CATALOG_INVALID' },
    });
    expect((await post('format=pdf', 'x')).status).toBe(400);
    expect((await post('format=huggingface', card('deepseek-r1'))).status).toBe(400);
  });

  it('logs each refusal and warning with the artifact, license and rule', async () => {
    const { PassThrough } = await import('node:stream');
    const { Gateway, validateConfig } = await import('../../src/index.js');
    const { createLogger } = await import('../../src/telemetry/logger.js');
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d) => (text += d));
    const cfg = config();
    const gateway = new Gateway(
      validateConfig({
        ...cfg,
        store: 'sqlite::memory:',
        reload: { watch: false },
        licensePolicy: {
          ...cfg.licensePolicy,
          allow: [...cfg.licensePolicy.allow, 'LicenseRef-Llama-3.1-Community'],
        },
      }),
      createLogger('warn', stream),
      { listen: false },
    );
    try {
      await gateway.start();
      await gateway.core.upstreamsStarted();
    } finally {
      await gateway.stop();
    }
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Obj);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        upstream: 'later',
        msg: 'upstream refused by the license policy; not started',
        findings: [
          'deepseek-ai/DeepSeek-R1: "deepseek-ai/DeepSeek-R1" is not in the catalog [rule unknown_artifacts]',
        ],
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        upstream: 'chat',
        msg: 'upstream allowed with license-policy warnings',
        findings: [
          'meta-llama/Llama-3.1-8B-Instruct (LicenseRef-Llama-3.1-Community): LicenseRef-Llama-3.1-Community carries acceptable-use-policy [rule warn_flags]',
        ],
      }),
    );
  });

  it('judges again on reload: a tightened policy stops an upstream, a loosened one starts it', async () => {
    gw = await startGateway(config());
    const status = (name: string) => gw!.gateway.core.status().find((u) => u.name === name)!;
    expect(status('writer').state).toBe('ready');
    const { validateConfig } = await import('../../src/config/load.js');
    const base = gw.gateway.config;
    await gw.gateway.reload(
      validateConfig({ ...base, licensePolicy: { ...base.licensePolicy!, allow: ['MIT'] } }),
    );
    expect(status('writer')).toMatchObject({
      state: 'refused',
      error: expect.stringContaining('OpenMDW-1.0 is not in the allow list'),
    });
    await gw.gateway.reload(validateConfig({ ...base, licensePolicy: undefined }));
    // Allowed again: they start, and join once up.
    await gw.gateway.core.upstreamsStarted();
    expect(status('writer').state).toBe('ready');
    // Without a policy the unknown artifact only warns: `later` runs too.
    expect(status('later').state).toBe('ready');
    expect(status('chat').state).toBe('ready');
  });

  it('refuses to start when the config file and the store define the same entry', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const store = `sqlite:${join(mkdtempSync(join(tmpdir(), 'swy-cat-')), 'db.sqlite')}`;
    gw = await startGateway({ store });
    expect((await admin('/catalog', { method: 'POST', body: JSON.stringify(LLAMA) })).status).toBe(201);
    await gw.stop();
    gw = undefined;
    await expect(startGateway({ store, catalog: [LLAMA] as never[] })).rejects.toThrow(
      /catalog entry "meta-llama\/Llama-3.1-8B-Instruct" defined both in the config file and in the store/,
    );
  });
});
