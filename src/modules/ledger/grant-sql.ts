/**
 * SQL restatements of the engine's grant lifecycle (`engine/lifecycle.ts`), for queries that filter grants
 * in the database. Each one is held against its TypeScript predicate on random grants by
 * `test/integration/lifecycle-sql.test.ts`: change the engine rule and that test tells you to change this.
 *
 * `at()` returns the SQL for the instant and is called once per use, left to right, so a caller may bind a
 * parameter per call (`() => { params.push(iso); return '?::timestamptz'; }`) or pass an expression
 * (`() => 'now()'`). `g` is the alias of `credit_grant`.
 */
export type SqlInstant = () => string;

/** Paid for when an invoice funds it (null-safe: a missing payment status is not SETTLED). */
const paid = (g: string) =>
  `(${g}.funding_method <> 'INVOICE' or ${g}.payment_status is not distinct from 'SETTLED')`;

/** `grantStatus(g, at)` as a SQL expression answering 'VOIDED' | 'EXPIRED' | 'PENDING' | 'ACTIVE' | 'DEPLETED'. */
export function grantStatusSql(at: SqlInstant, g = 'g'): string {
  return `(case
      when ${g}.voided_at is not null then 'VOIDED'
      when ${g}.expired_at is not null or (${g}.expires_at is not null and ${g}.expires_at <= ${at()}) then 'EXPIRED'
      when ${g}.funded_at is null then
        case when ${g}.effective_at <= ${at()} and ${paid(g)} then 'ACTIVE' else 'PENDING' end
      when ${g}.remaining = 0 then 'DEPLETED'
      else 'ACTIVE'
    end)`;
}

/**
 * Grants with due work at `at` (`dueSteps` lists them: a funding or an expiry to book), as three
 * predicates whose union is exactly that set; each one matches a partial index of the sweep.
 */
export function dueWorkSql(at: SqlInstant, g = 'g'): string[] {
  const live = `${g}.voided_at is null and ${g}.expired_at is null`;
  return [
    // fundings due (credit_grant_due_fund_idx); one past its expiry is funded at effectiveAt, then expired
    `${g}.funded_at is null and ${live} and ${g}.effective_at <= ${at()} and ${paid(g)}`,
    // expiries of funded credit (credit_grant_due_expire_idx)
    `${g}.funded_at is not null and ${live} and ${g}.expires_at is not null and ${g}.expires_at <= ${at()}`,
    // never-funded grants past their expiry, only marked expired (effective_at < expires_at, so the
    // redundant effective_at bound lets credit_grant_due_fund_idx serve it)
    `${g}.funded_at is null and ${live} and ${g}.effective_at < ${at()} and ${g}.expires_at <= ${at()}`,
  ];
}
