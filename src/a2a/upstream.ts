/**
 * An upstream A2A agent: its card (fetched, validated, signature-checked, refreshed), an SDK
 * client for whichever binding and version it speaks, and the MCP tools the bridge derives from
 * the card. It is a federation `Backend`, so its tools appear in the route table next to MCP tools.
 *
 * The client sends to the card's interfaces, with the configured headers: they must be on allowed
 * origins, and a changed set is held until approved (a2a/interfaces.ts). Each card load is a start
 * attempt of the shared Supervisor (mcp/upstream/supervisor.ts): a card that cannot be loaded is
 * retried with backoff, a loaded one is read again every `refreshIntervalMs`.
 */
import {
  ClientFactory,
  JsonRpcTransportFactory,
  RestTransportFactory,
  type Client,
} from '@a2a-js/sdk/client';
import type { A2aUpstreamConfig } from '../config/schema.js';
import { GatewayError } from '../errors/index.js';
import type { JsonObject, RpcNotification } from '../mcp/jsonrpc.js';
import {
  EMPTY_LISTS,
  type Backend,
  type BackendCallOptions,
  type UpstreamHooks,
  type UpstreamInfo,
  type UpstreamLists,
  type UpstreamState,
} from '../mcp/upstream/backend.js';
import type { CallOutcome } from '../mcp/upstream/forwarder.js';
import { drain, Supervisor, type AttemptOutcome } from '../mcp/upstream/supervisor.js';
import type { Logger } from '../telemetry/logger.js';
import { Pool, type Dispatcher } from 'undici';
import type { Message, Task } from '@a2a-js/sdk';
import {
  META_KEY,
  callAgent,
  errorResult,
  parseToolArgs,
  sendRequest,
  skillOf,
  toolMessage,
  toolsForCard,
  type AgentToolArgs,
} from '../bridge/a2a-to-mcp.js';
import { BridgedTasks } from '../bridge/a2a-tasks.js';
import { A2AError } from '@a2a-js/sdk/errors';
import type { InterfaceVerdict, PinMode } from '../policy/pinning.js';
import type { Principal } from '../policy/principal.js';
import type { TaskOwnership } from './ownership.js';
import { CardError, fetchCard, type AgentCard, type FetchedCard } from './card.js';
import { requestFetch } from './http-fetch.js';
import {
  allowedOrigins,
  checkOrigins,
  interfaceSet,
  interfacesOf,
  originOf,
  usableInterfaces,
} from './interfaces.js';

/** An interface a request can be relayed to, and how (a2a/relay.ts). */
export interface RelayTarget {
  /** Keep-alive connections to the interface's origin. */
  dispatcher: Dispatcher;
  /** The interface's path (and query) on that origin. */
  path: string;
  /** The configured headers: the agent's credentials. */
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** The pin check for an agent's interfaces (policy/pinning.ts `PinRegistry`). */
export interface InterfacePins {
  observeInterfaces(upstream: string, offered: JsonObject, mode: PinMode): InterfaceVerdict;
}

export class A2aUpstream implements Backend {
  readonly kind = 'a2a' as const;
  lists: UpstreamLists = EMPTY_LISTS;
  lastKnownLists: UpstreamLists = EMPTY_LISTS;
  private tasks = new BridgedTasks(() => this.requireReady().client);
  card: AgentCard | undefined;
  /** The card's version as published ('1.0' or '0.3'). */
  cardShape: '1.0' | '0.3' | undefined;
  signed = false;
  /** True while the card offers interfaces that await approval (calls use the approved ones). */
  private interfacesHeld = false;
  client: Client | undefined;
  private calls = 0;
  /** Card loads are its attempts, one at a time: a refresh and an approval never both swap the client. */
  private readonly life: Supervisor;
  private cardJson = '';
  /** Where requests to this agent may go. */
  private readonly origins: ReadonlySet<string>;
  /** The bindings the client speaks; interfaces in others are never used. */
  private readonly bindings: readonly string[];
  private readonly log: Logger;
  /** Tool name → skill id (undefined for the agent tool). */
  private skills = new Map<string, string | undefined>();
  /** The relay's keep-alive connections, by origin, and its routes, by interface URL (a2a/relay.ts). */
  private readonly relayPools = new Map<string, Pool>();
  private readonly relayRoutes = new Map<string, { dispatcher: Pool; path: string }>();

  constructor(
    readonly spec: A2aUpstreamConfig,
    private readonly hooks: UpstreamHooks,
    private readonly pins: InterfacePins,
    private readonly owners: TaskOwnership,
    log: Logger,
    readonly origin: 'config' | 'admin' = 'config',
  ) {
    this.log = log.child({ upstream: spec.name });
    this.origins = allowedOrigins(spec.a2a);
    this.bindings = this.transports().map((t) => t.protocolName);
    this.life = new Supervisor({
      restart: spec.restart,
      // A card that loaded is a success: the next failure starts the backoff afresh.
      stableAfterMs: 0,
      refreshMs: spec.a2a.refreshIntervalMs,
      attempt: () => this.load(),
      changed: () => this.hooks.stateChanged(this),
      log: this.log,
    });
  }

  get name(): string {
    return this.spec.name;
  }

  get state(): UpstreamState {
    return this.life.state;
  }

  get lastError(): string | undefined {
    return this.life.lastError;
  }

  /** Settles once the first card load has ended, successfully or not. */
  get firstAttempt(): Promise<void> {
    return this.life.firstAttempt;
  }

  /**
   * What the federation reads from an MCP server's initialize result, for the agent: tools, and
   * MCP tasks (a bridged call may run as a task; see bridge/a2a-tasks.ts).
   */
  get info(): UpstreamInfo | undefined {
    if (!this.card) return undefined;
    return {
      serverInfo: { name: this.card.name, version: this.card.version },
      capabilities: {
        tools: {},
        // ListTasks is new in A2A 1.0: v0.3 agents cannot list.
        tasks: {
          ...(this.cardShape === '1.0' ? { list: {} } : {}),
          cancel: {},
          requests: { tools: { call: {} } },
        },
      },
      protocolVersion: `a2a/${this.cardShape}`,
    };
  }

  get inFlight(): number {
    return this.calls;
  }

  get cardUrl(): string {
    return new URL(this.spec.a2a.cardPath, withSlash(this.spec.a2a.url)).toString();
  }

  start(): Promise<void> {
    return this.life.start();
  }

  /** An admin approved the interfaces the card offers: read it again and use them. */
  interfacesApproved(): void {
    if (this.life.stopped) return;
    this.cardJson = '';
    this.life.attemptNow();
  }

  async stop(graceMs = 5_000): Promise<void> {
    if (this.life.stop()) await drain(() => this.calls, graceMs);
    this.closeRelayPools();
  }

  notify(_n: RpcNotification): Promise<void> {
    return Promise.resolve(); // nothing to tell an A2A agent about MCP-side events
  }

  skillOf(tool: string): string | undefined {
    return this.skills.get(tool);
  }

  /** MCP requests routed here: only tools/call of the bridged tools. */
  async call(method: string, params: JsonObject | undefined, opts: BackendCallOptions): Promise<CallOutcome> {
    if (method.startsWith('tasks/')) return this.taskCall(method, params, opts);
    if (method !== 'tools/call') throw new GatewayError('SWY_METHOD_NOT_FOUND', { method });
    const { client, card } = this.requireReady();
    const name = String(params?.name);
    if (!this.skills.has(name)) throw new GatewayError('SWY_TOOL_NOT_FOUND', { name });
    const args = parseToolArgs(params?.arguments);
    // The agent sees only the gateway: a task or context another principal started is unknown here.
    const who = opts.caller?.principal;
    const continuing = args.taskId || args.contextId;
    if (continuing && !(who && (await this.owners.mayContinue(this.name, args, who))))
      return { result: errorResult(`Unknown task or context "${continuing}".`) };
    if (params?.task && typeof params.task === 'object') {
      // Task-augmented call: start the A2A task without waiting and answer with it as an MCP task.
      const skill = this.skills.get(name);
      const message = toolMessage(args, skill, opts.caller?.depth);
      const request = sendRequest(message);
      request.configuration!.returnImmediately = true;
      const answer = await this.guard(
        () => client.sendMessage(request, { signal: AbortSignal.timeout(this.spec.timeoutMs) }),
        'SendMessage',
      );
      if (who) await this.recordOwner(answer, args, who);
      return { result: this.tasks.created(answer, (params.task as JsonObject).ttl) };
    }
    const meta = params?._meta as JsonObject | undefined;
    const token = meta?.progressToken;
    this.calls++;
    try {
      const outcome = await callAgent(
        {
          client,
          card,
          upstream: this.name,
          skill: this.skills.get(name),
          timeoutMs: opts.timeoutMs ?? this.spec.timeoutMs,
          cancellation: opts.cancellation,
          related: opts.related,
          depth: opts.caller?.depth,
          ...(typeof token === 'string' || typeof token === 'number' ? { progressToken: token } : {}),
        },
        args,
      );
      // The task the answer names is the caller's, before the caller learns its id.
      const meta = 'result' in outcome ? (outcome.result._meta as JsonObject | undefined) : undefined;
      const ids = meta?.[META_KEY] as { taskId?: unknown; contextId?: unknown } | undefined;
      if (who && typeof ids?.taskId === 'string') {
        const task = { taskId: ids.taskId, contextId: String(ids.contextId ?? '') };
        await this.owners.created(this.name, task, args, who);
      }
      return outcome;
    } finally {
      this.calls--;
    }
  }

  private recordOwner(answer: Message | Task, args: AgentToolArgs, who: Principal): Promise<void> {
    const taskId = 'role' in answer ? answer.taskId : answer.id;
    return this.owners.created(this.name, { taskId, contextId: answer.contextId }, args, who);
  }

  private async taskCall(
    method: string,
    params: JsonObject | undefined,
    opts: BackendCallOptions,
  ): Promise<CallOutcome> {
    const abort = new AbortController();
    const stopListening = opts.cancellation?.onCancel((reason) => abort.abort(reason));
    const timer =
      method === 'tasks/result' ? undefined : setTimeout(() => abort.abort(), this.spec.timeoutMs);
    try {
      return { result: await this.guard(() => this.tasks.handle(method, params, abort.signal), method) };
    } catch (err) {
      // The agent's own refusal (unknown task, not cancelable …) is its answer, passed on as an error.
      if (err instanceof GatewayError && err.code === 'SWY_INVALID_PARAMS')
        return { error: { code: err.rpcCode, message: err.message } };
      throw err;
    } finally {
      clearTimeout(timer);
      stopListening?.();
    }
  }

  /** An A2A error answer becomes a JSON-RPC error for the client; a broken connection names the agent. */
  private async guard<T>(fn: () => Promise<T>, op: string): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      if (err instanceof A2AError)
        throw new GatewayError('SWY_INVALID_PARAMS', { detail: `${op}: ${err.message}` });
      throw new GatewayError('SWY_UPSTREAM_FAILED', {
        upstream: this.name,
        method: op,
        detail: (err as Error).message,
      });
    }
  }

  requireReady(): { client: Client; card: AgentCard } {
    if (this.state !== 'ready' || !this.client || !this.card) {
      throw new GatewayError('SWY_UPSTREAM_UNAVAILABLE', {
        upstream: this.name,
        detail: this.state === 'stopped' ? 'it was removed' : (this.lastError ?? this.state),
      });
    }
    return { client: this.client, card: this.card };
  }

  /**
   * Where a request in `binding` and A2A 1.0 may be sent as it came (a2a/relay.ts): the card's
   * interface for both, on an allowed origin and without a tenant of its own to add. Undefined
   * while the agent is not ready, or when it offers no such interface.
   */
  relayTarget(binding: 'JSONRPC' | 'HTTP+JSON'): RelayTarget | undefined {
    if (this.state !== 'ready' || !this.client || !this.card) return undefined;
    const found = this.card.supportedInterfaces.find(
      (i) =>
        i.protocolBinding.toUpperCase() === binding &&
        i.protocolVersion === '1.0' &&
        !i.tenant &&
        this.origins.has(originOf(i.url) ?? ''),
    );
    if (!found) return undefined;
    const { a2a, timeoutMs, maxResponseBytes } = this.spec;
    return { ...this.relayRoute(found.url), headers: a2a.headers, timeoutMs, maxResponseBytes };
  }

  /**
   * How the relay reaches an interface URL: keep-alive connections to its origin, made on first
   * use, and its path; worked out once per URL, not per message. Origins are the allowed ones
   * only (`a2a.url`'s and `a2a.allowedOrigins`), so there are few.
   */
  private relayRoute(url: string): { dispatcher: Pool; path: string } {
    let route = this.relayRoutes.get(url);
    if (!route) {
      const { origin, pathname, search } = new URL(url);
      let pool = this.relayPools.get(origin);
      if (!pool) {
        pool = new Pool(origin, { keepAliveTimeout: 30_000 });
        this.relayPools.set(origin, pool);
      }
      route = { dispatcher: pool, path: pathname + search };
      this.relayRoutes.set(url, route);
    }
    return route;
  }

  /** Close the relay's connections once what they carry has ended. */
  private closeRelayPools(): void {
    for (const pool of this.relayPools.values()) pool.close().catch(() => {});
    this.relayPools.clear();
    this.relayRoutes.clear();
  }

  /** Fetch (or re-fetch) the card: one attempt (the Supervisor decides when, and retries). */
  private async load(): Promise<AttemptOutcome> {
    const { a2a } = this.spec;
    try {
      const fetched = await fetchCard(this.cardUrl, {
        headers: a2a.headers,
        timeoutMs: this.spec.startTimeoutMs,
        requireSignature: a2a.requireSignature,
        ...(a2a.jwksUrl ? { jwksUrl: a2a.jwksUrl } : {}),
        maxBytes: this.spec.maxResponseBytes,
      });
      if (this.life.stopped) return 'superseded';
      const json = JSON.stringify(fetched.card);
      if (json !== this.cardJson) {
        const card = this.withApprovedInterfaces(fetched);
        this.client = await this.factory().createFromAgentCard(card);
        this.card = card;
        this.cardShape = fetched.shape;
        this.signed = fetched.signed;
        this.cardJson = json;
        const tools = toolsForCard(fetched.card);
        this.skills = new Map(tools.map((t) => [String(t.name), skillOf(t)]));
        this.lists = { ...EMPTY_LISTS, tools };
        this.lastKnownLists = this.lists;
        this.hooks.listsChanged(this, ['tools']);
        this.log.info(
          {
            card: fetched.card.name,
            version: fetched.shape,
            signed: fetched.signed,
            skills: fetched.card.skills.length,
            interfacesHeld: this.interfacesHeld,
          },
          'agent card loaded',
        );
      }
      return 'up';
    } catch (err) {
      this.log.error({ problem: (err as Error).message }, 'agent card rejected');
      // A card that turned bad is not served: the agent stays unavailable until it is fixed.
      if (this.card) {
        this.lists = EMPTY_LISTS;
        this.hooks.listsChanged(this, ['tools']);
      }
      this.card = undefined;
      this.client = undefined;
      this.interfacesHeld = false;
      this.cardJson = '';
      throw err;
    }
  }

  /**
   * The card with the interfaces calls may use: its own when they are on allowed origins and
   * approved (or first seen); the approved ones while a changed set waits for an admin. A card
   * naming a foreign origin is refused outright, before anything is pinned or sent.
   */
  private withApprovedInterfaces(fetched: FetchedCard): AgentCard {
    const offered = usableInterfaces(fetched.card, this.bindings);
    checkOrigins(offered, this.origins);
    const verdict = this.pins.observeInterfaces(this.name, interfaceSet(offered), this.spec.pinning);
    this.interfacesHeld = verdict.held;
    if (!verdict.held) return fetched.card;
    const approved = verdict.use ? interfacesOf(verdict.use) : [];
    // The config may have changed since they were approved: then nothing is sent until an approval.
    const stale = approved.find((i) => !this.origins.has(originOf(i.url) ?? ''));
    if (approved.length === 0 || stale)
      throw new CardError(
        'the Agent Card changed its interfaces, and the approved ones are ' +
          (stale
            ? `on ${originOf(stale.url) ?? stale.url}, no longer an allowed origin`
            : 'none it can use') +
          `: approve the new ones (${this.name}/#interfaces) to use the agent`,
      );
    return { ...fetched.card, supportedInterfaces: approved };
  }

  private transports() {
    const opts = {
      fetchImpl: requestFetch(this.spec.a2a.headers, this.origins, {
        upstream: this.name,
        maxResponseBytes: this.spec.maxResponseBytes,
      }),
      legacyCompat: { enabled: true },
    };
    return [new JsonRpcTransportFactory(opts), new RestTransportFactory(opts)];
  }

  private factory(): ClientFactory {
    return new ClientFactory({ transports: this.transports() });
  }
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
