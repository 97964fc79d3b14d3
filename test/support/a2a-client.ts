/** Talking to A2A agents from tests with the official A2A SDK client: parts, messages, a client. */
import { randomUUID } from 'node:crypto';
import { Role, type Message, type Part, type SendMessageRequest, type Task } from '@a2a-js/sdk';
import {
  ClientFactory,
  ClientFactoryOptions,
  JsonRpcTransportFactory,
  RestTransportFactory,
  type Client,
} from '@a2a-js/sdk/client';

export const textPart = (t: string): Part => ({
  content: { $case: 'text', value: t },
  mediaType: 'text/plain',
  filename: '',
  metadata: undefined,
});

export const dataPart = (v: unknown): Part => ({
  content: { $case: 'data', value: v },
  mediaType: 'application/json',
  filename: '',
  metadata: undefined,
});

export function userMessage(parts: Part[], ids: { taskId?: string; contextId?: string } = {}): Message {
  return {
    messageId: randomUUID(),
    role: Role.ROLE_USER,
    parts,
    contextId: ids.contextId ?? '',
    taskId: ids.taskId ?? '',
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** SendMessage params for a message of these parts. */
export function sendParams(
  parts: Part[],
  opts: { returnImmediately?: boolean; ids?: { taskId?: string; contextId?: string } } = {},
): SendMessageRequest & { configuration: NonNullable<SendMessageRequest['configuration']> } {
  return {
    tenant: '',
    message: userMessage(parts, opts.ids),
    configuration: {
      acceptedOutputModes: [],
      taskPushNotificationConfig: undefined,
      returnImmediately: opts.returnImmediately ?? false,
    },
    metadata: undefined,
  };
}

/** The text of a task's artifacts, parts joined by `|`. */
export const artifactText = (t: Task): string =>
  t.artifacts
    .flatMap((a) => a.parts)
    .map((p) => (p.content?.$case === 'text' ? p.content.value : ''))
    .join('|');

export async function a2aClient(url: string, binding: 'JSONRPC' | 'HTTP+JSON' = 'JSONRPC'): Promise<Client> {
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory(), new RestTransportFactory()],
      preferredTransports: [binding],
    }),
  );
  // The SDK resolves the card path against the URL: agent URLs end with a slash.
  return factory.createFromUrl(url.endsWith('/') ? url : `${url}/`);
}
