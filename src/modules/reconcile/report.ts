import type { Reconciliation } from './types';

/** A human-readable report, for the CLI and logs. */
export function formatReconciliation(r: Reconciliation): string {
  const scope = r.customerId ? `customer ${r.customerId}` : 'every ledger';
  const head = `Reconciled ${scope} at ${r.checkedAt.toISOString()}: ${r.ledgers} ledgers, ${r.movements} movements, ${r.grants} grants, ${r.charges} charges.`;
  if (r.drift.length === 0)
    return `${head}\nNo drift: every ledger matches its movements, allocations and grants.\n`;
  const lines = [`${head}`, `DRIFT: ${r.drift.length} finding(s)${r.truncated ? ' (truncated)' : ''}:`];
  const byKind = new Map<string, number>();
  for (const d of r.drift) byKind.set(d.kind, (byKind.get(d.kind) ?? 0) + 1);
  lines.push(`  by kind: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const d of r.drift) {
    lines.push(
      `  ${d.kind.padEnd(18)} customer ${d.customerId} ${d.currency}${d.ledgerId ? ` ledger ${d.ledgerId}` : ''}: ${d.detail} (expected ${d.expected}, found ${d.actual})`,
    );
  }
  return lines.join('\n') + '\n';
}
