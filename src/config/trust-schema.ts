/**
 * The config sections about who may do what and what is kept of it: authentication, authorization
 * rules, rate limits and the audit ledger. Part of the one config schema (`schema.ts`).
 */
import { z } from 'zod';
import { durationMs, name } from './schema-parts.js';

/** Argument keys redacted from stored arguments by default (case-insensitive substrings). */
export const DEFAULT_REDACT_KEYS = [
  'password',
  'passwd',
  'secret',
  'token',
  'apikey',
  'api_key',
  'authorization',
  'cookie',
  'credential',
  'private_key',
];

export const AuthSchema = z
  .strictObject({
    required: z
      .boolean()
      .default(false)
      .describe(
        'Require a credential (API key or JWT bearer token) on /mcp. Off: requests without one run as ' +
          '`anonymous`; a credential that is sent is still checked.',
      ),
    anonymous: name
      .default('anonymous')
      .describe('The principal of unauthenticated requests when not required.'),
    stdio: z
      .strictObject({
        principal: name.default('local').describe('The principal `switchyard stdio` runs as.'),
        groups: z.array(name).default([]).describe('Its groups.'),
      })
      .prefault({})
      .describe('The stdio front serves one local client, which runs as this configured principal.'),
    admins: z
      .array(z.string().regex(/^(group:)?\S{1,256}$/, 'expected NAME or group:NAME'))
      .default([])
      .describe(
        'Principals (`alice`) and groups (`group:ops`) that may use the admin API. `admin.token` always may.',
      ),
    jwt: z
      .strictObject({
        issuer: z.string().min(1).describe('Required `iss`.'),
        audience: z
          .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
          .optional()
          .describe(
            'Accepted `aud` value(s): this gateway as a resource (RFC 8707). Default: `auth.oauth.resource`.',
          ),
        jwksUrl: z.url().optional().describe("The issuer's JWKS URL (keys are fetched and cached)."),
        keys: z
          .array(z.record(z.string(), z.unknown()))
          .optional()
          .describe('Static verification keys as JWKs (public keys), instead of or besides a JWKS URL.'),
        algorithms: z
          .array(z.string())
          .default(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'])
          .describe('Accepted signature algorithms.'),
        clockToleranceSec: z
          .number()
          .int()
          .min(0)
          .default(30)
          .describe('Allowed clock skew for exp/nbf/iat.'),
        principalClaim: z.string().default('sub').describe('The claim that names the principal.'),
        groupsClaim: z
          .string()
          .default('groups')
          .describe("The claim with the principal's groups (array or space-separated)."),
        requiredScopes: z
          .array(z.string())
          .default([])
          .describe('Scopes every token must carry (403 insufficient_scope otherwise).'),
      })
      .refine((j) => j.jwksUrl !== undefined || (j.keys?.length ?? 0) > 0, {
        message: 'give jwksUrl or keys',
      })
      .optional()
      .describe('JWT bearer tokens (OAuth 2.1 access tokens), verified with `jose`.'),
    oauth: z
      .strictObject({
        resource: z
          .url()
          .optional()
          .describe(
            "The MCP endpoint's public URL (the resource identifier). Default: http://HOST:PORT/mcp.",
          ),
        authorizationServers: z
          .array(z.url())
          .min(1)
          .describe(
            'Authorization servers that issue tokens for this gateway (RFC 9728 `authorization_servers`).',
          ),
        scopesSupported: z.array(z.string()).optional().describe('Advertised `scopes_supported`.'),
      })
      .optional()
      .describe(
        'The gateway as an OAuth 2.1 resource server (MCP authorization 2025-11-25): Protected Resource ' +
          'Metadata at /.well-known/oauth-protected-resource[/mcp] and `resource_metadata` in 401 challenges.',
      ),
    keyCacheMs: durationMs(
      'How long a looked-up API key is cached; a key revoked from the CLI stops working within this time ' +
        '(revoked through the admin API: at once).',
      2000,
    ),
  })
  .describe('Authentication (docs/security.md).');

/** Bounded: every policy decision matches against them. */
const glob = z.string().min(1).max(512);

const globs = (what: string) =>
  z.array(glob).max(512).optional().describe(`${what} (globs: \`*\` any run, \`?\` one; case-insensitive).`);

/** A rule's name is shown in logs, the ledger and `policy explain`: one printable line, bounded. */
const ruleName = z
  .string()
  .regex(/^[^\p{C}]{1,128}$/u, 'expected 1–128 printable characters (no control or format characters)');

const principals = z
  .array(z.string().regex(/^(\*|(group:)?\S{1,256})$/, 'expected NAME, group:NAME or *'))
  .max(512);

export const PolicySchema = z
  .strictObject({
    name: ruleName
      .optional()
      .describe('Shown by `policy explain` and in the ledger (default `policies[i]`).'),
    effect: z.enum(['allow', 'deny']).describe('Deny overrides allow.'),
    principals: principals
      .min(1)
      .describe('Who the rule is about: principal names, `group:NAME`, or `*` for everyone.'),
    upstreams: globs('Upstreams (for A2A: agents) the rule covers; absent: all'),
    tools: globs("Tools, by federated name (`docs.search`) or the upstream's own name (`search`)"),
    prompts: globs('Prompts, by federated or own name'),
    resources: globs('Resource URIs'),
    agents: globs('A2A agents'),
    skills: z
      .array(glob)
      .max(512)
      .optional()
      .describe(
        'A2A skills (globs): the skill a message names in its metadata (`skill` or `skillId`), and ' +
          "bridged agents' skill tools. Skills narrow what agent and tool rules allow: they are " +
          'restricted only for principals that some rule with `skills` covers.',
      ),
  })
  .describe(
    'One authorization rule. Without any of tools/prompts/resources/agents/skills it covers everything ' +
      '(of its upstreams); with some, only those kinds.',
  );

export const RateLimitSchema = z
  .strictObject({
    name: ruleName.optional().describe('Named in errors and metrics (default `rateLimits[i]`).'),
    principals: principals.default(['*']).describe('Who the limit applies to.'),
    tools: globs('Only calls of these tools count (absent: every request)'),
    rate: z.number().positive().describe('Requests allowed per `per` (the refill rate).'),
    per: z.enum(['second', 'minute', 'hour', 'day']).default('minute').describe('The period of `rate`.'),
    burst: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Bucket size: how many may come at once (default: rate).'),
    key: z
      .enum(['principal', 'principal-tool', 'tool'])
      .default('principal')
      .describe(
        'One bucket per principal, per principal and tool, or per tool shared by everyone (a quota on the tool).',
      ),
  })
  .describe('A token-bucket rate limit or quota.');

export const AuditSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Write one hash-chained ledger record per operation.'),
    storeArguments: z
      .boolean()
      .default(false)
      .describe(
        'Keep call arguments in the ledger (secret-looking keys redacted). Off: only their SHA-256 digest.',
      ),
    redactKeys: z
      .array(z.string().min(1))
      .default(DEFAULT_REDACT_KEYS)
      .describe('Argument keys whose values are replaced by `[redacted]` (case-insensitive substrings).'),
    batchSize: z.number().int().min(1).default(256).describe('Records written per transaction at most.'),
    flushIntervalMs: durationMs('Queued records are written at least this often.', 200),
    maxQueue: z
      .number()
      .int()
      .min(1)
      .default(50_000)
      .describe('Records waiting to be written at most; beyond, new requests are refused (503).'),
    checkpointEvery: z
      .number()
      .int()
      .min(0)
      .default(1000)
      .describe('Write a checkpoint (seq, hash) every this many records (0: only at stop).'),
    signingKey: z
      .string()
      .min(16, 'at least 16 characters (e.g. 32 random bytes, hex)')
      .optional()
      .describe(
        'Key that signs checkpoints (HMAC-SHA256; use `${VAR}`). Without it or signingKeyFile, a SQLite file ' +
          'store gets a generated key file beside it (`<db>.ledger.key`); other stores go unsigned.',
      ),
    signingKeyFile: z.string().min(1).optional().describe('Or a file holding the key.'),
    headFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'File that keeps the latest signed checkpoint outside the database (default: `<db>.ledger.head` ' +
          'beside a SQLite file store, else beside signingKeyFile).',
      ),
  })
  .refine((a) => a.signingKey === undefined || a.signingKeyFile === undefined, {
    path: ['signingKeyFile'],
    message: 'set signingKey or signingKeyFile, not both',
  })
  .describe('The audit ledger (docs/security.md).');
