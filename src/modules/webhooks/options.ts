/** How webhooks are delivered; from the configuration (DRAWDOWN_WEBHOOK_*). */
export interface WebhookOptions {
  /** Refuse loopback, private and link-local targets (production, unless DRAWDOWN_WEBHOOK_ALLOW_PRIVATE). */
  guardPrivate: boolean;
  /** The first retry's delay; each later one doubles (jittered). */
  retryBaseMs: number;
  /** Attempts in all, the first included, before a delivery is FAILED. */
  maxAttempts: number;
  /** A 2xx must arrive within this. */
  timeoutMs: number;
  /** How much of a response body is read. */
  maxResponseBytes: number;
}

export const defaultWebhookOptions: WebhookOptions = Object.freeze({
  guardPrivate: false,
  retryBaseMs: 5_000,
  maxAttempts: 8,
  timeoutMs: 10_000,
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
