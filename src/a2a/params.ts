/**
 * The shape of A2A request params, checked before the SDK's handlers see them (JSON-RPC and
 * HTTP+JSON, v1.0 and v0.3). The SDK decodes what it is given without checking types, so a task
 * id sent as an object or a part that is a number would fail deep inside it as an internal error;
 * here it is the client's error, -32602 (JSON-RPC) or 400 (HTTP+JSON), naming the path.
 *
 * Only what the protocol defines is checked; fields it does not know pass through (newer
 * protocol versions add fields).
 */
import { z } from 'zod';

const id = z.string().max(1024);
const ids = z.array(z.string()).max(1024);
const object = z.record(z.string(), z.unknown());
const loose = <T extends z.core.$ZodLooseShape>(shape: T) => z.looseObject(shape);

// ---- v1.0 (the JSON form of the protobuf messages; A2A §4, §9) ----------------------------

const partV1 = loose({
  text: z.string().optional(),
  raw: z.string().optional(),
  url: z.string().optional(),
  data: z.unknown().optional(),
  metadata: object.optional(),
  filename: z.string().optional(),
  mediaType: z.string().optional(),
});

const messageV1 = loose({
  messageId: id,
  role: z.union([z.string(), z.number()]),
  parts: z.array(partV1),
  contextId: id.optional(),
  taskId: id.optional(),
  metadata: object.optional(),
  extensions: ids.optional(),
  referenceTaskIds: ids.optional(),
});

const pushConfigV1 = loose({
  tenant: z.string().optional(),
  id: id.optional(),
  taskId: id.optional(),
  url: z.string(),
  token: z.string().optional(),
  authentication: loose({ scheme: z.string(), credentials: z.string().optional() }).optional(),
});

const sendV1 = loose({
  tenant: z.string().optional(),
  message: messageV1,
  configuration: loose({
    acceptedOutputModes: ids.optional(),
    taskPushNotificationConfig: pushConfigV1.optional(),
    historyLength: z.number().int().optional(),
    returnImmediately: z.boolean().optional(),
    blocking: z.boolean().optional(),
  }).optional(),
  metadata: object.optional(),
});

const taskV1 = loose({ tenant: z.string().optional(), id, historyLength: z.number().int().optional() });
const pushByIdV1 = loose({ tenant: z.string().optional(), taskId: id, id });

const V1: Record<string, z.ZodType> = {
  SendMessage: sendV1,
  SendStreamingMessage: sendV1,
  GetTask: taskV1,
  CancelTask: loose({ tenant: z.string().optional(), id, metadata: object.optional() }),
  SubscribeToTask: loose({ tenant: z.string().optional(), id }),
  ListTasks: loose({
    tenant: z.string().optional(),
    contextId: z.string().optional(),
    status: z.union([z.string(), z.number()]).optional(),
    pageSize: z.number().int().optional(),
    pageToken: z.string().optional(),
    historyLength: z.number().int().optional(),
    statusTimestampAfter: z.string().optional(),
    includeArtifacts: z.boolean().optional(),
  }),
  CreateTaskPushNotificationConfig: pushConfigV1.extend({ taskId: id }),
  GetTaskPushNotificationConfig: pushByIdV1,
  DeleteTaskPushNotificationConfig: pushByIdV1,
  ListTaskPushNotificationConfigs: loose({
    tenant: z.string().optional(),
    taskId: id,
    pageSize: z.number().int().optional(),
    pageToken: z.string().optional(),
  }),
  GetExtendedAgentCard: loose({ tenant: z.string().optional() }),
};

// ---- v0.3 ------------------------------------------------------------------------------------

const fileV03 = loose({
  bytes: z.string().optional(),
  uri: z.string().optional(),
  mimeType: z.string().optional(),
  name: z.string().optional(),
}).refine((f) => f.bytes !== undefined || f.uri !== undefined, 'a file needs bytes or uri');

const partV03 = z.discriminatedUnion('kind', [
  loose({ kind: z.literal('text'), text: z.string(), metadata: object.optional() }),
  loose({ kind: z.literal('file'), file: fileV03, metadata: object.optional() }),
  loose({ kind: z.literal('data'), data: object, metadata: object.optional() }),
]);

const messageV03 = loose({
  kind: z.literal('message').optional(),
  messageId: id,
  role: z.enum(['user', 'agent']),
  parts: z.array(partV03),
  contextId: id.optional(),
  taskId: id.optional(),
  metadata: object.optional(),
  extensions: ids.optional(),
  referenceTaskIds: ids.optional(),
});

const pushConfigV03 = loose({
  id: id.optional(),
  url: z.string(),
  token: z.string().optional(),
  authentication: loose({ schemes: ids, credentials: z.string().optional() }).optional(),
});

const sendV03 = loose({
  message: messageV03,
  configuration: loose({
    acceptedOutputModes: ids.optional(),
    historyLength: z.number().int().optional(),
    pushNotificationConfig: pushConfigV03.optional(),
    blocking: z.boolean().optional(),
  }).optional(),
  metadata: object.optional(),
});

const taskV03 = loose({ id, historyLength: z.number().int().optional(), metadata: object.optional() });

const V03: Record<string, z.ZodType> = {
  'message/send': sendV03,
  'message/stream': sendV03,
  'tasks/get': taskV03,
  'tasks/cancel': loose({ id, metadata: object.optional() }),
  'tasks/resubscribe': loose({ id, metadata: object.optional() }),
  'tasks/pushNotificationConfig/set': loose({ taskId: id, pushNotificationConfig: pushConfigV03 }),
  'tasks/pushNotificationConfig/get': loose({
    id,
    pushNotificationConfigId: id.optional(),
    metadata: object.optional(),
  }),
  'tasks/pushNotificationConfig/list': loose({ id, metadata: object.optional() }),
  'tasks/pushNotificationConfig/delete': loose({
    id,
    pushNotificationConfigId: id,
    metadata: object.optional(),
  }),
};

// ---- v0.3 HTTP+JSON (the JSON form of the v0.3 protobuf messages) ------------------------------

const partV03Rest = loose({
  text: z.string().optional(),
  file: loose({
    fileWithUri: z.string().optional(),
    fileWithBytes: z.string().optional(),
    file_with_uri: z.string().optional(),
    file_with_bytes: z.string().optional(),
    mimeType: z.string().optional(),
  }).optional(),
  data: loose({ data: object.optional() }).optional(),
});

const messageV03Rest = loose({
  messageId: id.optional(),
  contextId: id.optional(),
  taskId: id.optional(),
  role: z.union([z.string(), z.number()]).optional(),
  content: z.array(partV03Rest).optional(),
  metadata: object.optional(),
  extensions: ids.optional(),
});

const pushConfigV03Rest = loose({
  id: id.optional(),
  url: z.string().optional(),
  token: z.string().optional(),
  authentication: loose({ schemes: ids.optional(), credentials: z.string().optional() }).optional(),
});

const sendV03Rest = loose({
  message: messageV03Rest.optional(),
  request: messageV03Rest.optional(),
  configuration: loose({
    acceptedOutputModes: ids.optional(),
    pushNotification: pushConfigV03Rest.optional(),
    historyLength: z.number().int().optional(),
    blocking: z.boolean().optional(),
  }).optional(),
  metadata: object.optional(),
});

const pushV03Rest = loose({
  name: z.string().optional(),
  pushNotificationConfig: pushConfigV03Rest.optional(),
});

/** What is wrong with a JSON-RPC request's params (`params.…: …`), or undefined when nothing is. */
export function paramsProblem(method: unknown, params: unknown): string | undefined {
  if (typeof method !== 'string') return undefined; // the SDK answers unknown methods itself
  const schema = Object.hasOwn(V1, method)
    ? V1[method]
    : Object.hasOwn(V03, method)
      ? V03[method]
      : undefined;
  return schema && problem(schema, params ?? {}, 'params');
}

/**
 * What is wrong with an HTTP+JSON request's body, by its route (A2A §11; the v0.3 routes under
 * `/v1/…`), or undefined when nothing is.
 */
export function restBodyProblem(method: string, path: string, body: unknown): string | undefined {
  if (method !== 'POST') return undefined;
  const v03 = /^\/rest\/v1(\/|$)/.test(path);
  if (/\/message:(send|stream)$/.test(path)) return problem(v03 ? sendV03Rest : sendV1, body ?? {}, 'body');
  if (/\/pushNotificationConfigs$/.test(path))
    return problem(v03 ? pushV03Rest : pushConfigV1, body ?? {}, 'body');
  return undefined;
}

function problem(schema: z.ZodType, value: unknown, root: string): string | undefined {
  const r = schema.safeParse(value);
  if (r.success) return undefined;
  const issue = r.error.issues[0]!;
  const where = [root, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))]
    .join('')
    .replace(/\.\[/g, '[');
  return `${where}: ${issue.message}`;
}
