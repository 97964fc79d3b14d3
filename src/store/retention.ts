/**
 * Forgetting what has outlived its retention: SSE events kept for resumption
 * (`resumability.retentionMs`), agent conversations (`conversations.retentionMs`) and A2A tasks
 * with their owners (`a2a.taskRetentionMs`). A retention of 0 keeps them forever.
 */
import type { Config } from '../config/schema.js';
import type { Store } from './types.js';

export async function pruneExpired(store: Store, config: Config, now = Date.now()): Promise<void> {
  await store.events.prune(now - config.resumability.retentionMs);
  const keep = config.conversations.retentionMs;
  if (keep > 0) await store.conversations.prune(now - keep);
  const keepTasks = config.a2a.taskRetentionMs;
  if (keepTasks > 0) {
    await store.a2a.prune(now - keepTasks);
    // Who owned a proxied agent's task is kept as long (the agent may keep the task longer:
    // then it belongs to no one, and only admins reach it).
    await store.a2a.owners.prune(now - keepTasks);
  }
}
