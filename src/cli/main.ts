#!/usr/bin/env node
/** The `switchyard` command: a thin layer over the library (see src/index.ts). */
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { auditExport, auditTail, auditVerify } from './audit.js';
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

const audit = program.command('audit').description('the hash-chained audit ledger');
audit
  .command('verify')
  .description('check the whole chain; exits 1 naming the first edited, removed or reordered record')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('--json', 'print JSON')
  .action(auditVerify);
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
