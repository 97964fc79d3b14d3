/**
 * A real A2A agent for tests, built with the official A2A SDK (Express, JSON-RPC and HTTP+JSON,
 * v1.0 with the v0.3 compatibility layer), on a free loopback port.
 *
 * What it does depends on the first word of the message text:
 *   echo <text>   a completed task whose artifact is <text> (plus a data part if one was sent)
 *   hello         a direct message reply, no task
 *   slow [n]      n working updates 100 ms apart, then completed (cancellable)
 *   ask           input-required; the next message in the task completes it with "got: <answer>"
 *   fail          a failed task
 *   big <n>       a completed task whose artifact is n characters long
 * Any other text is echoed back as a message.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import {
  AGENT_CARD_PATH,
  generateAgentCardSignature,
  Role,
  TaskState,
  type AgentCard,
  type Message,
  type Part,
  type Task,
  type TaskStatusUpdateEvent,
} from '@a2a-js/sdk';
import { duplicateInterfacesForLegacy } from '@a2a-js/sdk/compat/v0_3';
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryPushNotificationStore,
  InMemoryTaskStore,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, restHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import express from 'express';

export interface A2aAgentFixture {
  url: string;
  tasks: InMemoryTaskStore;
  /** Task ids the agent was asked to cancel. */
  cancelled: string[];
  /** Headers of the last request the agent received. */
  lastHeaders: () => Record<string, string | string[] | undefined>;
  /** Every request the agent received (method, path, authorization), in order. */
  requests: { method: string; path: string; authorization?: string }[];
  /** Publish one more skill on the card (for refresh tests). */
  addSkill(id: string): void;
  /**
   * List interfaces at `<base>/jsonrpc` and `<base>/rest` on the card instead of its own (another
   * agent's, a foreign server's); undefined goes back to its own.
   */
  moveInterfaces(base: string | undefined): void;
  /** Cut every open connection (an agent dying mid-stream); it keeps listening. */
  dropConnections(): void;
  stop(): Promise<void>;
}

const text = (t: string): Part => ({
  content: { $case: 'text', value: t },
  mediaType: 'text/plain',
  filename: '',
  metadata: undefined,
});

function agentMessage(parts: Part[], contextId: string, taskId = ''): Message {
  return {
    messageId: randomUUID(),
    role: Role.ROLE_AGENT,
    parts,
    contextId,
    taskId,
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

function status(taskId: string, contextId: string, state: TaskState, msg?: string): TaskStatusUpdateEvent {
  return {
    taskId,
    contextId,
    status: {
      state,
      timestamp: new Date().toISOString(),
      message: msg ? agentMessage([text(msg)], contextId, taskId) : undefined,
    },
    metadata: undefined,
  };
}

class FixtureExecutor implements AgentExecutor {
  readonly cancelled: string[] = [];
  private readonly stop = new Set<string>();
  /** Tasks waiting for input (no execution runs for them), with their context. */
  private readonly waiting = new Map<string, string>();

  execute = async (ctx: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const { taskId, contextId } = ctx;
    const parts = ctx.userMessage.parts;
    const words = parts.flatMap((p) => (p.content?.$case === 'text' ? [p.content.value] : [])).join(' ');
    const [cmd = '', ...rest] = words.trim().split(/\s+/);
    const start = (): void => {
      if (!ctx.task) {
        const task: Task = {
          id: taskId,
          contextId,
          status: {
            state: TaskState.TASK_STATE_SUBMITTED,
            timestamp: new Date().toISOString(),
            message: undefined,
          },
          artifacts: [],
          history: [ctx.userMessage],
          metadata: undefined,
        };
        bus.publish(AgentEvent.task(task));
      }
    };
    const artifact = (p: Part[]) =>
      bus.publish(
        AgentEvent.artifactUpdate({
          taskId,
          contextId,
          artifact: {
            artifactId: randomUUID(),
            name: 'result',
            description: '',
            parts: p,
            metadata: undefined,
            extensions: [],
          },
          append: false,
          lastChunk: true,
          metadata: undefined,
        }),
      );
    // A continuation of a task that asked for input.
    if (ctx.task?.status?.state === TaskState.TASK_STATE_INPUT_REQUIRED) {
      this.waiting.delete(taskId);
      // A stream starts with the task (A2A §3.1.2), then its updates.
      bus.publish(AgentEvent.task(ctx.task));
      artifact([text(`got: ${words}`)]);
      bus.publish(AgentEvent.statusUpdate(status(taskId, contextId, TaskState.TASK_STATE_COMPLETED)));
      bus.finished();
      return;
    }
    switch (cmd) {
      case 'echo': {
        start();
        const data = parts.filter((p) => p.content?.$case === 'data');
        const skill = ctx.userMessage.metadata?.skill as string | undefined;
        artifact([text(rest.join(' ')), ...data, ...(skill ? [text(`skill: ${skill}`)] : [])]);
        bus.publish(AgentEvent.statusUpdate(status(taskId, contextId, TaskState.TASK_STATE_COMPLETED)));
        break;
      }
      case 'slow': {
        start();
        const n = Number(rest[0] ?? 3);
        for (let i = 1; i <= n; i++) {
          await new Promise((r) => setTimeout(r, 100));
          if (this.stop.has(taskId)) {
            bus.publish(
              AgentEvent.statusUpdate(status(taskId, contextId, TaskState.TASK_STATE_CANCELED, 'stopped')),
            );
            bus.finished();
            return;
          }
          bus.publish(
            AgentEvent.statusUpdate(
              status(taskId, contextId, TaskState.TASK_STATE_WORKING, `step ${i} of ${n}`),
            ),
          );
        }
        artifact([text(`done after ${n} steps`)]);
        bus.publish(AgentEvent.statusUpdate(status(taskId, contextId, TaskState.TASK_STATE_COMPLETED)));
        break;
      }
      case 'ask':
        start();
        this.waiting.set(taskId, contextId);
        bus.publish(
          AgentEvent.statusUpdate(
            status(taskId, contextId, TaskState.TASK_STATE_INPUT_REQUIRED, 'Which city?'),
          ),
        );
        break;
      case 'big':
        start();
        artifact([text('x'.repeat(Number(rest[0] ?? 0)))]);
        bus.publish(AgentEvent.statusUpdate(status(taskId, contextId, TaskState.TASK_STATE_COMPLETED)));
        break;
      case 'fail':
        start();
        bus.publish(
          AgentEvent.statusUpdate(status(taskId, contextId, TaskState.TASK_STATE_FAILED, 'it broke')),
        );
        break;
      default:
        bus.publish(AgentEvent.message(agentMessage([text(`you said: ${words}`)], contextId)));
    }
    bus.finished();
  };

  cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    this.cancelled.push(taskId);
    this.stop.add(taskId);
    // A running task (slow) stops itself; one waiting for input has nothing running: cancel it here.
    const contextId = this.waiting.get(taskId);
    if (contextId !== undefined) {
      this.waiting.delete(taskId);
      bus.publish(
        AgentEvent.statusUpdate(status(taskId, contextId, TaskState.TASK_STATE_CANCELED, 'stopped')),
      );
      bus.finished();
    }
    await Promise.resolve();
  };
}

export interface A2aAgentOptions {
  name?: string;
  /** Publish only v0.3 interfaces and the v0.3 card shape. */
  legacyOnly?: boolean;
  /** Sign the card (ES256, key served at /jwks.json); `tamper` edits it after signing. */
  sign?: { tamper?: boolean };
  /** Serve this instead of a card (to test validation). */
  brokenCard?: unknown;
  /** Publish interfaces at this base URL instead of its own (see `moveInterfaces`). */
  interfacesAt?: string;
}

export async function startA2aAgent(opts: A2aAgentOptions = {}): Promise<A2aAgentFixture> {
  const app = express();
  const tasks = new InMemoryTaskStore();
  const executor = new FixtureExecutor();
  // Set once listening; the card (built before that) reads it lazily.
  let listening: Server | undefined = undefined;
  let lastHeaders: Record<string, string | string[] | undefined> = {};
  const base = () =>
    listening ? `http://127.0.0.1:${(listening.address() as AddressInfo).port}` : 'http://127.0.0.1';
  const extraSkills: string[] = [];
  const requests: A2aAgentFixture['requests'] = [];
  let interfacesAt = opts.interfacesAt;
  const card = (): AgentCard => ({
    name: opts.name ?? 'Travel agent',
    description: 'Books trips (a test agent).',
    supportedInterfaces: duplicateInterfacesForLegacy(
      [
        {
          url: `${interfacesAt ?? base()}/jsonrpc`,
          protocolBinding: 'JSONRPC',
          tenant: '',
          protocolVersion: '1.0',
        },
        {
          url: `${interfacesAt ?? base()}/rest`,
          protocolBinding: 'HTTP+JSON',
          tenant: '',
          protocolVersion: '1.0',
        },
      ],
      ['JSONRPC', 'HTTP+JSON'],
    ).filter((i) => !opts.legacyOnly || i.protocolVersion !== '1.0'),
    provider: { organization: 'Tests', url: 'https://example.com' },
    version: '1.0.0',
    capabilities: { streaming: true, pushNotifications: true, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [
      {
        id: 'book-flight',
        name: 'Book a flight',
        description: 'Books flights.',
        tags: ['travel', 'flights'],
        examples: ['echo LHR to JFK'],
        inputModes: [],
        outputModes: [],
        securityRequirements: [],
      },
      {
        id: 'find hotel',
        name: 'Find a hotel',
        description: 'Finds hotels.',
        tags: ['travel'],
        examples: [],
        inputModes: [],
        outputModes: [],
        securityRequirements: [],
      },
      ...extraSkills.map((id) => ({
        id,
        name: id,
        description: `Added at runtime: ${id}`,
        tags: [],
        examples: [],
        inputModes: [],
        outputModes: [],
        securityRequirements: [],
      })),
    ],
    signatures: [],
  });
  const handler = new DefaultRequestHandler(
    card(),
    tasks,
    executor,
    undefined,
    new InMemoryPushNotificationStore(),
  );
  const live = new Proxy(handler, {
    get(t, prop, r) {
      if (prop === 'getAgentCard') return () => Promise.resolve(card());
      const v: unknown = Reflect.get(t, prop, r);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  app.use((req, _res, next) => {
    lastHeaders = { ...req.headers };
    requests.push({
      method: req.method,
      path: req.path,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    // A v0.3-only agent publishes the v0.3 card shape whatever version the client asks for.
    if (opts.legacyOnly) delete req.headers['a2a-version'];
    next();
  });
  const keys = await generateKeyPair('ES256');
  const publicJwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256' };
  app.get('/jwks.json', (_req, res) => void res.json({ keys: [publicJwk] }));
  if (opts.brokenCard !== undefined) {
    app.get(`/${AGENT_CARD_PATH}`, (_req, res) => void res.json(opts.brokenCard));
  }
  const sign = opts.sign;
  const provider = sign
    ? async () => {
        const signed = await generateAgentCardSignature(keys.privateKey, {
          alg: 'ES256',
          kid: 'k1',
          typ: 'JOSE',
          jku: `${base()}/jwks.json`,
        })(card());
        return sign.tamper ? { ...signed, description: 'Tampered with.' } : signed;
      }
    : live;
  app.use(
    `/${AGENT_CARD_PATH}`,
    agentCardHandler({ agentCardProvider: provider, legacyCompat: { enabled: true } }),
  );
  const o = {
    requestHandler: live,
    userBuilder: UserBuilder.noAuthentication,
    legacyCompat: { enabled: true },
  };
  app.use('/jsonrpc', jsonRpcHandler(o));
  app.use('/rest', restHandler(o));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  listening = server;
  return {
    url: base(),
    tasks,
    cancelled: executor.cancelled,
    lastHeaders: () => lastHeaders,
    requests,
    dropConnections: () => server.closeAllConnections(),
    addSkill: (id) => extraSkills.push(id),
    moveInterfaces: (at) => (interfacesAt = at),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The same agent in a child process, for tests that must not share a process with it (fuzzing:
 * its SDK logs every refused request on stderr, which is dropped here).
 */
export async function spawnA2aAgent(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^listening (\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the A2A agent exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--serve')) {
  const agent = await startA2aAgent();
  process.stdout.write(`listening ${agent.url}\n`);
}
