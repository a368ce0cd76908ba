import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks asks for 24 to 64). */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

// a signer per secret (decoding the key once, not per attempt); a rotation simply adds an entry
const signers = new Map<string, Webhook>();

function signer(secret: string): Webhook {
  let w = signers.get(secret);
  if (!w) {
    if (signers.size >= 1_000) signers.clear();
    signers.set(secret, (w = new Webhook(secret)));
  }
  return w;
}

/**
 * The Standard Webhooks headers of one attempt: `webhook-id` (the event id, the same on every attempt),
 * `webhook-timestamp` (this attempt, unix seconds) and `webhook-signature` (`v1,` + HMAC-SHA256 of
 * `id.timestamp.body` keyed with the decoded secret), computed by the `standardwebhooks` package.
 */
export function signedHeaders(
  secret: string,
  eventId: string,
  body: string,
  at: Date,
): Record<string, string> {
  const seconds = Math.floor(at.getTime() / 1000);
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(seconds),
    'webhook-signature': signer(secret).sign(eventId, new Date(seconds * 1000), body),
  };
}
