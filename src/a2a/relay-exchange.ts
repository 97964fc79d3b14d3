/**
 * One relayed request's HTTP exchange with the agent, as an undici dispatch handler (like an MCP
 * upstream's, mcp/upstream/http-channel.ts): no URL to parse, no dispatcher to look up and no
 * response stream object per call; the answer's chunks come straight from the parser.
 *
 * The answer's start, chunks and end go to a sink one at a time, in order. A step that returns a
 * promise (recording a task, waiting for a slow client) pauses reading from the agent until it
 * settles; a step that throws, or a promise that rejects, aborts the exchange with that error.
 */
import type { Dispatcher } from 'undici';

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** What the relay does with an agent's answer. */
export interface AnswerSink {
  start(status: number, headers: ResponseHeaders): void | Promise<void>;
  data(chunk: Buffer): void | Promise<void>;
  end(): void | Promise<void>;
}

/** Send the request; resolves once the sink has taken the whole answer, rejects on any failure. */
export function exchange(
  dispatcher: Dispatcher,
  request: Dispatcher.DispatchOptions,
  sink: AnswerSink,
): Promise<void> {
  return new Promise((resolve, reject) => {
    dispatcher.dispatch(request, new SinkHandler(sink, resolve, reject));
  });
}

type Step = () => void | Promise<void>;

class SinkHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private readonly steps: Step[] = [];
  /** A step's promise is pending: reading is paused and later steps wait. */
  private waiting = false;
  private settled = false;

  constructor(
    private readonly sink: AnswerSink,
    private readonly resolve: () => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }

  onResponseStart(
    _c: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[]>,
  ): void {
    if (status >= 200) this.push(() => this.sink.start(status, headers));
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.push(() => this.sink.data(chunk));
  }

  onResponseEnd(): void {
    this.push(() => {
      const ended = this.sink.end();
      if (!ended) return this.succeed();
      return ended.then(() => this.succeed());
    });
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.fail(err);
  }

  private push(step: Step): void {
    if (this.settled) return;
    this.steps.push(step);
    if (!this.waiting) this.run();
  }

  /** Run the queued steps in order, stopping at one that must be waited for. */
  private run(): void {
    while (this.steps.length > 0 && !this.settled) {
      let pending: void | Promise<void>;
      try {
        pending = this.steps.shift()!();
      } catch (err) {
        return this.abort(err);
      }
      if (pending) {
        this.waiting = true;
        this.controller?.pause();
        pending.then(
          () => {
            this.waiting = false;
            this.run();
            if (!this.waiting && !this.settled) this.controller?.resume();
          },
          (err: unknown) => this.abort(err),
        );
        return;
      }
    }
  }

  private succeed(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve();
  }

  /** A step failed: stop reading (the connection is dropped) and fail the exchange. */
  private abort(err: unknown): void {
    if (this.settled) return;
    this.fail(err);
    this.controller?.abort(err instanceof Error ? err : new Error(String(err)));
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.steps.length = 0;
    this.reject(err);
  }
}
