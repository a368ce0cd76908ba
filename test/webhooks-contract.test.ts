import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const checker = path.resolve(root, '../shared/tools/check-contract.mjs');

// issue 11: the webhook names of contract-next.graphql (SPEC §15)
const webhookNames = [
  'WebhookEndpoint',
  'WebhookEndpointSecret',
  'WebhookDelivery',
  'WebhookDeliveryConnection',
  'WebhookDeliveryStatus',
  'Query.webhookEndpoints',
  'Query.webhookEventTypes',
  'Mutation.createWebhookEndpoint',
  'Mutation.updateWebhookEndpoint',
  'Mutation.deleteWebhookEndpoint',
  'Mutation.rotateWebhookSecret',
  'Mutation.redeliverWebhook',
];

describe('schema.graphql and the webhooks contract', () => {
  const hasContract = fs.existsSync(checker);
  if (!hasContract)
    console.log(
      `webhooks contract check skipped: ${checker} is absent (../shared is not beside this checkout)`,
    );

  it.runIf(hasContract)(
    'satisfies the webhooks of ../shared/contract-next.graphql (check-contract.mjs --next --only …)',
    () => {
      const out = execFileSync(
        process.execPath,
        [checker, '--next', '--only', ...webhookNames, 'schema.graphql'],
        { cwd: root, encoding: 'utf8' },
      );
      expect(out).toMatch(/satisfies the contract \(contract-next\.graphql, 12 names\)/);
    },
  );
});
