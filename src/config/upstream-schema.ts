/**
 * The config sections for upstreams: MCP servers (stdio, Streamable HTTP, HTTP+SSE) and A2A
 * agents. Part of the one config schema (`schema.ts`).
 */
import { z } from 'zod';
import { artifactName } from './catalog-schema.js';
import { durationMs, name, stringMap } from './schema-parts.js';

const pinningSchema = z
  .enum(['pin', 'warn', 'off'])
  .default('pin')
  .describe(
    'Tool-definition pinning (rug-pull defence): `pin` quarantines a tool whose definition changed since it ' +
      'was first seen until an admin approves it (`switchyard tools diff|approve`); `warn` only logs and ' +
      'records the change; `off` does not track definitions.',
  );

/** Shared by every kind of upstream. */
const prefixSchema = z
  .enum(['always', 'conditional', 'never'])
  .default('always')
  .describe(
    'Tool and prompt name prefixing: `always` `<name><sep><tool>`; `conditional` only names that collide ' +
      'with another upstream; `never` keeps names as they are (collisions are reported, never shadowed).',
  );

/** Shared by every kind of upstream. */
const maxResponseBytesSchema = z
  .number()
  .int()
  .min(1024)
  .default(16 * 1024 * 1024)
  .describe(
    'Largest message accepted from this upstream: a response body, one SSE event or one stdio line. A ' +
      'larger one is not read: the call fails with SWY_UPSTREAM_RESPONSE_TOO_LARGE.',
  );

export const StdioMcpSchema = z
  .strictObject({
    command: z.string().min(1).describe('Executable to launch (looked up on PATH).'),
    args: z.array(z.string()).default([]).describe('Arguments passed to the command.'),
    env: stringMap
      .default({})
      .describe(
        'Extra environment variables. Only HOME, LOGNAME, PATH, SHELL, TERM and USER are inherited (and ' +
          'what `inheritEnv` names); `env` wins over both.',
      ),
    inheritEnv: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'))
      .default([])
      .describe(
        "Variables passed through from the gateway's own environment, e.g. `[GITHUB_TOKEN, XDG_CONFIG_HOME]`: " +
          'the server gets what it needs without the secret being copied into the config. Names not set are ' +
          'left out. Not allowed for upstreams added through the admin API.',
      ),
    cwd: z.string().optional().describe('Working directory; relative paths resolve against the process cwd.'),
  })
  .describe('An MCP server started as a child process and spoken to over stdio.');

export const UpstreamOAuthSchema = z
  .strictObject({
    grant: z
      .enum(['client_credentials', 'token_exchange'])
      .describe('`client_credentials` (OAuth 2.1) or `token_exchange` (RFC 8693).'),
    tokenUrl: z.url().describe('The token endpoint.'),
    clientId: z.string().min(1).describe("The gateway's client id at that authorization server."),
    clientSecret: z
      .string()
      .optional()
      .describe('Its secret (use `${VAR}`), sent with HTTP Basic authentication.'),
    clientSecretFile: z
      .string()
      .optional()
      .describe('Or a file holding the secret (e.g. a mounted Kubernetes secret).'),
    scope: z.string().optional().describe('`scope` to request.'),
    audience: z.string().optional().describe('`audience` to request.'),
    resource: z.url().optional().describe("`resource` to request (RFC 8707): usually the upstream's URL."),
    subjectToken: z.string().optional().describe('token_exchange: the token to exchange (use `${VAR}`).'),
    subjectTokenFile: z.string().optional().describe('token_exchange: or a file holding it.'),
    subjectTokenType: z
      .string()
      .default('urn:ietf:params:oauth:token-type:access_token')
      .describe('token_exchange: the type of the subject token.'),
  })
  .describe(
    'Credentials the gateway obtains for itself from an OAuth authorization server; the access token is ' +
      "sent as `Authorization: Bearer …` and refreshed before it expires. Clients' tokens are never used.",
  );

export const HttpMcpSchema = z
  .strictObject({
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).describe('The MCP endpoint URL.'),
    transport: z
      .enum(['streamable-http', 'sse'])
      .default('streamable-http')
      .describe('`streamable-http` (MCP 2025-03-26 and later) or `sse` for the legacy HTTP+SSE transport.'),
    headers: stringMap
      .default({})
      .describe('Headers sent on every request, e.g. `Authorization: Bearer ${DOCS_TOKEN}`.'),
    headerFiles: stringMap
      .default({})
      .describe(
        'Headers whose values are read from files (trimmed), e.g. `Authorization: /run/secrets/docs`.',
      ),
    oauth: UpstreamOAuthSchema.optional(),
  })
  .describe('An MCP server reached over HTTP.');

export const UpstreamSchema = z
  .strictObject({
    name: name.describe('Unique name; used as the tool/prompt prefix and in logs, metrics and errors.'),
    mcp: z
      .union([StdioMcpSchema, HttpMcpSchema], {
        error:
          'expected either { command, args?, env?, cwd? } (stdio) or { url, transport?, headers? } (HTTP)',
      })
      .describe('How to reach the upstream MCP server.'),
    prefix: prefixSchema,
    pinning: pinningSchema,
    timeoutMs: durationMs(
      'Per-request timeout towards this upstream. Progress notifications from the upstream reset it.',
      120_000,
    ),
    startTimeoutMs: durationMs(
      'How long starting the upstream (spawn or connect, plus initialize) may take; `npx` downloads can be slow.',
      60_000,
    ),
    maxTotalTimeoutMs: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Hard cap on a request even while progress keeps arriving (unset: none).'),
    maxResponseBytes: maxResponseBytesSchema,
    enabled: z.boolean().default(true).describe('Set to false to keep the entry but not start it.'),
    healthCheck: z
      .strictObject({
        intervalMs: durationMs('How often to ping the upstream (0 disables health checks).', 30_000),
        timeoutMs: durationMs('A ping slower than this counts as a failure.', 5_000),
        failures: z.number().int().min(1).default(2).describe('Consecutive failures before a restart.'),
      })
      .prefault({})
      .describe('Liveness checks with MCP `ping`.'),
    restart: z
      .strictObject({
        initialDelayMs: durationMs('First restart delay after a failure.', 500),
        maxDelayMs: durationMs('Backoff ceiling between restart attempts.', 30_000),
      })
      .prefault({})
      .describe('Restart with exponential backoff when the upstream dies or fails its health checks.'),
    artifacts: z
      .array(artifactName)
      .optional()
      .describe(
        'Names of the catalog entries (models, datasets, …) this upstream uses; checked against ' +
          '`licensePolicy` before it is started. See docs/catalog.md.',
      ),
  })
  .describe('One upstream MCP server.');

/** `scheme://host[:port]`, nothing more: what a URL's origin is compared with. */
const origin = z.url({ protocol: /^https?$/, error: 'expected an http(s) origin' }).refine(
  (v) => {
    const u = new URL(v);
    return u.pathname === '/' && !u.search && !u.hash && !u.username && !u.password;
  },
  { error: 'expected an origin: scheme://host[:port], without path, query or credentials' },
);

export const A2aEndpointSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
      .describe('Base URL of the agent; its card is read from `<url>/.well-known/agent-card.json`.'),
    cardPath: z
      .string()
      .default('.well-known/agent-card.json')
      .describe('Where the Agent Card lives, relative to `url`.'),
    headers: stringMap
      .default({})
      .describe('Headers sent on every request to the agent, e.g. `Authorization: Bearer ${TRAVEL_TOKEN}`.'),
    refreshIntervalMs: durationMs('How often the Agent Card is fetched again (0: only at start).', 300_000),
    allowedOrigins: z
      .array(origin)
      .default([])
      .describe(
        'Other origins (`https://host[:port]`) the card may list interfaces on. By default every interface ' +
          "must be on the origin of `url`: the configured headers (credentials) go wherever the card's " +
          'interfaces point, so a card naming any other origin is refused.',
      ),
    requireSignature: z
      .boolean()
      .default(false)
      .describe(
        'Refuse a card without a valid JWS signature (signatures present are always verified). Needs `jwksUrl`.',
      ),
    jwksUrl: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
      .optional()
      .describe(
        "JWKS that card signatures are verified against (the signature's `jku` is then ignored). Without it, a " +
          "signature is checked against a `jku` on the card's own origin, which proves only that the card is intact.",
      ),
  })
  .superRefine((a2a, ctx) => {
    // Keys the card's own server hands out prove nothing about who published the card.
    if (a2a.requireSignature && !a2a.jwksUrl)
      ctx.addIssue({
        code: 'custom',
        path: ['jwksUrl'],
        message: 'required when requireSignature is true: the JWKS of whoever signs the card',
      });
  })
  .describe('An Agent2Agent (A2A) agent reached over HTTP (JSON-RPC or HTTP+JSON, v1.0 or v0.3).');

export const A2aUpstreamSchema = z
  .strictObject({
    name: name.describe(
      'Unique name; the agent is served at /a2a/<name> and its tools are prefixed with it.',
    ),
    a2a: A2aEndpointSchema,
    prefix: prefixSchema,
    pinning: pinningSchema.describe(
      "Pinning of the bridged tools' definitions and of the agent's interfaces (URL, binding, version and " +
        'tenant of each, from its card; pin name `#interfaces`): `pin` quarantines a changed tool and holds ' +
        'a changed interface set — calls keep going to the approved interfaces — until an admin approves it ' +
        '(`switchyard tools diff|approve`); `warn` only logs and records changes; `off` tracks neither.',
    ),
    timeoutMs: durationMs('How long one A2A call may take before it is abandoned.', 120_000),
    maxResponseBytes: maxResponseBytesSchema,
    startTimeoutMs: durationMs('How long fetching the Agent Card may take at start.', 30_000),
    enabled: z.boolean().default(true).describe('Set to false to keep the entry but not start it.'),
    restart: z
      .strictObject({
        initialDelayMs: durationMs('First retry delay after the card could not be fetched.', 500),
        maxDelayMs: durationMs('Backoff ceiling between attempts.', 30_000),
      })
      .prefault({})
      .describe('Retry with exponential backoff while the Agent Card cannot be fetched or validated.'),
    artifacts: z
      .array(artifactName)
      .optional()
      .describe(
        'Names of the catalog entries (models, datasets, …) this agent uses; checked against ' +
          '`licensePolicy` before it is used. See docs/catalog.md.',
      ),
  })
  .describe('One upstream A2A agent: proxied at /a2a/<name> and offered to MCP clients as tools.');
// ---- models and the agents that run on them (docs/agents.md, docs/models.md) ---------------------
