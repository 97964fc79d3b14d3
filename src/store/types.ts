/**
 * The store: everything the gateway must remember across requests, restarts and (later) replicas.
 *
 * One interface, two dialects behind it (SQLite embedded by default, Postgres when scaled out);
 * the repositories below are the only way the rest of the gateway touches the database.
 */
import type { PushNotificationStore, TaskStore } from '@a2a-js/sdk/server';

export interface StoredUpstream {
  name: string;
  /** The upstream's config entry as submitted (validated against UpstreamSchema on the way in). */
  spec: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface StoredSession {
  id: string;
  protocolVersion: string;
  clientInfo: Record<string, unknown>;
  clientCapabilities: Record<string, unknown>;
  logLevel: string | null;
  createdAt: number;
  lastSeenAt: number;
  /** Who opened the session; later requests must come from the same principal. */
  principal?: string | null;
}

export interface StoredEvent {
  sessionId: string;
  streamId: string;
  seq: number;
  /** The JSON-RPC message as sent on the wire (already serialised). */
  message: string;
  createdAt: number;
}

export interface StoredCatalogEntry {
  name: string;
  kind: string;
  /** The entry as validated (CatalogEntrySchema output). */
  spec: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface CatalogRepo {
  list(): Promise<StoredCatalogEntry[]>;
  get(name: string): Promise<StoredCatalogEntry | undefined>;
  /**
   * Insert all or nothing: when any name is taken, nothing is written and the taken names are
   * returned (an empty array means every entry was inserted).
   */
  insertAll(entries: readonly StoredCatalogEntry[]): Promise<string[]>;
  /** Returns false when there was nothing to delete. */
  delete(name: string): Promise<boolean>;
}

export interface UpstreamRepo {
  list(): Promise<StoredUpstream[]>;
  get(name: string): Promise<StoredUpstream | undefined>;
  /** Insert; returns false (and changes nothing) when the name is taken. */
  insert(u: StoredUpstream): Promise<boolean>;
  /** Returns false when there was nothing to delete. */
  delete(name: string): Promise<boolean>;
}

export interface SessionRepo {
  insert(s: StoredSession): Promise<void>;
  get(id: string): Promise<StoredSession | undefined>;
  setLogLevel(id: string, level: string): Promise<void>;
  touch(ids: readonly string[], at: number): Promise<void>;
  delete(id: string): Promise<void>;
  /** Delete sessions idle since before `cutoff` and their events; returns their ids. */
  expire(cutoff: number): Promise<string[]>;
}

export interface EventRepo {
  append(events: readonly StoredEvent[]): Promise<void>;
  /** Events of the stream with seq > afterSeq, in order. */
  after(streamId: string, afterSeq: number): Promise<StoredEvent[]>;
  /** The session a stream belongs to, if the stream has any stored event. */
  sessionOf(streamId: string): Promise<string | undefined>;
  prune(cutoff: number): Promise<number>;
}

export interface A2aRepos {
  readonly tasks: TaskStore;
  readonly pushConfigs: PushNotificationStore;
  /**
   * Forget tasks in a final state (completed, failed, canceled, rejected) whose status last
   * changed before `before` (epoch ms), and their push configs; returns how many tasks.
   */
  prune(before: number): Promise<number>;
  /** Owners of the tasks of proxied agents (served agents' tasks carry their owner themselves). */
  readonly owners: TaskOwnerRepo;
}

export interface StoredTaskOwner {
  /** The proxied agent (upstream name). */
  agent: string;
  taskId: string;
  contextId: string;
  principal: string;
  createdAt: number;
}

export interface TaskOwnerRepo {
  /**
   * Record owners; a task that already has one keeps it (the first to record wins). Returns the
   * rows that were inserted.
   */
  insertAll(rows: readonly StoredTaskOwner[]): Promise<{ agent: string; taskId: string }[]>;
  /** The owners of these tasks of one agent (tasks without a record are absent). */
  ownersOf(agent: string, taskIds: readonly string[]): Promise<Map<string, string>>;
  /** Who owns a context of one agent: the owner of a task recorded in it, if any. */
  contextOwner(agent: string, contextId: string): Promise<string | undefined>;
  /** Forget records older than `before` (epoch ms); returns how many. */
  prune(before: number): Promise<number>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data lives, with any password removed (safe to log). */
  readonly location: string;
  readonly upstreams: UpstreamRepo;
  readonly sessions: SessionRepo;
  readonly events: EventRepo;
  /** A2A tasks and push-notification configs of the agents the gateway serves (the SDK's stores). */
  readonly a2a: A2aRepos;
  readonly catalog: CatalogRepo;
  readonly apiKeys: ApiKeyRepo;
  readonly pins: PinRepo;
  readonly ledger: LedgerRepo;
  /** Authorization rules added at runtime. */
  readonly policies: PolicyRepo;
  /** Conversations of the agents the gateway runs. */
  readonly conversations: ConversationRepo;
  close(): Promise<void>;
}

// ---- identity, pinning and audit (issue 4) -------------------------------------------------

export interface StoredApiKey {
  /** The public part of the key (`swy_<id>_…`), used to find it. */
  id: string;
  /** SHA-256 (hex) of the whole key; the key itself is never stored. */
  hash: string;
  principal: string;
  groups: string[];
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

export interface StoredPolicy {
  name: string;
  /** The rule as given (validated against the policy schema when loaded). */
  rule: Record<string, unknown>;
  createdAt: number;
}

export interface PolicyRepo {
  list(): Promise<StoredPolicy[]>;
  /** Returns false when a rule of that name is already stored. */
  insert(p: StoredPolicy): Promise<boolean>;
  delete(name: string): Promise<boolean>;
}

/** Where a page of keys starts: after this key, in creation order. */
export interface KeyCursor {
  createdAt: number;
  id: string;
}

export interface ApiKeyRepo {
  insert(k: StoredApiKey): Promise<void>;
  get(id: string): Promise<StoredApiKey | undefined>;
  /** Keys in creation order; all of them, or one page (`limit` after `after`), optionally one principal's. */
  list(page?: { limit: number; after?: KeyCursor; principal?: string }): Promise<StoredApiKey[]>;
  /** Returns false when no such key exists or it was already revoked. */
  revoke(id: string, at: number): Promise<boolean>;
}

export interface StoredPin {
  upstream: string;
  tool: string;
  /** Definition hash (`sha256:…`) an admin accepted, and the definition it covers. */
  hash: string;
  definition: string;
  pinnedAt: number;
  /** A changed definition the upstream now offers, awaiting approval. */
  pendingHash: string | null;
  pendingDefinition: string | null;
  pendingSince: number | null;
}

export interface PinRepo {
  list(upstream?: string): Promise<StoredPin[]>;
  get(upstream: string, tool: string): Promise<StoredPin | undefined>;
  /** Record a first-seen definition; returns false (and changes nothing) when one is pinned. */
  insert(p: StoredPin): Promise<boolean>;
  /** Note a changed definition awaiting approval. */
  setPending(upstream: string, tool: string, hash: string, definition: string, at: number): Promise<void>;
  /** Make the pending (or the given) definition the pinned one. */
  approve(upstream: string, tool: string, hash: string, definition: string, at: number): Promise<void>;
}

export interface LedgerRow {
  seq: number;
  time: number;
  /** The entry as canonical JSON (the exact bytes that were hashed). */
  entry: string;
  prevHash: string;
  hash: string;
}

export interface LedgerCheckpoint {
  seq: number;
  hash: string;
  time: number;
  /** HMAC-SHA256 over (seq, hash, time) with the ledger key, hex; absent when unsigned. */
  signature?: string;
}

export interface LedgerRepo {
  /** The last row's seq and hash (the head of the chain). */
  head(): Promise<{ seq: number; hash: string } | undefined>;
  /**
   * Append rows (and a checkpoint) in one transaction, first deleting the checkpoints at `drop`
   * (an acknowledged forgery: the rows record what they were). A transaction that carries a
   * checkpoint is durable when it returns, even across an OS crash.
   */
  append(rows: readonly LedgerRow[], checkpoint?: LedgerCheckpoint, drop?: readonly number[]): Promise<void>;
  /** Rows with seq > afterSeq in seq order, at most `limit`. */
  after(afterSeq: number, limit: number): Promise<LedgerRow[]>;
  /** The first row at or after `time`'s seq (for exports `--since`). */
  firstSeqSince(time: number): Promise<number | undefined>;
  /** The last `n` rows, oldest first. */
  last(n: number): Promise<LedgerRow[]>;
  checkpoints(): Promise<LedgerCheckpoint[]>;
}

// ---- agents (issue 5) ------------------------------------------------------------------------

export interface StoredConversation {
  /** The agent the conversation is with, and the principal who started it (only they continue it). */
  agent: string;
  owner: string;
  /** The messages, oldest first (at most the newest `limit` asked for). */
  messages: unknown[];
}

export interface ConversationRepo {
  /** The conversation with this context id, or undefined when there is none. */
  load(contextId: string, limit: number): Promise<StoredConversation | undefined>;
  /** Add messages at the end (creating the conversation on first use). */
  append(contextId: string, agent: string, owner: string, messages: readonly unknown[]): Promise<void>;
  /** Forget conversations whose last message is older than `before` (epoch ms); returns how many. */
  prune(before: number): Promise<number>;
}
