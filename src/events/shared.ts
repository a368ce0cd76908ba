import {
  execute,
  print,
  type ExecutionArgs,
  type ExecutionResult,
  type createSourceEventStream,
} from 'graphql';

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

/** Execution results per source event, per (document, variables). */
const executions = new PerEvent<object, Map<string, Promise<ExecutionResult>>>();

/**
 * graphql's `subscribe`, except that an event object delivered to many subscriptions of the same
 * document, operation name and variables (one customer's feed hands the same update to all its
 * dashboards) is executed once, and every one of those subscriptions gets that result. `start` creates the source stream (authorization
 * happens there, once per subscription).
 */
export async function sharedSubscribe(
  args: ExecutionArgs,
  start: () => Promise<SourceStream>,
): Promise<ExecutionResult | AsyncIterableIterator<ExecutionResult>> {
  const stream = await start();
  if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
  // the request as a whole: a document may hold several operations, each selecting its own fields
  const key = [
    print(args.document),
    args.operationName ?? '',
    JSON.stringify(args.variableValues ?? {}),
  ].join('\u0000');
  const run = (event: unknown): Promise<ExecutionResult> => {
    const exec = () => Promise.resolve(execute({ ...args, rootValue: event }));
    if (typeof event !== 'object' || event === null) return exec();
    const byKey = executions.get(event, () => new Map());
    let result = byKey.get(key);
    if (!result) byKey.set(key, (result = exec()));
    return result;
  };
  const source = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  // not an async generator: graphql-ws calls return() when the client completes or the socket closes, and a
  // generator waiting for the next event would act on it only after that event came (keeping the feed's
  // listener and the socket's subscription count); this ends the source at once
  const results: AsyncIterableIterator<ExecutionResult> = {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const r = await source.next();
      return r.done ? { done: true, value: undefined } : { done: false, value: await run(r.value) };
    },
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
    },
  };
  return results;
}
