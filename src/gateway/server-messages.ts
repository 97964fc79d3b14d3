/**
 * Where an upstream's own messages go: the notifications and requests (sampling, elicitation,
 * roots) it sends outside any call's response stream.
 *
 * An upstream connection is shared by every client, so nothing it sends on its own is broadcast:
 * what belongs to one client's task or subscription goes to that client, the rest only to
 * sessions whose principal policy lets use this upstream (`entitled`), never to someone who may
 * not. A request with no such client is answered `SWY_NO_CLIENT`.
 */
import { GatewayError } from '../errors/index.js';
import type { Caller, InFlightCalls } from '../mcp/federation/in-flight.js';
import type { LocalHandlers } from '../mcp/federation/local.js';
import type { TaskDirectory } from '../mcp/federation/tasks.js';
import type { RpcNotification, RpcRequest } from '../mcp/jsonrpc.js';
import type { Session } from '../mcp/session.js';
import type { SessionRegistry } from '../mcp/sessions.js';
import type { Backend, UpstreamHooks } from '../mcp/upstream/backend.js';
import type { CallOutcome } from '../mcp/upstream/forwarder.js';
import { withLogger } from './call.js';

export interface ServerMessagesDeps {
  /** Which session created each upstream task. */
  tasks: TaskDirectory;
  /** Which session subscribed to which resource. */
  local: Pick<LocalHandlers, 'subscribersOf'>;
  /** Which calls are in flight on which upstream, and for whom. */
  inFlightCalls: InFlightCalls;
  sessions(): SessionRegistry;
  /** May this caller be given what the upstream sends outside its own calls? (policy/authz.ts) */
  entitled(caller: Caller, u: Backend): boolean;
}

export class ServerMessages implements Pick<UpstreamHooks, 'notification' | 'serverRequest'> {
  constructor(private readonly deps: ServerMessagesDeps) {}

  notification(u: Backend, n: RpcNotification): void {
    const { tasks, local, inFlightCalls, entitled } = this.deps;
    if (n.method === 'notifications/tasks/status' && n.params) {
      // Status of a task goes to the session that created it, and to no one else.
      const params = tasks.toClient(u.name, n.params);
      const owner = typeof params.taskId === 'string' ? tasks.owner(params.taskId) : undefined;
      if (owner) this.session(owner)?.notify({ ...n, params });
      return;
    }
    if (n.method === 'notifications/resources/updated') {
      const uri = n.params?.uri;
      const ids = typeof uri === 'string' ? local.subscribersOf(uri) : undefined;
      for (const id of ids ?? []) this.session(id)?.notify(n);
      return;
    }
    if (n.method === 'notifications/message') {
      const msg = withLogger(n, u.name);
      const ref = inFlightCalls.latest(u.name, (s) => s.wantsLog(n.params?.level) && entitled(s, u));
      if (ref) return ref.reply.related(msg);
      for (const s of this.deps.sessions().values())
        if (s.wantsLog(n.params?.level) && entitled(s, u)) s.notify(msg);
      return;
    }
    // Anything else that can only mean something to the caller of a running call goes there.
    inFlightCalls.latest(u.name, (s) => entitled(s, u))?.reply.related(n);
  }

  /**
   * A request from an upstream. Its answer goes back to the upstream and its params may hold a
   * prompt, so only a client whose principal may use this upstream is asked.
   */
  serverRequest(u: Backend, req: RpcRequest, signal: AbortSignal): Promise<CallOutcome> {
    const { tasks, inFlightCalls, entitled } = this.deps;
    const noClient = () =>
      Promise.reject(
        new GatewayError('SWY_NO_CLIENT', { method: req.method, capability: req.method.split('/')[0] }),
      );
    // A request about a task (e.g. elicitation while it runs) belongs to the task's creator.
    const task = tasks.relatedTask(u.name, req.params);
    const owner = task ? this.session(tasks.owner(task) ?? '') : undefined;
    if (owner) {
      if (!entitled(owner, u)) return noClient(); // and to no one else
      const params = req.params && tasks.toClient(u.name, req.params);
      return owner.request({ method: req.method, ...(params ? { params } : {}) }, signal);
    }
    const ref = inFlightCalls.latest(u.name, (s) => s.supports(req.method) && entitled(s, u));
    if (ref) return ref.session.request(req, signal, ref.reply);
    // No call in flight: the most recently active client that can answer, on its GET stream.
    let best: Session | undefined;
    for (const s of this.deps.sessions().values()) {
      if (!s.supports(req.method) || !s.outlet || (best && s.lastSeen <= best.lastSeen)) continue;
      if (entitled(s, u)) best = s;
    }
    return best ? best.request(req, signal) : noClient();
  }

  private session(id: string): Session | undefined {
    return this.deps.sessions().live(id);
  }
}
