import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import WebSocket, { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { preparedPayload, useServer } from '../../src/server/ws-binding';

/** `tick` yields 1 and 2; a subscription with `fail: true` gets an error result for each. */
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLString } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      tick: {
        type: GraphQLInt,
        args: { fail: { type: GraphQLInt } },
        subscribe: async function* () {
          yield 1;
          yield 2;
        },
        resolve: (n: number, args: { fail?: number }) => {
          if (args.fail) throw new Error(`failed ${n}`);
          return n;
        },
      },
    },
  }),
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** A server on the binding whose `onNext` sends every error-free result as a prepared payload. */
async function start(): Promise<{ url: string; prepared: string[] }> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  const prepared: string[] = [];
  const handle = useServer(
    {
      schema,
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (result.errors) return undefined;
        const json = JSON.stringify(result);
        prepared.push(json);
        return preparedPayload(json);
      },
    },
    wss,
    { keepAliveMs: 0, production: true, onInternalError: () => undefined },
  );
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  closers.push(async () => {
    await handle.dispose();
    await new Promise((r) => http.close(r));
  });
  return { url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`, prepared };
}

/** Sends the messages after the ack and collects frames until `completes` subscriptions completed. */
async function exchange(url: string, messages: object[], completes: number): Promise<string[]> {
  const ws = new WebSocket(url, 'graphql-transport-ws');
  const frames: string[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
    ws.on('message', (d) => {
      const text = String(d);
      if (text.includes('"connection_ack"')) {
        for (const m of messages) ws.send(JSON.stringify(m));
        return;
      }
      frames.push(text);
      if (frames.filter((f) => f.includes('"type":"complete"')).length === completes) resolve();
    });
  });
  ws.close();
  return frames;
}

describe('graphql-ws binding', () => {
  it('sends a prepared payload as the next frame of each subscription, its id escaped by graphql-ws', async () => {
    const { url, prepared } = await start();
    const query = 'subscription { tick }';
    const frames = await exchange(
      url,
      [
        { id: 'a"1', type: 'subscribe', payload: { query } },
        { id: 'b', type: 'subscribe', payload: { query } },
      ],
      2,
    );
    const next = frames.filter((f) => !f.includes('"complete"'));
    expect(next.sort()).toEqual(
      [
        '{"id":"a\\"1","type":"next","payload":{"data":{"tick":1}}}',
        '{"id":"a\\"1","type":"next","payload":{"data":{"tick":2}}}',
        '{"id":"b","type":"next","payload":{"data":{"tick":1}}}',
        '{"id":"b","type":"next","payload":{"data":{"tick":2}}}',
      ].sort(),
    );
    expect(prepared).toHaveLength(4);
  });

  it('sends results onNext does not prepare as graphql-ws builds them, between prepared ones', async () => {
    const { url } = await start();
    const frames = await exchange(
      url,
      [
        { id: 'bad', type: 'subscribe', payload: { query: 'subscription { tick(fail: 1) }' } },
        { id: 'ok', type: 'subscribe', payload: { query: 'subscription { tick }' } },
      ],
      2,
    );
    const parsed = frames.map((f) => JSON.parse(f) as { id: string; type: string; payload?: unknown });
    const bad = parsed.filter((m) => m.id === 'bad' && m.type === 'next');
    expect(bad.map((m) => (m.payload as { errors: { message: string }[] }).errors[0]!.message)).toEqual([
      'failed 1',
      'failed 2',
    ]);
    expect(parsed.filter((m) => m.id === 'ok' && m.type === 'next').map((m) => m.payload)).toEqual([
      { data: { tick: 1 } },
      { data: { tick: 2 } },
    ]);
  });
});
