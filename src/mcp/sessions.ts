/**
 * The live downstream sessions of this gateway process, backed by the store.
 *
 * A session is written to the store when it is created and read back when a request names a
 * session this process does not hold (after a restart; later, on another replica). Activity is
 * recorded in memory and written in batches; idle sessions are expired by a periodic sweep.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../telemetry/logger.js';
import type { SessionRepo } from '../store/types.js';
import { LOG_LEVELS, Session, type LogLevel, type SessionInit } from './session.js';

const TOUCH_FLUSH_MS = 15_000;
const SWEEP_MS = 30_000;

export class SessionRegistry {
  private readonly held = new Map<string, Session>();
  private readonly touched = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastSweep = Date.now();
  onclose?: (s: Session) => void;

  constructor(
    private readonly repo: SessionRepo,
    private readonly log: Logger,
    private idleTimeoutMs: number,
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
    this.timer = setInterval(() => void this.maintain(), TOUCH_FLUSH_MS);
    this.timer.unref();
  }

  setIdleTimeout(ms: number): void {
    this.idleTimeoutMs = ms;
  }

  async create(init: Omit<SessionInit, 'id'>): Promise<Session> {
    const session = new Session({ ...init, id: randomUUID() });
    if (init.transport === 'http') {
      // Persist before the client learns the id: any later request may need to find it here.
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
    }
    this.held.set(session.id, session);
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
    if (again) return again;
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
    this.held.set(id, session);
    this.touch(session);
    this.log.debug({ session: id }, 'session restored from the store');
    return session;
  }

  touch(s: Session): void {
    s.lastSeen = Date.now();
    if (s.transport === 'http') this.touched.add(s.id);
  }

  async setLogLevel(s: Session, level: LogLevel): Promise<void> {
    s.logLevel = level;
    if (s.transport === 'http') await this.repo.setLogLevel(s.id, level);
  }

  /** End a session (DELETE, expiry, or its stdio client went away). */
  async close(s: Session): Promise<void> {
    this.held.delete(s.id);
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
            this.held.delete(s.id);
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
  }

  private expired(lastSeen: number): boolean {
    return this.idleTimeoutMs > 0 && Date.now() - lastSeen > this.idleTimeoutMs;
  }
}
