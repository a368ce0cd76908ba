import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import { expect } from 'vitest';

/** A webhook receiver on 127.0.0.1 for the tests, and the documented shape of the event bodies. */

export interface Received {
  id: string;
  type: string;
  timestamp: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

/** A receiver that verifies every request with `standardwebhooks` and keeps the events it verified. */
export async function startReceiver() {
  const events: Received[] = [];
  const refused: string[] = [];
  let secret = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        const payload = new Webhook(secret).verify(body, req.headers as Record<string, string>) as Received;
        if (req.headers['content-type'] !== 'application/json') throw new Error('content-type');
        events.push({ ...payload, id: String(req.headers['webhook-id']) });
        res.writeHead(200).end();
      } catch (e) {
        refused.push(String(e));
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    events,
    refused,
    setSecret(s: string) {
      secret = s;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
) {
  for (;;) {
    const v = await fn();
    if (v) return v;
    await sleep(50);
  }
}

/** The customer's events in the outbox (written in the transaction of their cause). */
export async function outbox(db: Pick<Client, 'query'>, customerId: string): Promise<number> {
  const r = await db.query<{ n: number }>(
    `select count(*)::int as n from webhook_event where customer_id = $1`,
    [customerId],
  );
  return r.rows[0]!.n;
}

/**
 * Waits until the receiver has verified every event the outbox holds for the customer (at least `min`), and
 * answers them in the order they were recorded.
 */
export async function delivered(
  db: Pick<Client, 'query'>,
  receiver: Receiver,
  customerId: string,
  min: number,
): Promise<Received[]> {
  return until(async () => {
    const ids = (
      await db.query<{ id: string }>(`select id from webhook_event where customer_id = $1 order by id`, [
        customerId,
      ])
    ).rows.map((r) => r.id);
    if (ids.length < min) return null;
    const got = new Map(
      receiver.events.filter((e) => e.data.customerId === customerId).map((e) => [e.id, e]),
    );
    if (!ids.every((id) => got.has(id))) return null;
    return ids.map((id) => got.get(id)!);
  });
}

export const typesOf = (events: Received[]) => events.map((e) => e.type).sort();
export const only = (events: Received[], type: string) => {
  const found = events.filter((e) => e.type === type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};

/** The documented keys of each object (docs/webhooks.md, "Event types"). */
export const GRANT_KEYS = [
  'adjustment',
  'amount',
  'createdAt',
  'currency',
  'effectiveAt',
  'expiresAt',
  'featureKeys',
  'fundedAt',
  'fundingMethod',
  'id',
  'invoiceId',
  'name',
  'paymentStatus',
  'priority',
  'purchase',
  'remaining',
  'rolledFromId',
  'source',
  'status',
  'subscriptionId',
  'voidedAt',
];
export const MOVEMENT_KEYS = [
  'allocations',
  'amount',
  'balanceAfter',
  'balanceBefore',
  'bookedAt',
  'chargeId',
  'correctsId',
  'currency',
  'description',
  'grantId',
  'id',
  'sequence',
  'type',
];
export const BALANCE_KEYS = ['asOf', 'currency', 'held', 'pending', 'settled', 'upcoming'];
export const ALERT_KEYS = ['at', 'balance', 'currency', 'customerId', 'threshold', 'type'];
export const INVOICE_KEYS = [
  'currency',
  'id',
  'issuedAt',
  'kind',
  'lines',
  'number',
  'paymentStatus',
  'periodEnd',
  'periodStart',
  'status',
  'total',
];

export function expectBody(e: Received, customerId: string, objects: Record<string, string[]>) {
  expect(Object.keys(e).sort()).toEqual(['data', 'id', 'timestamp', 'type']);
  expect(e.id).toMatch(/^msg_/);
  expect(new Date(e.timestamp).toISOString()).toBe(e.timestamp);
  expect(Object.keys(e.data).sort()).toEqual(['customerId', ...Object.keys(objects)].sort());
  expect(e.data.customerId).toBe(customerId);
  for (const [name, keys] of Object.entries(objects)) expect(Object.keys(e.data[name]).sort()).toEqual(keys);
}
