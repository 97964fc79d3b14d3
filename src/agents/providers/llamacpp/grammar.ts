/**
 * JSON Schema → the subset node-llama-cpp's grammar compiler accepts (its `GbnfJsonSchema`), and
 * the schema of one model turn when tools are offered: a call of one of them, or (unless a call is
 * required) an answer.
 */
import type { ToolSpec } from '../../provider.js';

/** A schema in node-llama-cpp's grammar subset (built by `grammarSchema`). */
export type GrammarSchema = { readonly [key: string]: unknown };

/** Any JSON value: the grammar subset has no empty schema (an unknown schema means `null`). */
const ANY_JSON: GrammarSchema = {
  oneOf: [
    { type: ['string', 'number', 'boolean', 'null'] },
    { type: 'object', additionalProperties: true },
    { type: 'array' },
  ],
};

/** Integer ranges up to this many values become enums (the grammar has no numeric bounds). */
const MAX_ENUMERATED_INTEGERS = 256;
const STRING_FORMATS = new Set(['date-time', 'time', 'date']);
type Primitive = string | number | boolean | null;
const isPrimitive = (v: unknown): v is Primitive =>
  v === null || ['string', 'number', 'boolean'].includes(typeof v);
export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Map a tool's JSON Schema to what node-llama-cpp 3.21's grammar supports, keeping the output valid
 * against the original where the grammar allows:
 * - objects always contain every listed property (the grammar makes all of them required) and no
 *   others; an object without listed properties takes any keys;
 * - integer ranges of at most 256 values become enums; other numeric bounds and `multipleOf`
 *   beyond that are dropped (the tool validates its arguments);
 * - strings keep `minLength`/`maxLength` and the formats `date-time`, `time` and `date`; patterns
 *   and other formats are dropped;
 * - `anyOf` becomes `oneOf`; `allOf` is merged shallowly; `$ref` works within `$defs` or
 *   `definitions`; `not`, `if`/`then`/`else` and the like are ignored.
 */
export function grammarSchema(schema: unknown): GrammarSchema {
  if (!isRecord(schema)) return ANY_JSON;
  const defs = schema.$defs ?? schema.definitions;
  const withDefs = (out: GrammarSchema): GrammarSchema =>
    isRecord(defs) ? { ...out, $defs: mapValues(defs, grammarSchema) } : out;

  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    const { allOf, ...rest } = schema;
    return grammarSchema((allOf as unknown[]).filter(isRecord).reduce(mergeSchemas, rest));
  }
  if ('const' in schema) return isPrimitive(schema.const) ? { const: schema.const } : ANY_JSON;
  if (Array.isArray(schema.enum)) {
    const values = schema.enum.filter(isPrimitive);
    return values.length > 0 ? { enum: values } : ANY_JSON;
  }
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (Array.isArray(alternatives) && alternatives.length > 0) {
    return withDefs({ oneOf: alternatives.map(grammarSchema) });
  }
  if (typeof schema.$ref === 'string') {
    const m = /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(schema.$ref);
    return m ? withDefs({ $ref: `#/$defs/${m[1]}` }) : ANY_JSON;
  }

  const type = schema.type ?? (schema.properties ? 'object' : schema.items ? 'array' : undefined);
  if (Array.isArray(type)) {
    return withDefs({ oneOf: type.map((t: unknown) => grammarSchema({ ...schema, type: t })) });
  }
  switch (type) {
    case 'object': {
      const props = isRecord(schema.properties) ? schema.properties : {};
      const listed = Object.keys(props).length > 0;
      const extra = schema.additionalProperties;
      return withDefs({
        type: 'object',
        properties: mapValues(props, grammarSchema),
        additionalProperties:
          listed || extra === false ? false : isRecord(extra) ? grammarSchema(extra) : true,
      });
    }
    case 'array': {
      // Draft 2019 and earlier write tuples as an `items` array; 2020-12 as `prefixItems`.
      const tuple = Array.isArray(schema.items) ? schema.items : schema.prefixItems;
      return withDefs({
        type: 'array',
        ...(Array.isArray(tuple) && { prefixItems: tuple.map(grammarSchema) }),
        ...(isRecord(schema.items) && { items: grammarSchema(schema.items) }),
        ...(typeof schema.minItems === 'number' && { minItems: schema.minItems }),
        ...(typeof schema.maxItems === 'number' && { maxItems: schema.maxItems }),
      });
    }
    case 'string':
      if (typeof schema.format === 'string' && STRING_FORMATS.has(schema.format)) {
        return { type: 'string', format: schema.format };
      }
      return {
        type: 'string',
        ...(typeof schema.minLength === 'number' && { minLength: schema.minLength }),
        ...(typeof schema.maxLength === 'number' && { maxLength: schema.maxLength }),
      };
    case 'integer':
      return integerRange(schema) ?? { type: 'integer' };
    case 'number':
    case 'boolean':
    case 'null':
      return { type };
    default:
      return ANY_JSON;
  }
}

function integerRange(schema: Record<string, unknown>): GrammarSchema | undefined {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  // Draft 4 writes exclusive bounds as booleans beside minimum/maximum; later drafts as numbers.
  const min = num(schema.minimum);
  const max = num(schema.maximum);
  const exMin = num(schema.exclusiveMinimum) ?? (schema.exclusiveMinimum === true ? min : undefined);
  const exMax = num(schema.exclusiveMaximum) ?? (schema.exclusiveMaximum === true ? max : undefined);
  const lo = exMin !== undefined ? Math.floor(exMin) + 1 : min !== undefined ? Math.ceil(min) : undefined;
  const hi = exMax !== undefined ? Math.ceil(exMax) - 1 : max !== undefined ? Math.floor(max) : undefined;
  if (lo === undefined || hi === undefined || hi < lo || hi - lo >= MAX_ENUMERATED_INTEGERS) return undefined;
  const step = num(schema.multipleOf);
  const values: number[] = [];
  for (let v = lo; v <= hi; v++) if (!step || Number.isInteger(v / step)) values.push(v);
  return values.length > 0 ? { enum: values } : undefined;
}

function mergeSchemas(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const props = {
    ...(isRecord(a.properties) ? a.properties : {}),
    ...(isRecord(b.properties) ? b.properties : {}),
  };
  return { ...a, ...b, ...(Object.keys(props).length > 0 && { properties: props }) };
}

function mapValues<T>(o: Record<string, unknown>, f: (v: unknown) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/** The shape of one model turn when tools are offered (see the module comment). */
export function answerSchema(tools: readonly ToolSpec[], toolRequired: boolean): GrammarSchema {
  const calls = tools.map((t) => ({
    type: 'object',
    properties: { tool: { const: t.name }, arguments: grammarSchema(t.parameters) },
  }));
  const answer = { type: 'object', properties: { answer: { type: 'string' } } };
  const options = toolRequired ? calls : [...calls, answer];
  return options.length === 1 ? options[0]! : { oneOf: options };
}
