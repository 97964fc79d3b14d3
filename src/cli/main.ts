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
import { check } from './check.js';
import { importMcpJson } from './import-mcp-json.js';
import { init } from './init.js';
import { mcpConfig } from './mcp-config.js';
import { serve } from './serve.js';
import { stdio } from './stdio.js';
import { tools } from './tools.js';

const program = new Command()
  .name('switchyard')
  .description('An agent gateway: many MCP servers behind one endpoint.')
  .version(VERSION);

program
  .command('serve')
  .description('run the gateway on HTTP (MCP endpoint at /mcp)')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('--host <host>', 'address to listen on (overrides server.host)')
  .option('-p, --port <port>', 'port to listen on (overrides server.port)')
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

program
  .command('tools')
  .description('start the upstreams and list the federated tools')
  .option('-c, --config <file>', 'config file (default ./switchyard.yaml)')
  .option('--json', 'print JSON')
  .action(tools);

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

await program.parseAsync();
