/**
 * An upstream's lists as clients see them through the gateway, when the upstream announces list
 * changes in the middle of its own start (the way servers that register things after
 * `initialized` do): whatever the interleaving, the gateway ends up with everything it offers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { stdioListsFixture } from '../support/fixtures.js';
import { connect, startGateway, type TestGateway } from '../support/gateway.js';
import { LISTS, RACE_STATUS, REDEFINE } from '../support/lists-server.js';
import { waitFor } from '../support/wait.js';

describe('lists of an upstream that changes them while it starts', () => {
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    gw = await startGateway({ upstreams: [{ name: 'racy', mcp: stdioListsFixture({ LISTS_RACE: '1' }) }] });
    ({ client } = await connect(gw.url));
  });
  afterAll(async () => {
    await client?.close();
    await gw?.stop();
  });

  /** What a client sees of the upstream (the gateway's own resources left out). */
  async function seen() {
    return {
      tools: (await client.listTools()).tools.map((t) => t.name).sort(),
      prompts: (await client.listPrompts()).prompts.map((p) => p.name).sort(),
      resources: (await client.listResources()).resources
        .map((r) => r.uri)
        .filter((u) => !u.startsWith('switchyard://'))
        .sort(),
      templates: (await client.listResourceTemplates()).resourceTemplates
        .map((t) => t.uriTemplate)
        .filter((u) => !u.startsWith('switchyard://'))
        .sort(),
    };
  }

  it('offers every tool, prompt, resource and template the upstream offers', async () => {
    const offered = {
      tools: [...LISTS.tools, REDEFINE].map((t) => `racy.${t.name}`).sort(),
      prompts: LISTS.prompts.map((p) => `racy.${p.name}`).sort(),
      resources: LISTS.resources.map((r) => r.uri).sort(),
      templates: LISTS.resourceTemplates.map((t) => t.uriTemplate).sort(),
    };
    // First until the upstream has given its last held answer (before that, lists can look right
    // for a moment and still be overwritten), then until the refreshes it asked for are read.
    const status = async () => {
      const r = await client.readResource({ uri: RACE_STATUS }).catch(() => undefined);
      const first = r?.contents[0];
      return first && 'text' in first ? first.text : undefined;
    };
    await waitFor(async () => (await status()) === 'settled', {
      what: 'the upstream gave its last held answer',
    });
    let last = await seen();
    await waitFor(async () => JSON.stringify((last = await seen())) === JSON.stringify(offered), {
      what: 'the lists the upstream offers',
      tries: 200,
    }).catch(() => undefined); // the assertion below shows the difference
    expect(last).toEqual(offered);
  });
});
