/**
 * Tool arguments checked against the tool's `inputSchema` before forwarding (an invalid call never
 * reaches the upstream), and structured results against its `outputSchema`. JSON Schema 2020-12
 * is the default dialect (MCP 2025-11-25 §Tools); a schema that declares draft-07 is compiled as
 * draft-07. Validators are compiled once per schema object (an upstream's list entries are
 * immutable snapshots) and cached.
 *
 * A schema that cannot be compiled is logged once and not enforced, so one exotic schema does not
 * make a tool unusable.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { GatewayError } from '../errors/index.js';
import type { JsonObject } from '../mcp/jsonrpc.js';
import type { Logger } from '../telemetry/logger.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: object) => void;

const options = { strict: false, allErrors: false, validateSchema: false } as const;
const UNUSABLE = Symbol('unusable schema');

export class ToolSchemas {
  private readonly ajv2020 = new Ajv2020(options);
  private readonly ajv07 = new Ajv(options);
  private readonly cache = new WeakMap<object, ValidateFunction | typeof UNUSABLE>();
  private readonly byName = new WeakMap<readonly JsonObject[], Map<string, JsonObject>>();

  constructor(private readonly log: Logger) {
    addFormats(this.ajv2020);
    addFormats(this.ajv07);
  }

  /** The tool's entry in an upstream's list. */
  find(tools: readonly JsonObject[], name: string): JsonObject | undefined {
    let index = this.byName.get(tools);
    if (!index) {
      index = new Map(tools.map((t) => [String(t.name), t]));
      this.byName.set(tools, index);
    }
    return index.get(name);
  }

  /** SWY_INVALID_ARGUMENTS naming the first problem, or undefined when the arguments are valid. */
  argumentProblem(tool: JsonObject, name: string, args: unknown): GatewayError | undefined {
    const validate = this.compile(tool.inputSchema, name, 'inputSchema');
    if (!validate || validate(args ?? {})) return undefined;
    return new GatewayError('SWY_INVALID_ARGUMENTS', { name, detail: describe(validate.errors) });
  }

  /** Throws SWY_TOOL_OUTPUT_INVALID when a structured result does not match the output schema. */
  checkResult(tool: JsonObject, name: string, upstream: string, result: JsonObject): void {
    if (tool.outputSchema === undefined || result.isError === true) return;
    const validate = this.compile(tool.outputSchema, name, 'outputSchema');
    if (!validate) return;
    if (result.structuredContent === undefined) {
      throw new GatewayError('SWY_TOOL_OUTPUT_INVALID', {
        name,
        upstream,
        detail: 'structuredContent is missing although the tool declares an outputSchema',
      });
    }
    if (!validate(result.structuredContent)) {
      throw new GatewayError('SWY_TOOL_OUTPUT_INVALID', {
        name,
        upstream,
        detail: describe(validate.errors),
      });
    }
  }

  private compile(schema: unknown, name: string, which: string): ValidateFunction | undefined {
    if (!schema || typeof schema !== 'object') return undefined;
    const hit = this.cache.get(schema);
    if (hit !== undefined) return hit === UNUSABLE ? undefined : hit;
    let out: ValidateFunction | typeof UNUSABLE;
    try {
      const dialect = String((schema as { $schema?: unknown }).$schema ?? '');
      out = (/draft-0[4-7]/.test(dialect) ? this.ajv07 : this.ajv2020).compile(schema);
    } catch (err) {
      this.log.warn(
        { tool: name, schema: which, problem: (err as Error).message },
        'tool schema cannot be compiled: not enforced',
      );
      out = UNUSABLE;
    }
    this.cache.set(schema, out);
    return out === UNUSABLE ? undefined : out;
  }
}

function describe(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'does not match the schema';
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(root)';
  const extra =
    e.keyword === 'additionalProperties'
      ? ` (${String((e.params as { additionalProperty?: unknown }).additionalProperty)})`
      : e.keyword === 'enum'
        ? ` (${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)})`
        : '';
  return `${where}: ${e.message ?? 'is invalid'}${extra}`;
}

/** Nesting depth of a parsed JSON value, walked without recursion; stops counting past `limit`. */
export function exceedsDepth(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
    }
  }
  return false;
}
