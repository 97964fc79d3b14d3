#!/usr/bin/env node
/** The `switchyard` command: a thin layer over the library (see src/index.ts). */
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { bom } from './bom.js';
import {
  catalogAdd,
  catalogCheck,
  catalogImport,
  catalogList,
  catalogRemove,
  catalogShow,
} from './catalog.js';
import { adminToken } from './admin.js';
import { auditAcknowledge, auditExport, auditTail, auditVerify } from './audit.js';
import { check } from './check.js';
import { importMcpJson } from './import-mcp-json.js';
import { init } from './init.js';
import { keysCreate, keysList, keysRevoke } from './keys.js';
import { mcpConfig } from './mcp-config.js';
import { policyExplain } from './policy.js';
import { serve } from './serve.js';
import { stdio } from './stdio.js';
import { tools, toolsApprove, toolsDiff } from './tools.js';

const program = new Command()
  .name('switchyard')
  .description('An agent gateway: many MCP servers behind one endpoint.')
  .version(VERSION)
  // `tools --config X` and `tools diff --config X` each keep their own options.
  .enablePositionalOptions();

program
  .command('serve')
  .description('run the gateway on HTTP (MCP endpoint at /mcp)')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('--host <host>', 'address to listen on (overrides server.host)')
  .option('-p, --port <port>', 'port to listen on (overrides server.port)')
  .option('--insecure-no-auth', 'allow a non-loopback address without auth.required (a proxy authenticates)')
  .action(serve);

program
  .command('stdio')
  .description('run the gateway as a stdio MCP server (for desktop clients)')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .action(stdio);

program
  .command('check')
  .description('validate a config file; exits 1 and lists each problem by path')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .action(check);

const toolsCommand = program
  .command('tools')
  .description('start the upstreams and list the federated tools (diff|approve: changed definitions)')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('--json', 'print JSON')
  .action(tools);
toolsCommand
  .command('diff')
  .description('show tool definitions that changed since they were pinned (quarantined tools)')
  .option('--upstream <name>', 'only this upstream')
  .option('--tool <name>', "only this tool (the upstream's own name)")
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('--json', 'print JSON')
  .action(toolsDiff);
toolsCommand
  .command('approve')
  .description('accept a changed tool definition (lifts the quarantine)')
  .argument('[upstream]', 'the upstream')
  .argument('[tool]', "the tool (the upstream's own name)")
  .option('--all', 'approve every changed definition')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .action(toolsApprove);

program
  .command('init')
  .description('write a starter config')
  .option('-f, --file <file>', 'where to write it (default ./switchyard.yaml)')
  .option('--force', 'overwrite an existing file')
  .action(init);

program
  .command('import-mcp-json')
  .description('convert a Claude Desktop/Cursor "mcpServers" JSON file into Switchyard upstreams (YAML)')
  .argument('<file>', 'the JSON file')
  .option('-o, --out <file>', 'write the YAML here instead of stdout')
  .action(importMcpJson);

program
  .command('mcp-config')
  .description('print the MCP client config snippet that points a desktop client at this gateway')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('--name <name>', 'server name in the snippet', 'switchyard')
  .option('--http', 'point at the HTTP endpoint instead of launching `switchyard stdio`')
  .action(mcpConfig);

const catalog = program
  .command('catalog')
  .description('the AI artifact catalog (models, datasets, …) and the license policy');
const withConfig = (c: Command) => c.option('-c, --config <file>', 'config file (default ./switchyard.yaml)');

withConfig(catalog.command('list').description('list catalog entries with license, flags and MOF class'))
  .option('--json', 'print JSON')
  .action(catalogList);
withConfig(
  catalog.command('show').description('print one entry as JSON').argument('<name>', 'entry name'),
).action(catalogShow);
withConfig(
  catalog
    .command('add')
    .description('add entries from a YAML or JSON file (one entry or a list; all or nothing)')
    .argument('<file>', 'the file'),
)
  .option('--dir <dir>', 'check the files’ SHA-256 against this directory before adding')
  .action(catalogAdd);
withConfig(
  catalog
    .command('import')
    .description('import a Hugging Face card (README.md or its directory), a ModelPack config or a MOT file')
    .argument('<file>', 'README.md, a model directory, config.json or model.yml'),
)
  .option('--format <format>', 'huggingface | modelpack | mot (default: from the file)')
  .option('--name <name>', 'entry name, e.g. the Hugging Face repo id org/model')
  .option('--kind <kind>', 'model | dataset (Hugging Face cards; default: from the card)')
  .option('--revision <commit>', 'the commit or digest the card was read at')
  .option('--dir <dir>', 'check the files’ SHA-256 against this directory before adding')
  .option('--dry-run', 'print the entry instead of storing it')
  .action(catalogImport);
withConfig(
  catalog.command('remove').description('remove an entry added with add/import').argument('<name>'),
).action(catalogRemove);
withConfig(catalog.command('check').description('print the license-policy verdicts; exits 1 on refusals'))
  .option('--json', 'print JSON')
  .action(catalogCheck);

program
  .command('bom')
  .description('print the AI bill of materials (CycloneDX 1.6 or SPDX 3.0.1 JSON)')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('--format <format>', 'cyclonedx | spdx', 'cyclonedx')
  .option('--agent <name>', 'only this agent and what it uses')
  .option('--upstream <name>', 'only this upstream and what it uses')
  .option('-o, --out <file>', 'write to a file instead of stdout')
  .action(bom);
const keys = program.command('keys').description('API keys (stored hashed; shown once at creation)');
keys
  .command('create')
  .description('create an API key for a principal and print it (once)')
  .requiredOption('--principal <name>', 'who the key authenticates as')
  .option(
    '--group <group>',
    'a group of the principal (repeatable)',
    (v: string, acc: string[]) => [...acc, v],
    [],
  )
  .option('--expires <when>', 'expiry: a duration from now (30d, 12h) or a date')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('--json', 'print JSON')
  .action(keysCreate);
keys
  .command('list')
  .description('list API keys (ids, principals, status; never the keys)')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('--json', 'print JSON')
  .action(keysList);
keys
  .command('revoke')
  .description('revoke an API key by id')
  .argument('<id>', 'the key id (the part after swy_)')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .action(keysRevoke);

const policy = program.command('policy').description('authorization rules');
policy
  .command('explain')
  .description('show whether a principal may use a tool/prompt/resource/agent/skill, and the deciding rule')
  .requiredOption('--principal <name>', 'the principal')
  .option(
    '--group <group>',
    'a group of the principal (repeatable)',
    (v: string, acc: string[]) => [...acc, v],
    [],
  )
  .option('--tool <name>', 'a tool (federated name, e.g. docs.search)')
  .option('--prompt <name>', 'a prompt')
  .option('--resource <uri>', 'a resource URI')
  .option('--agent <name>', 'an A2A agent')
  .option('--skill <name>', 'an A2A skill')
  .option('--upstream <name>', 'the upstream (or agent) serving it, when the name does not say')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('--json', 'print JSON')
  .action(policyExplain);

const admin = program.command('admin').description('the admin API');
admin
  .command('token')
  .description('print the admin API bearer token (generated on first start unless admin.token is set)')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('--path', 'print where the token is kept instead')
  .action(adminToken);

const audit = program.command('audit').description('the hash-chained audit ledger');
audit
  .command('verify')
  .description(
    'check the whole chain, its checkpoint signatures and head file; exits 1 naming the first edited, removed or reordered record, a forged checkpoint, or records cut off the end',
  )
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('--json', 'print JSON')
  .action(auditVerify);
audit
  .command('acknowledge')
  .description(
    'record a cut or forged ledger (what `verify` reports at the end, and the gateway refuses to start with) as an alert entry, and re-seal (run with the gateway stopped)',
  )
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('--reason <text>', 'why, recorded in the alert entry')
  .action(auditAcknowledge);
audit
  .command('export')
  .description('print ledger records as JSON lines')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('--since <when>', 'from this time: a date, ISO time, epoch ms, or a duration back (2h, 7d)')
  .option('--format <format>', 'output format (jsonl)', 'jsonl')
  .action(auditExport);
audit
  .command('tail')
  .description('print the last ledger entries')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('-n, --lines <n>', 'how many', '20')
  .option('-f, --follow', 'keep printing new entries')
  .action(auditTail);

await program.parseAsync();
