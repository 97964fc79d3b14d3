/**
 * Which gateway tools an agent may use on a caller's behalf, named the way models accept.
 *
 * An agent's `tools` list names gateway tools by glob (`docs.*`; policy/globs.ts, compared
 * case-sensitively) and A2A agents as `agent:<name>`: an upstream A2A agent is reached through its
 * bridged `send_message` tool, a declared agent through its `agent.<name>` tool. What the caller may not use under policy is left out, so the model never
 * sees it; calls still go through the whole data path, which checks again.
 */
import type { AgentConfig } from '../config/schema.js';
import type { RouteTable } from '../mcp/federation/route-table.js';
import type { JsonObject } from '../mcp/jsonrpc.js';
import { AGENT_TOOL } from '../bridge/a2a-to-mcp.js';
import { globMatcher } from '../policy/globs.js';
import type { ToolSpec } from './provider.js';

export interface AgentTool {
  /** The name the model sees: OpenAI function names allow only [A-Za-z0-9_-], up to 64. */
  modelName: string;
  /** The gateway's name for it (what MCP clients call, what policy and the ledger see). */
  gatewayName: string;
  spec: ToolSpec;
}

/** The name of the MCP backend whose tools are the declared agents (`agent.<name>`). */
export const AGENTS_UPSTREAM = 'agent';

/**
 * The tools `agent` may use, in the order of the gateway's tool list. `allowed` says whether the
 * caller may call a gateway tool (policy); `self` is left out unless named exactly, so `*` does
 * not make an agent its own tool.
 */
export function agentTools(
  agent: AgentConfig,
  routes: RouteTable,
  allowed: (gatewayName: string) => boolean,
): AgentTool[] {
  const toolPatterns = agent.tools.filter((p) => !p.startsWith('agent:'));
  const agentPatterns = agent.tools.filter((p) => p.startsWith('agent:')).map((p) => p.slice(6));
  const matchTool = globMatcher(toolPatterns);
  const matchAgent = globMatcher(agentPatterns);
  const exact = new Set(agent.tools);
  const out: AgentTool[] = [];
  const taken = new Set<string>();
  for (const tool of routes.tools) {
    const name = String(tool.name);
    const route = routes.tool(name);
    if (!route) continue;
    const upstream = route.upstream;
    // The agent an A2A-bridged or declared-agent tool stands for, if it is one.
    const agentName =
      upstream.kind === 'a2a' && route.name === AGENT_TOOL
        ? upstream.name
        : upstream.kind === 'agent'
          ? route.name
          : undefined;
    const self = upstream.kind === 'agent' && route.name === agent.name;
    const wanted = matchTool.test(name) || (agentName !== undefined && matchAgent.test(agentName));
    if (!wanted) continue;
    if (self && !exact.has(name) && !exact.has(`agent:${agent.name}`)) continue;
    if (!allowed(name)) continue;
    const modelName = uniqueName(name, taken);
    out.push({
      modelName,
      gatewayName: name,
      spec: {
        name: modelName,
        description: describe(tool, agentName),
        parameters: (tool.inputSchema as JsonObject | undefined) ?? { type: 'object', properties: {} },
      },
    });
  }
  return out;
}

function describe(tool: JsonObject, agentName: string | undefined): string {
  const text =
    typeof tool.description === 'string' && tool.description
      ? tool.description
      : typeof tool.title === 'string'
        ? tool.title
        : String(tool.name);
  return agentName ? `${text} (the agent "${agentName}")` : text;
}

/** `docs.search` → `docs_search`; a clash gets a numeric suffix. */
function uniqueName(gatewayName: string, taken: Set<string>): string {
  const base = gatewayName.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60) || 'tool';
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}
