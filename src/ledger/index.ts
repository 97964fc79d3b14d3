/**
 * The audit ledger: one hash-chained record per operation through the gateway, written off the
 * hot path, verifiable end to end (`switchyard audit verify`). See docs/security.md.
 */
export { canonicalJson, digest, sha256Hex } from './canonical.js';
export { chainHash, GENESIS, seal, verifyChain, type Problem, type VerifyResult } from './chain.js';
export { redact, toEntry, unbuildableEntry, type EntryOptions, type LedgerInput } from './entry.js';
export { anchorGaps, resolveAnchor, type LedgerAnchor } from './anchor.js';
export { inspectLedger, verifyLedger, type Finding } from './verify.js';
export { LedgerWriter, type LedgerOptions, type LedgerSink } from './writer.js';
export { exportLedger, pagesOf } from './read.js';
