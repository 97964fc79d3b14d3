import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { buildRouteTable } from '../mcp/federation/route-table.js';
import type { Upstream } from '../mcp/upstream/upstream.js';
import { Authorizer } from './authz.js';
import type { Principal } from './principal.js';

const who = (name: string, ...groups: string[]): Principal => ({ name, groups, via: 'api-key' });

function upstream(name: string, offers: { tools?: string[]; prompts?: string[]; templates?: string[] }) {
  const lists = {
    tools: (offers.tools ?? []).map((t) => ({ name: t, inputSchema: { type: 'object' } })),
    prompts: (offers.prompts ?? []).map((p) => ({ name: p })),
    resources: [],
    resourceTemplates: (offers.templates ?? []).map((t) => ({ uriTemplate: t, name: t })),
  };
  return {
    name,
    state: 'ready',
    spec: { prefix: 'always' },
    lists,
    lastKnownLists: lists,
  } as never as Upstream;
}

const routes = buildRouteTable(
  [
    upstream('docs', { tools: ['search', 'delete'] }),
    upstream('crm', { prompts: ['summary'] }),
    upstream('files', { templates: ['file:///{path}'] }),
    upstream('empty', {}),
  ],
  '.',
);

function authorizer(policies: unknown[]): { authz: Authorizer; config: { current: Config } } {
  const config = { current: validateConfig({ policies }) };
  return { authz: new Authorizer(() => config.current), config };
}

const usable = (authz: Authorizer, p: Principal | undefined) =>
  ['docs', 'crm', 'files', 'empty'].filter((u) => authz.mayUseUpstream(routes, p, u));

describe('who may use an upstream (what it sends outside a call goes only to them)', () => {
  it('is everyone, known or not, without policies', () => {
    const { authz } = authorizer([]);
    expect(usable(authz, who('ann'))).toEqual(['docs', 'crm', 'files', 'empty']);
    expect(usable(authz, undefined)).toEqual(['docs', 'crm', 'files', 'empty']);
  });

  it('is whoever policy allows at least one thing the upstream offers', () => {
    const { authz } = authorizer([
      { name: 'dev', effect: 'allow', principals: ['group:dev'], upstreams: ['docs'] },
      { name: 'no-delete', effect: 'deny', principals: ['*'], tools: ['*delete*'] },
      { name: 'ops-summary', effect: 'allow', principals: ['olga'], prompts: ['crm.summary'] },
      { name: 'files', effect: 'allow', principals: ['fay'], resources: ['file:///*'] },
      { name: 'just-delete', effect: 'allow', principals: ['dan'], tools: ['docs.delete'] },
    ]);
    expect(usable(authz, who('ann', 'dev'))).toEqual(['docs']);
    expect(usable(authz, who('olga'))).toEqual(['crm']);
    expect(usable(authz, who('fay'))).toEqual(['files']);
    // Allowed one tool that a deny takes away: nothing left on docs.
    expect(usable(authz, who('dan'))).toEqual([]);
    expect(usable(authz, who('bob'))).toEqual([]);
    // Not known yet (a session restored from the store before its next request): nothing.
    expect(usable(authz, undefined)).toEqual([]);
  });

  it('follows the rules as they change (runtime rules, a reload)', () => {
    const { authz, config } = authorizer([
      { name: 'dev', effect: 'allow', principals: ['group:dev'], upstreams: ['docs'] },
    ]);
    expect(usable(authz, who('bob'))).toEqual([]);
    authz.runtime = validateConfig({
      policies: [{ name: 'bob-crm', effect: 'allow', principals: ['bob'], upstreams: ['crm'] }],
    }).policies;
    expect(usable(authz, who('bob'))).toEqual(['crm']);
    authz.runtime = [];
    expect(usable(authz, who('bob'))).toEqual([]);
    config.current = validateConfig({ policies: [{ effect: 'allow', principals: ['bob'] }] });
    expect(usable(authz, who('bob'))).toEqual(['docs', 'crm', 'files']);
  });
});
