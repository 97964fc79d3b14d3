/** `switchyard check`: validate a config file; exit 1 listing every problem with its path. */
import { isA2a, isStdio } from '../config/schema.js';
import { redactUrl } from '../store/open.js';
import { describeFinding } from '../catalog/index.js';
import { consumersOf, withCatalog } from './catalog.js';
import { configPath, loadOrExit } from './shared.js';

/** Scheme, host and path only: credentials and query strings (API keys) stay out of the output. */
function displayUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
}

export async function check(opts: { config?: string }): Promise<void> {
  const path = configPath(opts.config);
  const config = await loadOrExit(path);
  const lines = config.upstreams.map((u) => {
    const how = isA2a(u)
      ? `a2a (${displayUrl(u.a2a.url)})`
      : isStdio(u.mcp)
        ? `stdio (${u.mcp.command})`
        : `${u.mcp.transport} (${displayUrl(u.mcp.url)})`;
    return `  ${u.name}: ${how}${u.enabled ? '' : ' [disabled]'}, prefix ${u.prefix}`;
  });
  const out = [
    `${path}: ok`,
    `  store: ${redactUrl(config.store)}`,
    `  listen: ${config.server.host}:${config.server.port}`,
    lines.length ? `upstreams:\n${lines.join('\n')}` : 'upstreams: none',
  ];
  if (config.models.length) {
    out.push('models:');
    for (const m of config.models)
      out.push(
        'openai' in m
          ? `  ${m.name}: openai (${displayUrl(m.openai.baseUrl)}, ${m.openai.model})`
          : `  ${m.name}: llama.cpp (${m.llamacpp.modelPath})`,
      );
  }
  if (config.agents.length) {
    out.push('agents:');
    for (const a of config.agents)
      out.push(
        `  ${a.name}: model ${a.model}, tools ${a.tools.join(' ') || 'none'}, at most ${a.maxSteps} steps`,
      );
  }
  // License policy: the same verdicts the gateway makes before starting upstreams.
  const declaresArtifacts =
    config.upstreams.some((u) => u.artifacts?.length) ||
    config.models.some((m) => m.artifacts?.length) ||
    config.agents.some((a) => a.artifacts?.length);
  if (config.licensePolicy || declaresArtifacts) {
    const { verdicts } = await withCatalog({ config: path }, async (catalog, cfg, store) =>
      catalog.judge(await consumersOf(cfg, store)),
    );
    out.push('license policy:');
    for (const v of verdicts) {
      const who = v.kind === 'agent' ? `agent ${v.name}` : v.name;
      out.push(`  ${who}: ${v.verdict === 'refuse' ? 'refused (will not be started)' : v.verdict}`);
      for (const f of v.findings) out.push(`    ${f.level}: ${describeFinding(f)}`);
    }
    if (verdicts.some((v) => v.verdict === 'refuse')) process.exitCode = 1;
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
