/**
 * The proxy for an upstream A2A agent: an `A2ARequestHandler` (the SDK's server-side seam) whose
 * every operation is forwarded to the upstream through the SDK client's transport, unchanged.
 *
 * The SDK's server transports in front of it (JSON-RPC, HTTP+JSON, each also accepting v0.3
 * requests) decode what clients send; the client transport behind it speaks whichever binding and
 * version the upstream's card offers. Errors the upstream answers with (TaskNotFound …) are typed
 * A2A errors, so the front re-encodes them for the client's binding as they came.
 */
import type {
  AgentCard,
  CancelTaskRequest,
  DeleteTaskPushNotificationConfigRequest,
  GetExtendedAgentCardRequest,
  GetTaskPushNotificationConfigRequest,
  GetTaskRequest,
  ListTaskPushNotificationConfigsRequest,
  ListTasksRequest,
  SendMessageRequest,
  SubscribeToTaskRequest,
  TaskPushNotificationConfig,
} from '@a2a-js/sdk';
import {
  ServiceParameters,
  withA2AExtensions,
  withA2AVersion,
  type RequestOptions,
} from '@a2a-js/sdk/client';
import type { A2ARequestHandler, ServerCallContext } from '@a2a-js/sdk/server';
import type { Logger } from '../telemetry/logger.js';
import type { A2aUpstream } from './upstream.js';

/** `present` turns the upstream's card into the one clients see (interfaces, security). */
export function proxyHandler(
  upstream: A2aUpstream,
  present: (card: AgentCard) => AgentCard,
  log: Logger,
): A2ARequestHandler {
  return new ProxyHandler(upstream, present, log);
}

class ProxyHandler implements A2ARequestHandler {
  constructor(
    private readonly upstream: A2aUpstream,
    private readonly present: (card: AgentCard) => AgentCard,
    private readonly log: Logger,
  ) {}

  /** Relay a stream; a stream the upstream breaks off is logged, and the client gets the error. */
  private async *relay<T>(
    stream: AsyncGenerator<T, void, undefined>,
    op: string,
  ): AsyncGenerator<T, void, undefined> {
    try {
      yield* stream;
    } catch (err) {
      this.log.warn(
        { upstream: this.upstream.name, op, problem: (err as Error).message },
        'A2A upstream stream failed',
      );
      throw err;
    }
  }

  private get transport() {
    return this.upstream.requireReady().client.transport;
  }

  /**
   * The version header the upstream's interface speaks (the SDK client adds it above the
   * transport, which we call directly), and the extensions the client asked for.
   */
  private options(ctx: ServerCallContext): RequestOptions {
    const ext = ctx.requestedExtensions;
    const updates = [withA2AVersion(this.transport.protocolVersion)];
    if (ext && ext.length) updates.push(withA2AExtensions(...ext));
    return { serviceParameters: ServiceParameters.create(...updates) };
  }

  getAgentCard(): Promise<AgentCard> {
    return Promise.resolve(this.present(this.upstream.requireReady().card));
  }

  async getAuthenticatedExtendedAgentCard(params: GetExtendedAgentCardRequest, ctx: ServerCallContext) {
    const card = await this.transport.getExtendedAgentCard(params, this.options(ctx));
    return this.present(card);
  }

  sendMessage(params: SendMessageRequest, ctx: ServerCallContext) {
    return this.transport.sendMessage(params, this.options(ctx));
  }

  sendMessageStream(params: SendMessageRequest, ctx: ServerCallContext) {
    return this.relay(this.transport.sendMessageStream(params, this.options(ctx)), 'SendStreamingMessage');
  }

  getTask(params: GetTaskRequest, ctx: ServerCallContext) {
    return this.transport.getTask(params, this.options(ctx));
  }

  listTasks(params: ListTasksRequest, ctx: ServerCallContext) {
    return this.transport.listTasks(params, this.options(ctx));
  }

  cancelTask(params: CancelTaskRequest, ctx: ServerCallContext) {
    return this.transport.cancelTask(params, this.options(ctx));
  }

  createTaskPushNotificationConfig(params: TaskPushNotificationConfig, ctx: ServerCallContext) {
    return this.transport.createTaskPushNotificationConfig(params, this.options(ctx));
  }

  getTaskPushNotificationConfig(params: GetTaskPushNotificationConfigRequest, ctx: ServerCallContext) {
    return this.transport.getTaskPushNotificationConfig(params, this.options(ctx));
  }

  listTaskPushNotificationConfigs(params: ListTaskPushNotificationConfigsRequest, ctx: ServerCallContext) {
    return this.transport.listTaskPushNotificationConfig(params, this.options(ctx));
  }

  deleteTaskPushNotificationConfig(params: DeleteTaskPushNotificationConfigRequest, ctx: ServerCallContext) {
    return this.transport.deleteTaskPushNotificationConfig(params, this.options(ctx));
  }

  resubscribe(params: SubscribeToTaskRequest, ctx: ServerCallContext) {
    return this.relay(this.transport.resubscribeTask(params, this.options(ctx)), 'SubscribeToTask');
  }
}
