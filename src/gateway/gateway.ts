/**
 * A running gateway: the core plus its HTTP listener and config watcher. This is what
 * `createGateway()` returns and what `switchyard serve` runs.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { watchConfig } from '../config/watch.js';
import type { Config } from '../config/schema.js';
import { HttpFront } from '../mcp/front/http.js';
import { createHttpServer } from '../http/server.js';
import type { Logger } from '../telemetry/logger.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ResolveHost } from '../policy/egress.js';
import { GatewayCore } from './core.js';

export interface GatewayOptions {
  /** The file the config came from; with `reload.watch`, edits to it are applied live. */
  configPath?: string;
  logger?: Logger;
  /** Serve HTTP (default). The stdio front runs without a listener. */
  listen?: boolean;
  /** Send trace spans here (instead of, or without, `telemetry.otlpEndpoint`). */
  traceExporter?: SpanExporter;
  /** Resolve the host names of push-notification URLs (default: the system resolver). */
  resolveHost?: ResolveHost;
}

export class Gateway {
  readonly core: GatewayCore;
  private front: HttpFront | undefined;
  private server: Server | undefined;
  private watcher: { close(): void } | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    config: Config,
    logger: Logger,
    private readonly options: GatewayOptions = {},
  ) {
    this.core = new GatewayCore(config, logger);
    if (options.traceExporter) this.core.traceExporter = options.traceExporter;
    if (options.resolveHost) this.core.resolveHost = options.resolveHost;
  }

  get config(): Config {
    return this.core.config;
  }

  /** The MCP endpoint, once listening. */
  get url(): string | undefined {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) return undefined;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return `http://${host}:${addr.port}/mcp`;
  }

  /**
   * Open the store, start the upstreams, listen. Resolves as soon as clients can be served;
   * upstreams join in the background (`core.upstreamsStarted()` waits for their first attempts).
   */
  async start(): Promise<void> {
    const { core } = this;
    const started = performance.now();
    await core.open();
    if (this.options.listen !== false) {
      this.front = new HttpFront({
        pipeline: core.pipeline,
        sessions: core.sessions,
        events: core.events,
        config: () => core.config,
        log: core.log,
        metrics: core.metrics,
      });
      this.front.start();
      core.onSessionClosed = (s) => this.front?.sessionClosed(s);
      this.server = core.server = createHttpServer(core, this.front);
      await new Promise<void>((resolve, reject) => {
        this.server!.once('error', reject);
        this.server!.listen(core.config.server.port, core.config.server.host, () => {
          this.server!.off('error', reject);
          resolve();
        });
      });
    }
    if (this.options.configPath && core.config.reload.watch) {
      this.watcher = watchConfig(this.options.configPath, core.config.reload.debounceMs, core.log, (next) =>
        this.core.reload(next),
      );
    }
    core.log.info(
      {
        url: this.url,
        ms: Math.round(performance.now() - started),
        upstreams: core.status().map((u) => [u.name, u.state]),
      },
      'gateway ready',
    );
  }

  reload(next: Config): Promise<void> {
    return this.core.reload(next);
  }

  /** Graceful stop: drain in-flight calls (up to server.shutdownGraceMs), then close everything. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.watcher?.close();
      this.server?.close();
      this.server?.closeIdleConnections();
      await this.core.close();
      this.front?.stop();
      this.server?.closeAllConnections();
    })();
    return this.stopping;
  }
}
