import {
  execute,
  print,
  type ExecutionArgs,
  type ExecutionResult,
  type createSourceEventStream,
} from 'graphql';
import type { PromiseOrValue } from 'graphql/jsutils/PromiseOrValue';
import { AsyncQueue } from './queue';

/**
 * Shared execution on the live path: one piece of work per event object, whoever asks for it. The rules
 * and why they are safe are in this folder's README ("Shared execution").
 */

/** Memoised values keyed by an event object; an entry lives exactly as long as its event object. */
export class PerEvent<E extends object, V> {
  private readonly values = new WeakMap<E, V>();

  /** The value made for `event` by the first caller; `make` runs once per event object. */
  get(event: E, make: () => V): V {
    if (this.values.has(event)) return this.values.get(event)!;
    const v = make();
    this.values.set(event, v);
    return v;
  }

  /** Forgets `event`'s value (a failed read is not shared: the next caller tries again). */
  forget(event: E): void {
    this.values.delete(event);
  }
}

/** The JSON of each execution result, made by the first socket that sends it. */
const serialized = new PerEvent<ExecutionResult, string>();

/**
 * `JSON.stringify(result)`, once per result object: every subscription that shares an execution (below)
 * shares its result object, so its sockets send the same bytes.
 */
export function serializedResult(result: ExecutionResult): string {
  return serialized.get(result, () => JSON.stringify(result));
}

type SourceStream = Awaited<ReturnType<typeof createSourceEventStream>>;

/** One shared execution: its result as soon as it is known (at once when every resolver is synchronous). */
class Execution {
  value: ExecutionResult | null = null;
  readonly done: Promise<ExecutionResult>;

  constructor(run: () => PromiseOrValue<ExecutionResult>) {
    let out: PromiseOrValue<ExecutionResult>;
    try {
      out = run();
    } catch (e) {
      out = Promise.reject(e);
    }
    if (isPromise(out)) {
      this.done = out.then((v) => (this.value = v));
      // each reader sees a failure through its own `then`; one whose readers all left must not crash the process
      this.done.catch(() => undefined);
    } else {
      this.value = out;
      this.done = Promise.resolve(out);
    }
  }
}

/** Execution results per source event, per (document, variables). */
const executions = new PerEvent<object, Map<string, Execution>>();

/**
 * Where the WebSocket server takes results straight from the feed instead of iterating (see `sharedSubscribe`):
 * `send` writes one `next` frame to the socket, `congested` says the socket stopped reading.
 */
export interface DirectDelivery {
  send(result: ExecutionResult): void;
  congested(): boolean;
}

const isPromise = <T>(v: PromiseOrValue<T>): v is Promise<T> =>
  typeof (v as Promise<T> | null)?.then === 'function';

/**
 * graphql's `subscribe`, except that an event object delivered to many subscriptions of the same
 * document, operation name and variables (one customer's feed hands the same update to all its
 * dashboards) is executed once, and every one of those subscriptions gets that result. `start` creates the
 * source stream (authorization happens there, once per subscription).
 *
 * With `direct`, a source that is one of the feeds' queues is not iterated per event: once graphql-ws asks
 * for the first result, the queue hands each event to this subscription synchronously, and its result goes
 * to `direct.send` at once (or, while an earlier one is still executing, in order when it is done). The
 * iterator graphql-ws holds then settles only when the subscription ends: complete, a closed socket, or the
 * feed's failure, which graphql-ws reports as before. That saves the promises of a pull per event and
 * subscription, which are most of the cost of fanning one update out to many sockets.
 */
export async function sharedSubscribe(
  args: ExecutionArgs,
  start: () => Promise<SourceStream>,
  direct?: DirectDelivery,
): Promise<ExecutionResult | AsyncIterableIterator<ExecutionResult>> {
  const stream = await start();
  if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
  // the request as a whole: a document may hold several operations, each selecting its own fields
  const key = [
    print(args.document),
    args.operationName ?? '',
    JSON.stringify(args.variableValues ?? {}),
  ].join('\u0000');
  const executionOf = (event: unknown): Execution => {
    const exec = () => new Execution(() => execute({ ...args, rootValue: event }));
    if (typeof event !== 'object' || event === null) return exec();
    const byKey = executions.get(event, () => new Map());
    let e = byKey.get(key);
    if (!e) byKey.set(key, (e = exec()));
    return e;
  };
  const source = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const queue = direct && source instanceof AsyncQueue ? (source as AsyncQueue<unknown>) : null;
  let attached = false;
  // not an async generator: graphql-ws calls return() when the client completes or the socket closes, and a
  // generator waiting for the next event would act on it only after that event came (keeping the feed's
  // listener and the socket's subscription count); this ends the source at once
  const results: AsyncIterableIterator<ExecutionResult> = {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (queue && !attached) {
        attached = true;
        queue.attach(directSink(queue, direct!, executionOf));
      }
      const r = await source.next();
      return r.done
        ? { done: true, value: undefined }
        : { done: false, value: await executionOf(r.value).done };
    },
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
    },
  };
  return results;
}

/**
 * The sink of one directly delivered subscription: each event's (shared) result is sent as soon as it and
 * every earlier one are known, so the frames keep the feed's order. A socket that stopped reading fails the
 * subscription, as a full queue does.
 */
function directSink(
  queue: AsyncQueue<unknown>,
  direct: DirectDelivery,
  executionOf: (event: unknown) => Execution,
): (event: unknown) => void {
  /** Executions still running, and those after them, in order. */
  const waiting: Execution[] = [];
  const flush = (): void => {
    while (waiting.length > 0 && waiting[0]!.value) {
      const value = waiting.shift()!.value!;
      if (!queue.ended) direct.send(value);
    }
    if (waiting.length > 0 && !queue.ended) waiting[0]!.done.then(flush, (e: unknown) => queue.fail(e));
  };
  return (event) => {
    if (direct.congested()) {
      queue.fail(new Error('subscriber is not reading; closing it'));
      return;
    }
    const e = executionOf(event);
    if (waiting.length === 0 && e.value) return direct.send(e.value);
    waiting.push(e);
    if (waiting.length === 1) flush();
  };
}
