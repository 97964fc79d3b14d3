/** Reading what an in-process gateway wrote to its ledger. */
import type { Gateway } from '../../src/index.js';

export async function ledgerEntries(gateway: Gateway): Promise<Record<string, unknown>[]> {
  await gateway.core.ledger?.flush();
  const rows = await gateway.core.store.ledger.after(0, 100_000);
  return rows.map((r) => JSON.parse(r.entry) as Record<string, unknown>);
}
