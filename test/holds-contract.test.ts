import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const checker = path.resolve(root, '../shared/tools/check-contract.mjs');

// issue 12: the holds, checks and forecast names of contract-next.graphql (SPEC §16)
const holdNames = [
  'CreditHold',
  'CreditHoldConnection',
  'CreditHoldStatus',
  'CreditCheck',
  'CreditDenialReason',
  'CreditForecast',
  'ExpiringCredit',
  'CreditBalance.held',
  'Customer.creditHolds',
  'Customer.creditForecast',
  'Query.checkCredits',
  'Mutation.reserveCredits',
  'Mutation.captureCreditHold',
  'Mutation.releaseCreditHold',
];

describe('schema.graphql and the holds contract', () => {
  const hasContract = fs.existsSync(checker);
  if (!hasContract)
    console.log(`holds contract check skipped: ${checker} is absent (../shared is not beside this checkout)`);

  it.runIf(hasContract)(
    'satisfies the holds and checks of ../shared/contract-next.graphql (check-contract.mjs --next --only …)',
    () => {
      const out = execFileSync(
        process.execPath,
        [checker, '--next', '--only', ...holdNames, 'schema.graphql'],
        {
          cwd: root,
          encoding: 'utf8',
        },
      );
      expect(out).toMatch(/satisfies the contract \(contract-next\.graphql, 14 names\)/);
    },
  );
});
