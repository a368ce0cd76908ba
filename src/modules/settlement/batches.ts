/**
 * Cuts ledger keys sorted by customer into batches of `size`, each grown past `size` to keep a customer's
 * ledgers together: concurrent batches then share no customer (nor its subscriptions' invoices).
 */
export function settlementBatches<K extends { customerId: string }>(keys: readonly K[], size: number): K[][] {
  const batches: K[][] = [];
  for (let i = 0; i < keys.length;) {
    let end = Math.min(i + size, keys.length);
    while (end < keys.length && keys[end]!.customerId === keys[end - 1]!.customerId) end++;
    batches.push(keys.slice(i, end));
    i = end;
  }
  return batches;
}
