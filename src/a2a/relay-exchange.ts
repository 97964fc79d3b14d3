/**
 * One relayed request's HTTP exchange with the agent, as an undici dispatch handler (like an MCP
 * upstream's, mcp/upstream/http-channel.ts): no URL to parse, no dispatcher to look up and no
 * response stream object per call; the answer's chunks come straight from the parser.
 *
 * The answer's start, chunks and end go to a sink one at a time, in order. A step that returns a
 * promise (recording a task, waiting for a slow client) holds the steps after it until it
 * settles; a step that throws, or a promise that rejects, aborts the exchange with that error.
 * Chunks that arrive meanwhile wait in memory, up to HIGH_WATER bytes: past that, reading from the
 * agent pauses until they are taken. (Pausing for every chunk would cost a copy of everything the
 * connection holds at each resume: quadratic in a long answer that arrives at once.)
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

/** Bytes of the answer held while a step waits, before reading from the agent pauses. */
export const HIGH_WATER = 64 * 1024;

class SinkHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private readonly steps: Step[] = [];
  /** A step's promise is pending: later steps wait. */
  private waiting = false;
  /** Bytes of chunks in `steps`. */
  private queued = 0;
  /** Reading from the agent is paused (past HIGH_WATER while a step waits). */
  private paused = false;
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

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.queued += chunk.length;
    this.push(() => {
      this.queued -= chunk.length;
      return this.sink.data(chunk);
    });
    if (this.waiting && this.queued > HIGH_WATER && !this.settled) {
      this.paused = true;
      controller.pause();
    }
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
        pending.then(
          () => {
            this.waiting = false;
            this.run();
            if (this.paused && !this.waiting && !this.settled) {
              this.paused = false;
              this.controller?.resume();
            }
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
    this.queued = 0;
    this.reject(err);
  }
}
