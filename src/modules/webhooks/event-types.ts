/** The event types of SPEC §15, in the order `webhookEventTypes` lists them. */
export const webhookEventTypes = [
  'credit_grant.created',
  'credit_grant.funded',
  'credit_grant.expired',
  'credit_grant.voided',
  'credit_balance.updated',
  'credit_balance.depleted',
  'credit_balance.dropped_below_threshold',
  'credit_balance.recovered',
  'credit_top_up.created',
  'credit_top_up.failed',
  'invoice.issued',
  'invoice.paid',
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

const known: ReadonlySet<string> = new Set(webhookEventTypes);

export function isWebhookEventType(t: string): t is WebhookEventType {
  return known.has(t);
}
