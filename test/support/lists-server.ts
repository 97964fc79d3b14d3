/**
 * A real MCP server (the SDK's low-level `Server`, over stdio) whose lists are exactly what a test
 * gives it, entry for entry — including tool fields `McpServer` would not send (`icons`) — and
 * that can change them while it runs:
 *
 *   node --import tsx test/support/lists-server.ts
 *
 * LISTS_JSON   the lists to offer ({ tools, prompts, resources, resourceTemplates }); default LISTS.
 *              The tool `redefine` is always offered too: `{ definition }` replaces (or adds) the
 *              tool of that name and sends notifications/tools/list_changed.
 * LISTS_RACE=1 announces list changes in the middle of its own start, the way a server that
 *              registers things after `initialized` does (see `startRace`); reading the resource
 *              RACE_STATUS says `settled` once the last held answer has gone out.
 * LISTS_ODD=1  behaves like servers seen in the wild: writes a notification and stderr noise
 *              before the handshake, answers prompts/list and resources/templates/list with
 *              "Method not found" although it declares both, and pages resources/list wrongly (the
 *              last page again, under the same cursor, for ever). The tool `serve-all` makes the
 *              two lists work and announces them (list_changed).
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  McpError,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  type Prompt,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

export interface Lists {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
}

const OBJECT = { type: 'object' as const, properties: {} };

export const LISTS: Lists = {
  tools: [
    { name: 'alpha', description: 'The first tool', inputSchema: OBJECT },
    { name: 'beta', description: 'The second tool', inputSchema: OBJECT },
  ],
  prompts: [
    { name: 'first', description: 'The first prompt' },
    { name: 'second', description: 'The second prompt' },
  ],
  resources: [
    { uri: 'lists://docs/a', name: 'a' },
    { uri: 'lists://docs/b', name: 'b' },
  ],
  resourceTemplates: [{ uriTemplate: 'lists://items/{id}', name: 'item' }],
};

export const REDEFINE: Tool = {
  name: 'redefine',
  description: 'Replace (or add) the tool named in `definition`',
  inputSchema: { type: 'object', properties: { definition: { type: 'object' } }, required: ['definition'] },
};

export const RACE_STATUS = 'lists://race-status';

export const SERVE_ALL: Tool = {
  name: 'serve-all',
  description: 'Start serving prompts/list and resources/templates/list (LISTS_ODD)',
  inputSchema: OBJECT,
};

/** Answers held back to force an interleaving end after this long at most (see `race`). */
const HOLD_MS = 500;

function main(): void {
  const lists = JSON.parse(process.env.LISTS_JSON ?? JSON.stringify(LISTS)) as Lists;
  const server = new Server(
    { name: 'lists-fixture', version: '1.0.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { listChanged: true },
      },
    },
  );
  const race = process.env.LISTS_RACE === '1' ? startRace(server) : undefined;
  let odd = process.env.LISTS_ODD === '1';
  const notServed = (method: string) => new McpError(ErrorCode.MethodNotFound, `Method not found: ${method}`);
  if (odd) {
    process.stdout.write(
      `${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' })}\n`,
    );
    console.error('lists-fixture: starting up (a line of stderr noise)');
  }

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    await race?.toolsList();
    return { tools: [...lists.tools, REDEFINE, ...(odd ? [SERVE_ALL] : [])] };
  });
  server.setRequestHandler(ListPromptsRequestSchema, async () => {
    race?.answered('prompts');
    if (odd) throw notServed('prompts/list');
    return { prompts: lists.prompts };
  });
  server.setRequestHandler(ListResourcesRequestSchema, async (req) => {
    race?.answered('resources');
    if (odd)
      return req.params?.cursor
        ? { resources: lists.resources.slice(-1), nextCursor: 'more' }
        : { resources: lists.resources, nextCursor: 'more' };
    return { resources: lists.resources };
  });
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => {
    race?.answered('templates');
    if (odd) throw notServed('resources/templates/list');
    return { resourceTemplates: lists.resourceTemplates };
  });
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    if (req.params.name === SERVE_ALL.name) {
      odd = false;
      await server.sendPromptListChanged();
      await server.sendResourceListChanged();
      return { content: [{ type: 'text', text: 'serving every list' }] };
    }
    if (req.params.name === REDEFINE.name) {
      const definition = req.params.arguments?.definition as Tool;
      lists.tools = [...lists.tools.filter((t) => t.name !== definition.name), definition];
      await server.sendToolListChanged();
      return { content: [{ type: 'text', text: `redefined ${definition.name}` }] };
    }
    return { content: [{ type: 'text', text: `called ${req.params.name}` }] };
  });
  server.setRequestHandler(GetPromptRequestSchema, async (req) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `prompt ${req.params.name}` } }],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
    const { uri } = req.params;
    if (uri === RACE_STATUS) return { contents: [{ uri, text: race?.settled ? 'settled' : 'pending' }] };
    return { contents: [{ uri, text: `read ${uri}` }] };
  });

  server.connect(new StdioServerTransport()).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
  process.stdin.on('end', () => process.exit(0));
}

/**
 * The start race. A gateway reads tools/list first; while answering it, this server announces
 * tools/list_changed, then holds the answer until the gateway reads tools again — a gateway
 * that refreshes a list while its start is still reading the others. That second tools/list
 * announces prompts and resources list_changed and is itself held until prompts, resources and
 * templates have each been answered twice (the start's read and the refresh's), so it is the last
 * answer the gateway gets. A gateway that writes a copy of its lists taken before the start
 * finished ends up without prompts and resources here.
 *
 * A gateway that reads one list at a time never sends the request a hold waits for; then the
 * answer goes after HOLD_MS, and the same announcements arrive after the start instead.
 */
function startRace(server: Server) {
  let toolsLists = 0;
  const answers = { prompts: 0, resources: 0, templates: 0 };
  const waiters: (() => void)[] = [];
  const changed = () => waiters.splice(0).forEach((w) => w());
  /** Resolves when `ready()` holds (checked whenever something is answered), or after HOLD_MS. */
  const until = (ready: () => boolean) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, HOLD_MS);
      const check = () => {
        if (!ready()) return void waiters.push(check);
        clearTimeout(timer);
        resolve();
      };
      check();
    });
  return {
    settled: false,
    answered(kind: keyof typeof answers) {
      answers[kind]++;
      changed();
    },
    async toolsList() {
      const n = ++toolsLists;
      changed();
      if (n === 1) {
        await server.sendToolListChanged();
        await until(() => toolsLists > 1);
      } else if (n === 2) {
        await server.sendPromptListChanged();
        await server.sendResourceListChanged();
        await until(() => answers.prompts >= 2 && answers.resources >= 2 && answers.templates >= 2);
        // Let the last of those answers go out, and the gateway take it in, before this one.
        await new Promise((r) => setImmediate(r));
        await server.ping();
        this.settled = true;
      }
    },
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main();
