/**
 * What the relay reads of A2A 1.0 JSON on the wire (relay.ts): the tasks and contexts a message
 * names, the task an answer or a stream event names, and where a stream's events end. Nothing
 * else of a relayed message or answer is decoded.
 */
import { createParser } from 'eventsource-parser';
import { eventEnds } from '../mcp/upstream/response-limit.js';

/** A message as A2A 1.0 sends it in JSON: what the relay reads of it. */
export interface WireMessage {
  taskId?: unknown;
  task_id?: unknown;
  contextId?: unknown;
  context_id?: unknown;
  parts?: unknown;
}

/**
 * The tasks and contexts a message names. Protobuf JSON parsers (the A2A SDKs') take a field by its
 * JSON name or its proto name (`taskId` or `task_id`), so both are read: the caller must own every
 * one, whichever the agent takes.
 */
export function messageIds(message: WireMessage | undefined): { taskIds: string[]; contextIds: string[] } {
  const named = (...values: unknown[]) => [
    ...new Set(values.filter((v) => v !== undefined && v !== null && v !== '').map(String)),
  ];
  return {
    taskIds: named(message?.taskId, message?.task_id),
    contextIds: named(message?.contextId, message?.context_id),
  };
}

/** The task (and context) an answer or stream event names, in A2A 1.0 JSON (either field name). */
export function idsOf(result: unknown): { taskId: string; contextId: string } | undefined {
  if (!result || typeof result !== 'object') return undefined;
  type Named = {
    id?: unknown;
    taskId?: unknown;
    task_id?: unknown;
    contextId?: unknown;
    context_id?: unknown;
  };
  const r = result as Record<string, Named | undefined>;
  const str = (...v: unknown[]) => String(v.find((x) => typeof x === 'string' && x) ?? '');
  const task = r.task;
  if (task && typeof task === 'object' && str(task.id))
    return { taskId: str(task.id), contextId: str(task.contextId, task.context_id) };
  const named = r.message ?? r.statusUpdate ?? r.status_update ?? r.artifactUpdate ?? r.artifact_update;
  if (!named || typeof named !== 'object') return undefined;
  const taskId = str(named.taskId, named.task_id);
  return taskId ? { taskId, contextId: str(named.contextId, named.context_id) } : undefined;
}

/** An SSE event's data as JSON (the JSON-RPC response's result), or undefined. */
export function dataOf(event: Buffer, jsonRpc: boolean): unknown {
  let data = '';
  createParser({ onEvent: (e) => (data = e.data) }).feed(event.toString('utf8'));
  try {
    const json = JSON.parse(data) as { result?: unknown };
    return jsonRpc ? json?.result : json;
  } catch {
    return undefined;
  }
}

/** Splits a stream into whole SSE events, each with the blank line that ends it. */
export class EventReader {
  private parts: Buffer[] = [];
  private size = 0;
  private last = -1;

  /** The events this chunk completes. */
  add(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    for (const end of eventEnds(chunk, this.last)) {
      const piece = chunk.subarray(start, end);
      out.push(this.parts.length ? Buffer.concat([...this.parts, piece]) : piece);
      this.parts = [];
      this.size = 0;
      start = end;
    }
    if (start < chunk.length) {
      this.parts.push(chunk.subarray(start));
      this.size += chunk.length - start;
    }
    if (chunk.length) this.last = chunk[chunk.length - 1]!;
    return out;
  }

  /** How much of an event not yet whole has arrived. */
  get pendingBytes(): number {
    return this.size;
  }

  /** What is left of an event not yet whole. */
  rest(): Buffer {
    const rest = Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    return rest;
  }
}
