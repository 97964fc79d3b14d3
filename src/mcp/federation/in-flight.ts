/**
 * Which downstream calls are in flight on each upstream.
 *
 * Stdio and legacy-SSE upstreams send every message on one shared channel, so a sampling request
 * or a log line they emit while serving a call carries nothing that says which caller it is for.
 * The gateway then gives it to the caller with a call in flight on that upstream — the most recent
 * one whose client can take it and whose principal policy lets use that upstream (a call in flight
 * was authorized when it started; the rules may have changed since). With a single caller (the
 * common desktop case) this is exact; with several it is a best effort, documented in
 * docs/architecture.md. Streamable HTTP upstreams do not need this: each call has its own response
 * stream.
 */
import type { Principal } from '../../policy/principal.js';
import type { JsonObject } from '../jsonrpc.js';
import type { Reply } from '../session.js';
import type { CallOutcome } from '../upstream/forwarder.js';

/** Who made a call: a client session, or the gateway itself on behalf of an A2A client. */
export interface Caller {
  /** Who it is, as last authenticated (undefined: not yet known, e.g. a restored session). */
  readonly identity: Principal | undefined;
  supports(method: string): boolean;
  wantsLog(level: unknown): boolean;
  request(
    req: { method: string; params?: JsonObject },
    signal: AbortSignal,
    via?: Pick<Reply, 'related'>,
  ): Promise<CallOutcome>;
}

export interface InFlightCall {
  readonly upstream: string;
  readonly session: Caller;
  readonly reply: Pick<Reply, 'related'>;
}

export class InFlightCalls {
  private readonly byUpstream = new Map<string, Set<InFlightCall>>();

  /** A call to `upstream` started for `session`, answered on `reply`. */
  begin(upstream: string, session: Caller, reply: Pick<Reply, 'related'>): InFlightCall {
    const ref: InFlightCall = { upstream, session, reply };
    let set = this.byUpstream.get(upstream);
    if (!set) this.byUpstream.set(upstream, (set = new Set()));
    set.add(ref);
    return ref;
  }

  /** The call ended, however it ended. */
  end(ref: InFlightCall): void {
    this.byUpstream.get(ref.upstream)?.delete(ref);
  }

  /** The most recently started call on the upstream that satisfies `accept`. */
  latest(upstream: string, accept: (s: Caller) => boolean): InFlightCall | undefined {
    const set = this.byUpstream.get(upstream);
    if (!set) return undefined;
    let found: InFlightCall | undefined;
    for (const ref of set) if (accept(ref.session)) found = ref; // Sets iterate in insertion order
    return found;
  }
}
