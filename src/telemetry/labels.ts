/**
 * Metric label values that come from what clients send. Each distinct set of labels is a time
 * series the registry keeps for the life of the process, so only known values become labels:
 * anything else is counted as `other`, and every value is cut to a bounded length.
 */
import { ClientRequestSchema } from '@modelcontextprotocol/sdk/types.js';

/** The label of anything a client sent that is not a known method or operation. */
export const OTHER = 'other';

/** Longest label value kept (tool names and upstream names come from the route table and config). */
const MAX_LABEL_LENGTH = 128;

/** The requests an MCP client may send (MCP 2025-11-25, as the SDK's schema lists them). */
export const MCP_METHODS: ReadonlySet<string> = new Set(
  ClientRequestSchema.options.map((o) => o.shape.method.value),
);

/** A2A JSON-RPC methods (v1.0, and v0.3 requests). */
export const A2A_RPC_METHODS: ReadonlySet<string> = new Set([
  'SendMessage',
  'SendStreamingMessage',
  'GetTask',
  'ListTasks',
  'CancelTask',
  'SubscribeToTask',
  'CreateTaskPushNotificationConfig',
  'GetTaskPushNotificationConfig',
  'ListTaskPushNotificationConfigs',
  'DeleteTaskPushNotificationConfig',
  'GetExtendedAgentCard',
  // v0.3
  'message/send',
  'message/stream',
  'tasks/get',
  'tasks/cancel',
  'tasks/resubscribe',
  'tasks/pushNotificationConfig/set',
  'tasks/pushNotificationConfig/get',
  'tasks/pushNotificationConfig/list',
  'tasks/pushNotificationConfig/delete',
  'agent/getAuthenticatedExtendedCard',
]);

/** What the A2A front calls requests on its REST routes and card paths (a2a/front-request.ts). */
const A2A_OTHER_OPERATIONS = [
  'GetAgentCard',
  'GET pushNotificationConfigs',
  'POST pushNotificationConfigs',
  'DELETE pushNotificationConfigs',
  'jsonrpc',
];

/** Records the pipeline makes that are not client requests (a refused credential). */
const GATEWAY_OPERATIONS = ['authenticate'];

const KNOWN_METHODS: ReadonlySet<string> = new Set([
  ...MCP_METHODS,
  ...A2A_RPC_METHODS,
  ...A2A_OTHER_OPERATIONS,
  ...GATEWAY_OPERATIONS,
]);

/** The `method` label of a request record: a known MCP method or A2A operation, else `other`. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : OTHER;
}

/** A label value of bounded length. */
export function capped(value: string): string {
  return value.length > MAX_LABEL_LENGTH ? value.slice(0, MAX_LABEL_LENGTH) : value;
}
