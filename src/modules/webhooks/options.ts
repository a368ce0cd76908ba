/**
 * How this process checks and sends webhooks. The retry schedule and the timeout are not here: each
 * delivery keeps the one it was created with (`configureWebhookSettings`), so any replica follows it.
 */
export interface WebhookOptions {
  /** Refuse loopback, private and link-local targets (production, unless DRAWDOWN_WEBHOOK_ALLOW_PRIVATE). */
  guardPrivate: boolean;
  /** How much of a response body is read. */
  maxResponseBytes: number;
}

export const defaultWebhookOptions: WebhookOptions = Object.freeze({
  guardPrivate: false,
  maxResponseBytes: 4_096,
});

/**
 * The delay before retry number `attempt` (1 = the retry after the first attempt): base × 2^(attempt-1),
 * stretched by a random 0-25 % so endpoints that failed together do not retry together. The jitter only
 * stretches, so each gap is longer than the one before it.
 */
export function retryDelayMs(base: number, attempt: number, random = Math.random()): number {
  return Math.round(base * 2 ** (attempt - 1) * (1 + 0.25 * random));
}
