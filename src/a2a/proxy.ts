/**
 * The proxy for an upstream A2A agent: an `A2ARequestHandler` (the SDK's server-side seam) whose
 * every operation is forwarded to the upstream through the SDK client's transport, unchanged.
 *
 * The SDK's server transports in front of it (JSON-RPC, HTTP+JSON, each also accepting v0.3
 * requests) decode what clients send; the client transport behind it speaks whichever binding and
 * version the upstream's card offers. Errors the upstream answers with (TaskNotFound …) are typed
 * A2A errors, so the front re-encodes them for the client's binding as they came.
 *
 * Every task operation is checked against the task's owner first (ownership.ts): the upstream
 * sees only the gateway, so it cannot keep one principal's tasks from another.
 */
import type {
  AgentCard,
  Message,
  StreamResponse,
  Task,
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
import { A2AError, TaskNotFoundError } from '@a2a-js/sdk/errors';
import type { Principal } from '../policy/principal.js';
import type { Logger } from '../telemetry/logger.js';
import { agentFailure } from './agent-failure.js';
import type { TaskOwnership } from './ownership.js';
import type { A2aUpstream } from './upstream.js';

/** `present` turns the upstream's card into the one clients see (interfaces, security). */
export function proxyHandler(
  upstream: A2aUpstream,
  present: (card: AgentCard) => AgentCard,
  owners: TaskOwnership,
  log: Logger,
): A2ARequestHandler {
  return new ProxyHandler(upstream, present, owners, log);
}

class ProxyHandler implements A2ARequestHandler {
  constructor(
    private readonly upstream: A2aUpstream,
    private readonly present: (card: AgentCard) => AgentCard,
    private readonly owners: TaskOwnership,
    private readonly log: Logger,
  ) {}

  /** Refuse, as if the task did not exist, unless the caller owns it. */
  private async ownTask(taskId: string, ctx: ServerCallContext): Promise<void> {
    if (!(await this.owners.owns(this.upstream.name, taskId, principalOf(ctx))))
      throw new TaskNotFoundError(`Task not found: ${taskId}`);
  }

  /** A message may continue only the caller's own task and context. */
  private async admitMessage(params: SendMessageRequest, ctx: ServerCallContext): Promise<Principal> {
    const who = principalOf(ctx);
    const m = params.message;
    if (m && !(await this.owners.mayContinue(this.upstream.name, m, who)))
      throw new TaskNotFoundError(`Task not found: ${m.taskId || m.contextId}`);
    return who;
  }

  /** The caller owns the task an answer names (known before the answer is sent). */
  private recordAnswer(answer: Message | Task, params: SendMessageRequest, who: Principal): Promise<void> {
    const taskId = 'role' in answer ? answer.taskId : answer.id;
    return this.owners.created(
      this.upstream.name,
      { taskId, contextId: answer.contextId },
      params.message,
      who,
    );
  }

  /** Relay a stream; a stream the upstream breaks off is logged, and the client gets the error. */
  private async *relay<T>(
    stream: AsyncGenerator<T, void, undefined>,
    op: string,
  ): AsyncGenerator<T, void, undefined> {
    try {
      yield* stream;
    } catch (err) {
      throw this.failure(op, err);
    }
  }

  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.failure(op, err);
    }
  }

  /**
   * The agent's own A2A errors (TaskNotFound …) pass on as they came. Anything else — it is
   * unavailable, unreachable, or answered with HTTP errors or garbage — is the agent's failure
   * (InvalidAgentResponse, naming it), without what it sent: that stays in the log.
   */
  private failure(op: string, err: unknown): unknown {
    if (err instanceof A2AError) return err;
    return agentFailure(
      this.log,
      { name: this.upstream.name, timeoutMs: this.upstream.spec.timeoutMs },
      op,
      err,
    );
  }

  private get transport() {
    return this.upstream.requireReady().client.transport;
  }

  /**
   * The version header the upstream's interface speaks (the SDK client adds it above the
   * transport, which we call directly), and the extensions the client asked for.
   */
  private options(ctx: ServerCallContext, timed = true): RequestOptions {
    const ext = ctx.requestedExtensions;
    const updates = [withA2AVersion(this.transport.protocolVersion)];
    if (ext && ext.length) updates.push(withA2AExtensions(...ext));
    // The upstream's timeoutMs bounds each answer; a stream may run as long as the agent works.
    const { timeoutMs } = this.upstream.spec;
    return {
      serviceParameters: ServiceParameters.create(...updates),
      ...(timed && timeoutMs > 0 ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
    };
  }

  getAgentCard(): Promise<AgentCard> {
    return Promise.resolve(this.present(this.upstream.requireReady().card));
  }

  async getAuthenticatedExtendedAgentCard(params: GetExtendedAgentCardRequest, ctx: ServerCallContext) {
    const card = await this.call('GetExtendedAgentCard', () =>
      this.transport.getExtendedAgentCard(params, this.options(ctx)),
    );
    return this.present(card);
  }

  async sendMessage(params: SendMessageRequest, ctx: ServerCallContext) {
    const who = await this.admitMessage(params, ctx);
    const answer = await this.call('SendMessage', () =>
      this.transport.sendMessage(params, this.options(ctx)),
    );
    await this.recordAnswer(answer, params, who);
    return answer;
  }

  async *sendMessageStream(params: SendMessageRequest, ctx: ServerCallContext) {
    const who = await this.admitMessage(params, ctx);
    const stream = await this.call('SendStreamingMessage', () =>
      Promise.resolve(this.transport.sendMessageStream(params, this.options(ctx, false))),
    );
    for await (const event of this.relay(stream, 'SendStreamingMessage')) {
      const ids = idsOf(event);
      if (ids) await this.owners.created(this.upstream.name, ids, params.message, who);
      yield event;
    }
  }

  async getTask(params: GetTaskRequest, ctx: ServerCallContext) {
    await this.ownTask(params.id, ctx);
    return this.call('GetTask', () => this.transport.getTask(params, this.options(ctx)));
  }

  /** The upstream's page, less the tasks of other principals (the page may come back shorter). */
  async listTasks(params: ListTasksRequest, ctx: ServerCallContext) {
    const page = await this.call('ListTasks', () => this.transport.listTasks(params, this.options(ctx)));
    const tasks = await this.owners.visible(this.upstream.name, page.tasks, (t) => t.id, principalOf(ctx));
    if (tasks.length === page.tasks.length) return page;
    // The upstream's total counts everyone's tasks: the caller learns only what it may see.
    return { ...page, tasks, totalSize: tasks.length };
  }

  async cancelTask(params: CancelTaskRequest, ctx: ServerCallContext) {
    await this.ownTask(params.id, ctx);
    return this.call('CancelTask', () => this.transport.cancelTask(params, this.options(ctx)));
  }

  async createTaskPushNotificationConfig(params: TaskPushNotificationConfig, ctx: ServerCallContext) {
    await this.ownTask(params.taskId, ctx);
    return this.call('CreateTaskPushNotificationConfig', () =>
      this.transport.createTaskPushNotificationConfig(params, this.options(ctx)),
    );
  }

  async getTaskPushNotificationConfig(params: GetTaskPushNotificationConfigRequest, ctx: ServerCallContext) {
    await this.ownTask(params.taskId, ctx);
    return this.call('GetTaskPushNotificationConfig', () =>
      this.transport.getTaskPushNotificationConfig(params, this.options(ctx)),
    );
  }

  async listTaskPushNotificationConfigs(
    params: ListTaskPushNotificationConfigsRequest,
    ctx: ServerCallContext,
  ) {
    await this.ownTask(params.taskId, ctx);
    return this.call('ListTaskPushNotificationConfigs', () =>
      this.transport.listTaskPushNotificationConfig(params, this.options(ctx)),
    );
  }

  async deleteTaskPushNotificationConfig(
    params: DeleteTaskPushNotificationConfigRequest,
    ctx: ServerCallContext,
  ) {
    await this.ownTask(params.taskId, ctx);
    return this.call('DeleteTaskPushNotificationConfig', () =>
      this.transport.deleteTaskPushNotificationConfig(params, this.options(ctx)),
    );
  }

  async *resubscribe(params: SubscribeToTaskRequest, ctx: ServerCallContext) {
    await this.ownTask(params.id, ctx);
    const stream = await this.call('SubscribeToTask', () =>
      Promise.resolve(this.transport.resubscribeTask(params, this.options(ctx, false))),
    );
    yield* this.relay(stream, 'SubscribeToTask');
  }
}

/** The caller, as the A2A front put it in the call context. */
function principalOf(ctx: ServerCallContext): Principal {
  const principal = (ctx.user as { principal?: Principal } | undefined)?.principal;
  // The front authenticates every operation but the card; nothing reaches here without one.
  if (!principal) throw new TaskNotFoundError('Task not found');
  return principal;
}

/** The task a stream event is about (and its context), if it names one. */
function idsOf(event: StreamResponse): { taskId: string; contextId: string } | undefined {
  const p = event.payload;
  if (!p) return undefined;
  if (p.$case === 'task') return { taskId: p.value.id, contextId: p.value.contextId };
  if (p.$case === 'message') return p.value.taskId ? p.value : undefined;
  return { taskId: p.value.taskId, contextId: p.value.contextId };
}
