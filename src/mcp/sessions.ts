/**
 * The live downstream sessions of this gateway process, backed by the store.
 *
 * A session is written to the store when it is created and read back when a request names a
 * session this process does not hold (after a restart; later, on another replica). Activity is
 * recorded in memory and written in batches; idle sessions are expired by a periodic sweep.
 *
 * A principal holds at most `maxPerPrincipal` sessions here. One more closes that principal's least
 * recently used session rather than refusing the new one: under a principal many clients share
 * (`anonymous`, a team's key) a client that opens sessions in a loop then mostly closes its own
 * abandoned ones, where refusing would lock every other client of that principal out.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../telemetry/logger.js';
import type { SessionRepo } from '../store/types.js';
import { LOG_LEVELS, Session, type LogLevel, type SessionInit } from './session.js';

const TOUCH_FLUSH_MS = 15_000;
const SWEEP_MS = 30_000;
const EVICTION_WARN_EVERY_MS = 60_000;

export class SessionRegistry {
  private readonly held = new Map<string, Session>();
  /** Each principal's sessions held here, least recently used first. */
  private readonly byPrincipal = new Map<string, Map<string, Session>>();
  /** When each principal was last warned about evictions. */
  private readonly warned = new Map<string, number>();
  private readonly touched = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastSweep = Date.now();
  onclose?: (s: Session) => void;
  /** A session was closed to make room for a newer one of the same principal. */
  onevict?: (s: Session) => void;

  constructor(
    private readonly repo: SessionRepo,
    private readonly log: Logger,
    private idleTimeoutMs: number,
    private maxPerPrincipal = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.held.size;
  }

  /** A session held by this process (no store lookup). */
  live(id: string): Session | undefined {
    return this.held.get(id);
  }

  values(): IterableIterator<Session> {
    return this.held.values();
  }

  start(): void {
    // maintain() logs its own failures.
    this.timer = setInterval(() => this.maintain().catch(() => {}), TOUCH_FLUSH_MS);
    this.timer.unref();
  }

  setIdleTimeout(ms: number): void {
    this.idleTimeoutMs = ms;
  }

  setMaxPerPrincipal(n: number): void {
    this.maxPerPrincipal = n;
  }

  async create(init: Omit<SessionInit, 'id'>): Promise<Session> {
    const session = new Session({ ...init, id: randomUUID() });
    // Held (and counted) at once, so initializes arriving together cannot pass the cap together.
    const evicted = this.hold(session).catch((err: unknown) =>
      this.log.error({ err }, 'closing an evicted session failed'),
    );
    if (init.transport === 'http') {
      // Persist before the client learns the id: any later request may need to find it here.
      try {
        await this.repo.insert({
          id: session.id,
          protocolVersion: session.protocolVersion,
          clientInfo: session.clientInfo,
          clientCapabilities: session.clientCapabilities,
          logLevel: session.logLevel,
          createdAt: session.createdAt,
          lastSeenAt: session.lastSeen,
          principal: session.principal ?? null,
        });
      } catch (err) {
        this.release(session);
        throw err;
      }
    }
    await evicted;
    return session;
  }

  /** The session with this id: live here, or restored from the store. */
  async get(id: string): Promise<Session | undefined> {
    const live = this.held.get(id);
    if (live) {
      this.touch(live);
      return live;
    }
    const stored = await this.repo.get(id).catch((err: unknown) => {
      this.log.error({ err }, 'reading a session from the store failed');
      return undefined;
    });
    if (!stored || this.expired(stored.lastSeenAt)) return undefined;
    const again = this.held.get(id); // another request may have restored it meanwhile
    if (again) {
      this.touch(again);
      return again;
    }
    const session = new Session({
      id: stored.id,
      transport: 'http',
      protocolVersion: stored.protocolVersion,
      clientInfo: stored.clientInfo,
      clientCapabilities: stored.clientCapabilities,
      logLevel: LOG_LEVELS.includes(stored.logLevel as LogLevel) ? (stored.logLevel as LogLevel) : null,
      createdAt: stored.createdAt,
      ...(stored.principal ? { principal: stored.principal } : {}),
    });
    this.hold(session).catch((err: unknown) => this.log.error({ err }, 'closing an evicted session failed'));
    this.touch(session);
    this.log.debug({ session: id }, 'session restored from the store');
    return session;
  }

  touch(s: Session): void {
    s.lastSeen = Date.now();
    if (s.transport === 'http') this.touched.add(s.id);
    const mine = s.principal === undefined ? undefined : this.byPrincipal.get(s.principal);
    if (mine?.delete(s.id)) mine.set(s.id, s); // now the most recently used
  }

  async setLogLevel(s: Session, level: LogLevel): Promise<void> {
    s.logLevel = level;
    if (s.transport === 'http') await this.repo.setLogLevel(s.id, level);
  }

  /** End a session (DELETE, expiry, or its stdio client went away). */
  async close(s: Session): Promise<void> {
    this.release(s);
    this.touched.delete(s.id);
    s.close();
    this.onclose?.(s);
    if (s.transport === 'http') await this.repo.delete(s.id).catch(() => {});
  }

  /** Write recent activity and expire idle sessions. */
  async maintain(now = Date.now()): Promise<void> {
    // A session waiting on a long call is not idle, even if the client sends nothing meanwhile.
    for (const s of this.held.values()) {
      if (s.inFlight.size > 0 && s.transport === 'http') {
        s.lastSeen = now;
        this.touched.add(s.id);
      }
    }
    const ids = [...this.touched];
    this.touched.clear();
    try {
      await this.repo.touch(ids, now);
      if (this.idleTimeoutMs > 0 && now - this.lastSweep >= SWEEP_MS) {
        this.lastSweep = now;
        const cutoff = now - this.idleTimeoutMs;
        for (const s of [...this.held.values()]) {
          if (s.lastSeen < cutoff && s.inFlight.size === 0) {
            this.log.info({ session: s.id }, 'session expired');
            this.release(s);
            s.close();
            this.onclose?.(s);
          }
        }
        await this.repo.expire(cutoff);
      }
    } catch (err) {
      this.log.error({ err }, 'session maintenance failed');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const ids = [...this.touched];
    this.touched.clear();
    await this.repo.touch(ids, Date.now()).catch(() => {});
    for (const s of this.held.values()) s.close();
    this.held.clear();
    this.byPrincipal.clear();
  }

  /** Hold a session; if its principal now has too many, close their least recently used ones. */
  private hold(s: Session): Promise<void> {
    this.held.set(s.id, s);
    if (s.principal === undefined) return Promise.resolve();
    let mine = this.byPrincipal.get(s.principal);
    if (!mine) this.byPrincipal.set(s.principal, (mine = new Map()));
    mine.set(s.id, s);
    const closing: Promise<void>[] = [];
    while (mine.size > this.maxPerPrincipal) {
      const victim = leastRecentlyUsed(mine, s);
      if (!victim) break;
      this.reportEviction(s.principal, victim);
      // close() forgets it before its first await, so the loop sees the count go down.
      closing.push(this.close(victim));
      this.onevict?.(victim);
    }
    return Promise.all(closing).then(() => undefined);
  }

  /**
   * Warn once a minute per principal (a client opening sessions in a loop must not flood the
   * log); every eviction is counted (switchyard_mcp_sessions_evicted_total) and logged at debug.
   */
  private reportEviction(principal: string, victim: Session): void {
    const now = Date.now();
    for (const [p, at] of this.warned) if (now - at >= EVICTION_WARN_EVERY_MS) this.warned.delete(p);
    const fields = { principal, session: victim.id, limit: this.maxPerPrincipal };
    if (this.warned.has(principal)) {
      this.log.debug(fields, 'too many sessions for one principal: closed its least recently used session');
      return;
    }
    this.warned.set(principal, now);
    this.log.warn(
      fields,
      'too many sessions for one principal: closing its least recently used sessions (warned once a minute)',
    );
  }

  private release(s: Session): void {
    this.held.delete(s.id);
    if (s.principal === undefined) return;
    const mine = this.byPrincipal.get(s.principal);
    if (mine?.delete(s.id) && mine.size === 0) this.byPrincipal.delete(s.principal);
  }

  private expired(lastSeen: number): boolean {
    return this.idleTimeoutMs > 0 && Date.now() - lastSeen > this.idleTimeoutMs;
  }
}

/**
 * The session to give up (`mine` is in order of use, least recent first): the least recently used
 * with no call in flight, else the least recently used; never `keep`.
 */
function leastRecentlyUsed(mine: Map<string, Session>, keep: Session): Session | undefined {
  let busy: Session | undefined;
  for (const s of mine.values()) {
    if (s === keep) continue;
    if (s.inFlight.size === 0) return s;
    busy ??= s;
  }
  return busy;
}
