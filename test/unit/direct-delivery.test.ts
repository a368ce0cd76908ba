import {
  GraphQLInt,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  createSourceEventStream,
  parse,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { AsyncQueue } from '../../src/events/queue';
import { sharedSubscribe, type DirectDelivery } from '../../src/events/shared';

/** An event of the test feed: `slow` ones resolve after a timer, so later events are known first. */
interface Tick {
  n: number;
  slow?: boolean;
}

let executions = 0;
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLString } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      tick: {
        type: GraphQLInt,
        subscribe: (_root, _args, ctx: { queue: AsyncQueue<Tick> }) => ctx.queue,
        resolve: (t: Tick) => {
          executions++;
          if (!t.slow) return t.n;
          return new Promise((r) => setTimeout(() => r(t.n), 20));
        },
      },
    },
  }),
});

/** A subscription to `tick` on its own queue, delivered directly to `sent` while `congested` is false. */
async function subscribe(queue = new AsyncQueue<Tick>(() => undefined)) {
  const sent: number[] = [];
  const state = { congested: false };
  const direct: DirectDelivery = {
    send: (r: ExecutionResult) => sent.push((r.data as { tick: number }).tick),
    congested: () => state.congested,
  };
  const args: ExecutionArgs = { schema, document: parse('subscription { tick }'), contextValue: { queue } };
  const it = (await sharedSubscribe(
    args,
    async () => createSourceEventStream(args),
    direct,
  )) as AsyncIterableIterator<ExecutionResult>;
  return { it, queue, sent, state };
}

const settle = () => new Promise((r) => setTimeout(r, 60));

describe('direct delivery of live results (events/shared.ts)', () => {
  it('sends what was queued before the first pull, then each event as it is pushed, synchronously', async () => {
    const { it, queue, sent } = await subscribe();
    queue.push({ n: 1 });
    queue.push({ n: 2 });
    expect(sent).toEqual([]); // graphql-ws has not asked yet
    const pending = it.next();
    expect(sent).toEqual([1, 2]);
    queue.push({ n: 3 });
    expect(sent).toEqual([1, 2, 3]);
    await it.return!();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    queue.push({ n: 4 });
    expect(sent).toEqual([1, 2, 3]);
  });

  it('keeps the feed order when an earlier execution finishes after later ones', async () => {
    const { it, queue, sent } = await subscribe();
    void it.next();
    queue.push({ n: 1, slow: true });
    queue.push({ n: 2 });
    queue.push({ n: 3, slow: true });
    queue.push({ n: 4 });
    expect(sent).toEqual([]);
    await settle();
    expect(sent).toEqual([1, 2, 3, 4]);
    queue.push({ n: 5 });
    expect(sent).toEqual([1, 2, 3, 4, 5]);
    await it.return!();
  });

  it('sends nothing more once the subscriber left while an execution was still running', async () => {
    const { it, queue, sent } = await subscribe();
    void it.next();
    queue.push({ n: 1, slow: true });
    queue.push({ n: 2 });
    await it.return!();
    await settle();
    expect(sent).toEqual([]);
  });

  it('fails the subscription when its socket stopped reading, as a full queue does', async () => {
    const { it, queue, sent, state } = await subscribe();
    const pending = it.next();
    queue.push({ n: 1 });
    state.congested = true;
    queue.push({ n: 2 });
    await expect(pending).rejects.toThrow('subscriber is not reading');
    queue.push({ n: 3 });
    expect(sent).toEqual([1]);
  });

  it('executes an event object shared by two subscriptions of the same request once', async () => {
    const a = await subscribe();
    const b = await subscribe();
    void a.it.next();
    void b.it.next();
    executions = 0;
    const event = { n: 7 };
    a.queue.push(event);
    b.queue.push(event);
    b.queue.push({ n: 8 });
    expect(a.sent).toEqual([7]);
    expect(b.sent).toEqual([7, 8]);
    expect(executions).toBe(2);
    await a.it.return!();
    await b.it.return!();
  });

  it('iterates as before without direct delivery', async () => {
    const queue = new AsyncQueue<Tick>(() => undefined);
    const args: ExecutionArgs = { schema, document: parse('subscription { tick }'), contextValue: { queue } };
    const it = (await sharedSubscribe(args, async () =>
      createSourceEventStream(args),
    )) as AsyncIterableIterator<ExecutionResult>;
    queue.push({ n: 1, slow: true });
    queue.push({ n: 2 });
    expect((await it.next()).value).toEqual({ data: { tick: 1 } });
    expect((await it.next()).value).toEqual({ data: { tick: 2 } });
    await it.return!();
  });
});
