/**
 * What the gateway tells a client at `initialize` about the servers behind it: the capabilities
 * (MCP §Capabilities: only what works) and the instructions.
 */
import type { JsonObject } from '../jsonrpc.js';
import type { UpstreamInfo } from '../upstream/backend.js';

/** Lists always work (possibly empty, with list_changed); the rest where an upstream offers it. */
export function mergedCapabilities(infos: readonly UpstreamInfo[]): JsonObject {
  const caps = infos.map((i) => i.capabilities);
  const tasks = caps.map((c) => c.tasks).filter((t) => t !== undefined);
  return {
    tools: { listChanged: true },
    prompts: { listChanged: true },
    resources: { subscribe: caps.some((c) => c.resources?.subscribe === true), listChanged: true },
    logging: {},
    ...(caps.some((c) => c.completions) ? { completions: {} } : {}),
    // Tasks (2025-11-25): task-augmented tools/call where an upstream offers it; list and cancel
    // are answered by the gateway for whichever upstreams support them.
    ...(tasks.some((t) => t.requests?.tools?.call)
      ? {
          tasks: {
            ...(tasks.some((t) => t.list) ? { list: {} } : {}),
            ...(tasks.some((t) => t.cancel) ? { cancel: {} } : {}),
            requests: { tools: { call: {} } },
          },
        }
      : {}),
  };
}

/** The configured instructions, or each upstream's own under its name. */
export function mergedInstructions(
  configured: string | undefined,
  upstreams: readonly { name: string; info: UpstreamInfo | undefined }[],
): string | undefined {
  if (configured) return configured;
  const parts = upstreams
    .filter((u) => u.info?.instructions)
    .map((u) => `## ${u.name}\n${u.info!.instructions}`);
  return parts.length ? `This gateway federates several MCP servers.\n\n${parts.join('\n\n')}` : undefined;
}
