/**
 * The error catalogue's data: every error the gateway itself produces has a stable code, an HTTP
 * status, a JSON-RPC code, a message and a one-line fix. Codes are never reused or renumbered.
 * `docs/errors.md` is generated from this table (`npm run generate`).
 */

// JSON-RPC 2.0 codes and the MCP ones (MCP 2025-11-25 §Error Handling; SDK `ErrorCode`).
export const JSONRPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** Implementation-defined server errors live in -32000..-32019. */
  SERVER_ERROR: -32000,
  REQUEST_TIMEOUT: -32001,
  RESOURCE_NOT_FOUND: -32002,
  UPSTREAM_UNAVAILABLE: -32010,
  UPSTREAM_FAILED: -32011,
  SHUTTING_DOWN: -32012,
  RATE_LIMITED: -32013,
} as const;

interface CatalogueEntry {
  status: number;
  rpc: number;
  message: string;
  fix: string;
}

const entry = (status: number, rpc: number, message: string, fix: string): CatalogueEntry => ({
  status,
  rpc,
  message,
  fix,
});

/** `{name}`-style placeholders in messages are filled from the error's params. */
export const ERRORS = {
  SWY_PARSE_ERROR: entry(
    400,
    JSONRPC.PARSE_ERROR,
    'Parse error: {detail}',
    'Send one JSON-RPC 2.0 message (or a batch) as UTF-8 JSON.',
  ),
  SWY_INVALID_REQUEST: entry(
    400,
    JSONRPC.INVALID_REQUEST,
    'Invalid request: {detail}',
    'Check the message against the JSON-RPC 2.0 and MCP schemas.',
  ),
  SWY_METHOD_NOT_FOUND: entry(
    200,
    JSONRPC.METHOD_NOT_FOUND,
    'Method not found: {method}',
    'Use a method the gateway advertised in its capabilities.',
  ),
  SWY_INVALID_PARAMS: entry(
    200,
    JSONRPC.INVALID_PARAMS,
    'Invalid params: {detail}',
    'Check the request params against the MCP schema for the method.',
  ),
  SWY_TOOL_NOT_FOUND: entry(
    200,
    JSONRPC.INVALID_PARAMS,
    'Unknown tool: {name}',
    'Call tools/list for the names this gateway offers.',
  ),
  SWY_PROMPT_NOT_FOUND: entry(
    200,
    JSONRPC.INVALID_PARAMS,
    'Unknown prompt: {name}',
    'Call prompts/list for the names this gateway offers.',
  ),
  SWY_RESOURCE_NOT_FOUND: entry(
    200,
    JSONRPC.RESOURCE_NOT_FOUND,
    'Resource not found: {uri}',
    'Call resources/list or resources/templates/list for what this gateway offers.',
  ),
  SWY_CAPABILITY_MISSING: entry(
    200,
    JSONRPC.METHOD_NOT_FOUND,
    'No upstream supports {method}',
    'Add an upstream that offers this capability, or check why it is down (GET /readyz).',
  ),
  SWY_SESSION_REQUIRED: entry(
    400,
    JSONRPC.SERVER_ERROR,
    'Bad Request: Mcp-Session-Id header is required',
    'Send initialize first, then the Mcp-Session-Id it returned on every request.',
  ),
  SWY_SESSION_NOT_FOUND: entry(
    404,
    JSONRPC.SERVER_ERROR,
    'Session not found',
    'The session ended or expired: initialize a new one.',
  ),
  SWY_ALREADY_INITIALIZED: entry(
    400,
    JSONRPC.INVALID_REQUEST,
    'Invalid Request: session already initialized',
    'Send initialize without an Mcp-Session-Id to start a new session.',
  ),
  SWY_NOT_INITIALIZED: entry(
    400,
    JSONRPC.SERVER_ERROR,
    'Bad Request: the first request of a session must be initialize',
    'Send initialize before anything else.',
  ),
  SWY_UNSUPPORTED_PROTOCOL_VERSION: entry(
    400,
    JSONRPC.SERVER_ERROR,
    'Bad Request: unsupported MCP-Protocol-Version {version}',
    'Use one of the versions the gateway negotiated or supports: {supported}.',
  ),
  SWY_ORIGIN_FORBIDDEN: entry(
    403,
    JSONRPC.SERVER_ERROR,
    'Forbidden: Origin {origin} is not allowed',
    'Add the origin to server.allowedOrigins if this client is trusted.',
  ),
  SWY_HOST_FORBIDDEN: entry(
    403,
    JSONRPC.SERVER_ERROR,
    'Forbidden: Host {host} is not allowed',
    'Add the host to server.allowedHosts if the gateway is reached under this name.',
  ),
  SWY_BODY_TOO_LARGE: entry(
    413,
    JSONRPC.INVALID_REQUEST,
    'Payload too large: the limit is {limit} bytes',
    'Send smaller messages or raise server.maxBodyBytes.',
  ),
  SWY_NOT_ACCEPTABLE: entry(
    406,
    JSONRPC.SERVER_ERROR,
    'Not Acceptable: {detail}',
    'Send Accept: application/json, text/event-stream (GET needs text/event-stream).',
  ),
  SWY_UNSUPPORTED_MEDIA_TYPE: entry(
    415,
    JSONRPC.SERVER_ERROR,
    'Unsupported Media Type: Content-Type must be {expected}',
    'Send the body with Content-Type: {expected}.',
  ),
  SWY_METHOD_NOT_ALLOWED: entry(
    405,
    JSONRPC.SERVER_ERROR,
    'Method not allowed: {method}',
    'Use POST, GET or DELETE on the MCP endpoint.',
  ),
  SWY_STREAM_CONFLICT: entry(
    409,
    JSONRPC.SERVER_ERROR,
    'Conflict: {detail}',
    'Close the other stream first; a session has one standalone GET stream.',
  ),
  SWY_EVENT_NOT_FOUND: entry(
    404,
    JSONRPC.SERVER_ERROR,
    'Last-Event-ID {eventId} is unknown or has expired',
    'Re-issue the request; events are kept for resumability.retentionMs.',
  ),
  SWY_UPSTREAM_UNAVAILABLE: entry(
    502,
    JSONRPC.UPSTREAM_UNAVAILABLE,
    'Upstream "{upstream}" is unavailable: {detail}',
    'Check the upstream (GET /readyz, the gateway log); it is restarted automatically.',
  ),
  SWY_UPSTREAM_TIMEOUT: entry(
    504,
    JSONRPC.REQUEST_TIMEOUT,
    'Upstream "{upstream}" did not answer {method} within {timeoutMs} ms',
    'Raise upstreams[].timeoutMs, or have the server send progress notifications.',
  ),
  SWY_UPSTREAM_FAILED: entry(
    502,
    JSONRPC.UPSTREAM_FAILED,
    'Upstream "{upstream}" failed during {method}: {detail}',
    'Check the upstream server; the gateway log has details.',
  ),
  SWY_UPSTREAM_RESPONSE_TOO_LARGE: entry(
    502,
    JSONRPC.UPSTREAM_FAILED,
    'Upstream "{upstream}" sent a message larger than {limit} bytes ({method}); it was not read',
    'Have the server send less at once (pages, resource links), or raise maxResponseBytes of that upstream.',
  ),
  SWY_NO_CLIENT: entry(
    200,
    JSONRPC.METHOD_NOT_FOUND,
    'No connected client can answer {method}',
    'Connect a client that declares the {capability} capability.',
  ),
  SWY_SHUTTING_DOWN: entry(
    503,
    JSONRPC.SHUTTING_DOWN,
    'The gateway is shutting down',
    'Retry against another replica or after restart.',
  ),
  SWY_INTERNAL: entry(
    500,
    JSONRPC.INTERNAL_ERROR,
    'Internal error (request {requestId})',
    'Report a bug with the gateway log line for this request id.',
  ),
  SWY_ADMIN_UNAUTHORIZED: entry(
    401,
    JSONRPC.SERVER_ERROR,
    'Admin API: missing or wrong bearer token',
    'Send Authorization: Bearer <admin token> (`switchyard admin token` prints it), or the credential of a principal in auth.admins.',
  ),
  SWY_ADMIN_STDIO_REFUSED: entry(
    403,
    JSONRPC.SERVER_ERROR,
    'Admin API: upstream "{upstream}" runs a command; stdio upstreams cannot be added at runtime',
    'Define it in the config file, or set admin.allowStdioUpstreams: true if admins may run commands on this host.',
  ),
  SWY_ADMIN_BAD_REQUEST: entry(
    400,
    JSONRPC.INVALID_PARAMS,
    'Admin API: {detail}',
    'Check the request body against the documented upstream shape.',
  ),
  SWY_UPSTREAM_EXISTS: entry(
    409,
    JSONRPC.INVALID_PARAMS,
    'Upstream "{upstream}" already exists ({where})',
    'Pick another name, or delete the existing upstream first.',
  ),
  SWY_UPSTREAM_NOT_FOUND: entry(
    404,
    JSONRPC.INVALID_PARAMS,
    'Upstream "{upstream}" not found',
    'List upstreams with GET /admin/upstreams.',
  ),
  SWY_UPSTREAM_FROM_CONFIG: entry(
    409,
    JSONRPC.INVALID_PARAMS,
    'Upstream "{upstream}" is defined in the config file',
    'Edit the config file to change or remove it (the admin API manages runtime upstreams only).',
  ),
  SWY_CATALOG_INVALID: entry(
    400,
    JSONRPC.INVALID_PARAMS,
    'Catalog: {detail}',
    'Correct the entry or the imported file; docs/catalog.md lists the fields and rules.',
  ),
  SWY_CATALOG_EXISTS: entry(
    409,
    JSONRPC.INVALID_PARAMS,
    'Catalog entry "{name}" already exists ({where})',
    'Pick another name, or remove the existing entry first.',
  ),
  SWY_CATALOG_NOT_FOUND: entry(
    404,
    JSONRPC.INVALID_PARAMS,
    'Catalog entry "{name}" not found',
    'List entries with GET /admin/catalog or `switchyard catalog list`.',
  ),
  SWY_CATALOG_FROM_CONFIG: entry(
    409,
    JSONRPC.INVALID_PARAMS,
    'Catalog entry "{name}" is defined in the config file',
    'Edit `catalog:` in the config file to change or remove it.',
  ),
  SWY_LICENSE_POLICY_REFUSED: entry(
    409,
    JSONRPC.INVALID_PARAMS,
    'Upstream "{upstream}" is refused by the license policy: {detail}',
    'Change the artifacts it declares, their catalog entries or `licensePolicy` (see `switchyard catalog check`).',
  ),
  SWY_AUTH_REQUIRED: entry(
    401,
    JSONRPC.SERVER_ERROR,
    'Unauthorized: a credential is required',
    'Send Authorization: Bearer <API key or access token>.',
  ),
  SWY_AUTH_INVALID: entry(
    401,
    JSONRPC.SERVER_ERROR,
    'Unauthorized: {reason}',
    'Send a valid, unexpired credential (`switchyard keys create` issues API keys).',
  ),
  SWY_INSUFFICIENT_SCOPE: entry(
    403,
    JSONRPC.SERVER_ERROR,
    'Forbidden: the token lacks scope {scope}',
    'Request a token with the scopes named in the WWW-Authenticate header.',
  ),
  SWY_ADMIN_NOT_ADMIN: entry(
    403,
    JSONRPC.SERVER_ERROR,
    'Admin API: principal "{principal}" is not an admin',
    'Add the principal or one of its groups (group:NAME) to auth.admins.',
  ),
  SWY_POLICY_EXISTS: entry(
    409,
    JSONRPC.INVALID_PARAMS,
    'Policy "{name}" already exists ({where})',
    'Pick another name, or delete the runtime policy first (config-file policies are edited in the file).',
  ),
  SWY_POLICY_NOT_FOUND: entry(
    404,
    JSONRPC.INVALID_PARAMS,
    'Policy "{name}" not found among the policies added at runtime',
    'GET /admin/policies lists them; config-file policies are edited in the file.',
  ),
  SWY_KEY_NOT_FOUND: entry(
    404,
    JSONRPC.INVALID_PARAMS,
    'API key "{id}" not found or already revoked',
    'List keys with `switchyard keys list` or GET /admin/keys.',
  ),
  SWY_POLICY_DENIED: entry(
    403,
    JSONRPC.INVALID_PARAMS,
    'Forbidden: {principal} may not use {kind} {name}',
    'Ask an admin for access; `switchyard policy explain --principal P --{kind} NAME` shows the deciding rule.',
  ),
  SWY_TOOL_QUARANTINED: entry(
    403,
    JSONRPC.INVALID_PARAMS,
    'Tool {name} is quarantined: upstream "{upstream}" changed its definition since it was approved',
    'An admin reviews the change with `switchyard tools diff` and accepts it with `switchyard tools approve {upstream} {tool}`.',
  ),
  SWY_TOOL_NAME_REJECTED: entry(
    403,
    JSONRPC.INVALID_PARAMS,
    'Tool {name} is refused: {reason}',
    "Ask the upstream's maintainer to rename the tool; names must be plain ASCII and not imitate other tools.",
  ),
  SWY_NOTHING_TO_APPROVE: entry(
    404,
    JSONRPC.INVALID_PARAMS,
    'No changed definition of {upstream}/{tool} awaits approval',
    'See what awaits approval with `switchyard tools diff` or GET /admin/pins.',
  ),
  SWY_INVALID_ARGUMENTS: entry(
    200,
    JSONRPC.INVALID_PARAMS,
    'Invalid arguments for tool {name}: {detail}',
    "Check the arguments against the tool's inputSchema (tools/list).",
  ),
  SWY_TOOL_OUTPUT_INVALID: entry(
    502,
    JSONRPC.UPSTREAM_FAILED,
    'Upstream "{upstream}" answered tool {name} with output that does not match its outputSchema: {detail}',
    "Report it to the upstream server's maintainer; the gateway does not pass on results that break the schema.",
  ),
  SWY_TOO_DEEP: entry(
    400,
    JSONRPC.INVALID_PARAMS,
    'Invalid params: nested deeper than {limit} levels',
    'Send flatter data, or raise server.maxJsonDepth.',
  ),
  SWY_RATE_LIMITED: entry(
    429,
    JSONRPC.RATE_LIMITED,
    'Too many requests: limit {limit} allows {rate} per {per}; retry after {retryAfter} s',
    'Slow down and retry after the given time (Retry-After), or ask an admin to raise rateLimits.',
  ),
  SWY_AUDIT_BACKLOG: entry(
    503,
    JSONRPC.SERVER_ERROR,
    'The audit ledger is behind; the request was not accepted',
    'Retry shortly; check the store (the gateway log says why writes are slow or failing).',
  ),
  SWY_BAD_PATH: entry(
    400,
    JSONRPC.INVALID_REQUEST,
    'Bad request: the path has an invalid percent-escape',
    'Percent-encode names in the path as UTF-8 (encodeURIComponent).',
  ),
  SWY_LEDGER_TAMPERED: entry(
    503,
    JSONRPC.SERVER_ERROR,
    'The audit ledger no longer holds what its signed checkpoints and head file record: {detail}',
    'Investigate with `switchyard audit verify`; then, with the gateway stopped, record it on the chain with `switchyard audit acknowledge --reason "…"` and start again.',
  ),
  SWY_NOT_FOUND: entry(
    404,
    JSONRPC.SERVER_ERROR,
    'Not found: {path}',
    'See docs/http.md for the endpoints the gateway serves.',
  ),
  SWY_MODEL_UNAVAILABLE: entry(
    502,
    JSONRPC.UPSTREAM_UNAVAILABLE,
    'Model "{model}" is unavailable: {detail}',
    'Check the model server (models[].openai.baseUrl) is running and reachable, or the GGUF file (models[].llamacpp.modelPath) loads; retried {retries} times.',
  ),
  SWY_MODEL_TIMEOUT: entry(
    504,
    JSONRPC.REQUEST_TIMEOUT,
    'Model "{model}" sent nothing for {timeoutMs} ms',
    'Raise models[].openai.timeoutMs for slow models, or check the model server.',
  ),
  SWY_MODEL_BAD_RESPONSE: entry(
    502,
    JSONRPC.UPSTREAM_FAILED,
    'Model "{model}" sent a response that is not valid chat-completions output: {detail}',
    'Check that the server speaks the OpenAI chat-completions API (with tool calling) at that URL.',
  ),
  SWY_MODEL_REJECTED: entry(
    502,
    JSONRPC.UPSTREAM_FAILED,
    'Model "{model}" refused the request (HTTP {status}): {detail}',
    'Check models[].openai (model name, API key) against what the model server expects.',
  ),
  SWY_MODEL_CONTEXT_OVERFLOW: entry(
    502,
    JSONRPC.UPSTREAM_FAILED,
    'The conversation does not fit the context of model "{model}": {detail}',
    'Raise the model context (contextWindow / contextSize), or start a new conversation (a new contextId).',
  ),
  SWY_ENGINE_MISSING: entry(
    503,
    JSONRPC.UPSTREAM_UNAVAILABLE,
    'Model "{model}" needs the embedded llama.cpp engine, which is not installed: {detail}',
    'Install it next to the gateway: npm install node-llama-cpp@3.21.1',
  ),
  SWY_AGENT_TOOL_REFUSED: entry(
    403,
    JSONRPC.SERVER_ERROR,
    'Agent "{agent}" may not use "{name}"',
    'Add the tool to agents[].tools (the caller must also be allowed it under policies).',
  ),
  SWY_AGENT_DEPTH_EXCEEDED: entry(
    508,
    JSONRPC.SERVER_ERROR,
    'Agent "{agent}" was called {depth} agents deep; at most {limit} are allowed',
    'Agents calling agents form a loop or a too-long chain; check their tools, or raise agentCallDepth.',
  ),
} as const satisfies Record<string, CatalogueEntry>;
