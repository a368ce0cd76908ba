import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaSdl } from '../src/cli/print-schema';

const root = path.resolve(__dirname, '..');
const checker = path.resolve(root, '../shared/tools/check-contract.mjs');

describe('schema.graphql', () => {
  it('is the schema the code generates (run `npm run schema` after changing the API)', async () => {
    const committed = fs.readFileSync(path.join(root, 'schema.graphql'), 'utf8');
    expect(committed).toBe(await schemaSdl());
  });

  const hasContract = fs.existsSync(checker);
  if (!hasContract)
    console.log(`contract check skipped: ${checker} is absent (../shared is not beside this checkout)`);

  it.runIf(hasContract)(
    'satisfies ../shared/contract.graphql (node ../shared/tools/check-contract.mjs schema.graphql)',
    () => {
      const out = execFileSync(process.execPath, [checker, 'schema.graphql'], {
        cwd: root,
        encoding: 'utf8',
      });
      expect(out).toMatch(/satisfies the contract/);
    },
  );

  // issue 10: the credit programs' names of contract-next.graphql (SPEC §14)
  const programNames = [
    'GrantSource',
    'CreditAllocation',
    'CreditPurchaseRules',
    'AutoTopUp',
    'Plan.creditAllocations',
    'Plan.creditPurchase',
    'PlanSubscription.creditUnitPrice',
    'CreditGrant.source',
    'CreditGrant.subscription',
    'CreditGrant.rolledFrom',
    'Customer.autoTopUps',
    'Mutation.purchaseCredits',
    'Mutation.setAutoTopUp',
    'Mutation.updateCreditGrantExpiry',
    'CreateSubscriptionInput',
    'CreatePlanInput',
  ];
  it.runIf(hasContract)(
    'satisfies the credit programs of ../shared/contract-next.graphql (check-contract.mjs --next --only …)',
    () => {
      const args = [checker, '--next', '--only', ...programNames, 'schema.graphql'];
      const out = execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
      expect(out).toMatch(/satisfies the contract/);
    },
  );
});
