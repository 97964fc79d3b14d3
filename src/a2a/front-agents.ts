/**
 * The agents the A2A front offers, and their cards: proxied A2A upstreams, MCP upstreams served
 * as agents, the declared agents the gateway runs, and configured tool groups.
 */
import type { AgentCard, AgentExtension } from '@a2a-js/sdk';
import type { AgentRuntime } from '../agents/runtime.js';
import type { CatalogView } from '../catalog/entry.js';
import type { ConsumerVerdict } from '../catalog/policy.js';
import type { AgentConfig, Config } from '../config/schema.js';
import type { RouteTable } from '../mcp/federation/route-table.js';
import type { Upstream } from '../mcp/upstream/upstream.js';
import { agentCard } from '../agents/a2a-executor.js';
import { servedCard, type ServedTool } from '../bridge/mcp-to-a2a.js';
import { modelLicenseExtension } from '../catalog/card-extension.js';
import { globMatcher } from '../policy/globs.js';
import { VERSION } from '../version.js';
import { gatewayInterfaces, rewriteCard } from './card.js';
import type { A2aUpstream } from './upstream.js';

export interface AgentEntry {
  name: string;
  kind: 'proxy' | 'mcp' | 'group' | 'agent';
  /** Which upstream it reaches (proxy, mcp), or the tools it groups. */
  upstream?: string;
  /** The agent's card as served at `base` (undefined while a proxied agent is unavailable). */
  card(base: string): AgentCard | undefined;
  /** The gateway tools it runs (MCP servers and groups served as agents). */
  tools?(): ServedTool[];
}

/** What the registry needs of the gateway. */
export interface AgentRegistryDeps {
  readonly config: Config;
  readonly agents: Pick<AgentRuntime, 'model'>;
  /** The federated tools, prompts and resources, as routed now. */
  routes(): RouteTable;
  a2aUpstreams(): A2aUpstream[];
  mcpUpstreams(): Upstream[];
  servedAgents(): AgentConfig[];
  agentLicense(name: string): { view: CatalogView; verdict: ConsumerVerdict } | undefined;
}

type ToolFilter = (t: { name: string; upstream: string }) => boolean;

export class AgentRegistry {
  private cache: { routes: RouteTable; config: Config; agents: AgentEntry[] } | undefined;

  constructor(private readonly core: AgentRegistryDeps) {}

  /**
   * Every agent offered now. Built once per route table and config snapshot (both are replaced
   * whole when anything changes), so a request only looks its agent up; tools and cards are
   * computed on first use.
   */
  all(): AgentEntry[] {
    const routes = this.core.routes();
    const config = this.core.config;
    if (this.cache?.routes === routes && this.cache.config === config) return this.cache.agents;
    const out: AgentEntry[] = [];
    const taken = new Set<string>();
    for (const u of this.core.a2aUpstreams()) {
      taken.add(u.name);
      const upstreamCard = u.card;
      out.push({
        name: u.name,
        kind: 'proxy',
        upstream: u.name,
        card: perBase((base) => (upstreamCard ? this.presentProxied(upstreamCard, base) : undefined)),
      });
    }
    const served = (name: string, description: string, filter: ToolFilter) => {
      const tools = once(() => this.toolsOf(filter));
      return {
        tools,
        card: perBase((base) => ({
          ...servedCard({ name, description, version: VERSION }, tools()),
          supportedInterfaces: gatewayInterfaces(base),
          ...this.security(),
        })),
      };
    };
    if (config.a2a.serveMcpUpstreams) {
      for (const u of this.core.mcpUpstreams()) {
        taken.add(u.name);
        const description =
          u.info?.instructions ??
          `MCP server "${u.name}"${u.info?.serverInfo?.name ? ` (${String(u.info.serverInfo.name)})` : ''}, served as an A2A agent: one skill per tool.`;
        out.push({
          name: u.name,
          kind: 'mcp',
          upstream: u.name,
          ...served(u.name, description, (t) => t.upstream === u.name),
        });
      }
    }
    // Declared agents, running on the gateway's models (the license policy may refuse some).
    for (const a of this.core.servedAgents()) {
      taken.add(a.name);
      const model = this.core.agents.model(a);
      const license = this.core.agentLicense(a.name);
      const extensions: AgentExtension[] = license
        ? [modelLicenseExtension(license.view, license.verdict) as AgentExtension]
        : [];
      out.push({
        name: a.name,
        kind: 'agent',
        card: perBase((base) => ({
          ...agentCard(a, model, VERSION, extensions),
          supportedInterfaces: gatewayInterfaces(base),
          ...this.security(),
        })),
      });
    }
    for (const g of config.a2a.groups) {
      if (taken.has(g.name)) continue;
      const match = globMatcher(g.tools);
      const description = g.description ?? `Tools of the group "${g.name}".`;
      out.push({ name: g.name, kind: 'group', ...served(g.name, description, (t) => match.test(t.name)) });
    }
    this.cache = { routes, config, agents: out };
    return out;
  }

  /** The agent of that name as offered now. */
  get(name: string): AgentEntry | undefined {
    return this.all().find((a) => a.name === name);
  }

  /** A proxied agent's card as clients see it: the gateway's interfaces and security. */
  presentProxied(card: AgentCard, base: string): AgentCard {
    return { ...rewriteCard(card, base), ...this.security() };
  }

  /** The gateway tools matching a filter, with the upstream each comes from. */
  private toolsOf(filter: ToolFilter): ServedTool[] {
    const routes = this.core.routes();
    const out: ServedTool[] = [];
    for (const tool of routes.tools) {
      const name = String(tool.name);
      const route = routes.tool(name);
      if (route && filter({ name, upstream: route.upstream.name })) out.push({ name, tool });
    }
    return out;
  }

  /**
   * What the cards the gateway serves say about authentication: the gateway's own (a bearer API
   * key or access token) when it requires one. A proxied agent's own schemes are not the client's
   * business: the gateway authenticates to it with the configured headers.
   */
  private security(): Pick<AgentCard, 'securitySchemes' | 'securityRequirements'> {
    if (!this.core.config.auth.required) return { securitySchemes: {}, securityRequirements: [] };
    return {
      securitySchemes: {
        bearer: {
          scheme: {
            $case: 'httpAuthSecurityScheme',
            value: {
              description: 'A Switchyard API key or access token',
              scheme: 'Bearer',
              bearerFormat: '',
            },
          },
        },
      },
      securityRequirements: [{ schemes: { bearer: { list: [] } } }],
    };
  }
}

/** A value computed on first use. */
function once<T>(make: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = make();
      done = true;
    }
    return value;
  };
}

/** A card per base URL (the host clients used), built on first use; a few hosts are kept. */
function perBase<T>(make: (base: string) => T): (base: string) => T {
  const byBase = new Map<string, T>();
  return (base) => {
    if (byBase.size >= 8 && !byBase.has(base)) byBase.clear();
    if (!byBase.has(base)) byBase.set(base, make(base));
    return byBase.get(base)!;
  };
}
