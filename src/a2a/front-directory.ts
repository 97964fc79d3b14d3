/**
 * What the gateway says about the agents it offers, as a whole: its own card (each agent a
 * skill, at /.well-known/agent-card.json) and the searchable agent directory (at /a2a, and as an
 * MCP resource). Both list only the agents the caller may use.
 */
import { AGENT_CARD_PATH, AgentCard } from '@a2a-js/sdk';
import { VERSION } from '../version.js';
import type { AgentEntry } from './front-agents.js';

/** The agent directory as an MCP resource of the gateway. */
export const A2A_AGENTS_RESOURCE = {
  uri: 'switchyard://a2a/agents',
  name: 'a2a-agents',
  title: 'A2A agents',
  description:
    'Every A2A agent the gateway offers (proxied, MCP servers served as agents, tool groups): cards, skills and URLs.',
  mimeType: 'application/json',
} as const;

/** The gateway's own card (its JSON form): each agent it offers is a skill. */
export function gatewayCard(name: string, origin: string, agents: readonly AgentEntry[]): unknown {
  const card: AgentCard = {
    name,
    description:
      'Switchyard agent gateway. Each skill is an agent it serves at /a2a/<skill id>; read that ' +
      "agent's card to call it. The searchable agent directory is at /a2a.",
    supportedInterfaces: [],
    provider: undefined,
    version: VERSION,
    capabilities: { streaming: false, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: agents.map((a) => {
      const card = a.card(`${origin}/a2a/${a.name}`);
      return {
        id: a.name,
        name: card?.name ?? a.name,
        description: `${card?.description ?? 'unavailable'} Card: ${origin}/a2a/${a.name}/${AGENT_CARD_PATH}`,
        tags: [...new Set([a.kind, ...(card?.skills.flatMap((s) => s.tags) ?? [])])],
        examples: [],
        inputModes: [],
        outputModes: [],
        securityRequirements: [],
      };
    }),
    signatures: [],
  };
  return AgentCard.toJSON(card);
}

/** The agent directory, searchable by text (`q`) and tag (`tag`). */
export function agentDirectory(
  origin: string,
  params: URLSearchParams,
  agents: readonly AgentEntry[],
): unknown {
  const q = params.get('q')?.toLowerCase();
  const tag = params.get('tag')?.toLowerCase();
  const listed = agents.flatMap((a) => {
    const base = `${origin}/a2a/${a.name}`;
    const card = a.card(base);
    const tags = [a.kind, ...(card?.skills.flatMap((s) => s.tags) ?? [])];
    const text = [
      a.name,
      card?.name,
      card?.description,
      ...(card?.skills.flatMap((s) => [s.id, s.name, s.description]) ?? []),
    ]
      .join(' ')
      .toLowerCase();
    if (q && !text.includes(q)) return [];
    if (tag && !tags.some((t) => t.toLowerCase() === tag)) return [];
    return [
      {
        name: a.name,
        kind: a.kind,
        ...(a.upstream ? { upstream: a.upstream } : {}),
        available: card !== undefined,
        url: base,
        cardUrl: `${base}/${AGENT_CARD_PATH}`,
        description: card?.description,
        skills:
          card?.skills.map((s) => ({ id: s.id, name: s.name, description: s.description, tags: s.tags })) ??
          [],
      },
    ];
  });
  return { agents: listed };
}
