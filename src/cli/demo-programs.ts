/* eslint-disable no-console */

/** Runs one GraphQL operation as the admin (or as `token`); errors with a code in `tolerate` are no error. */
export type DemoGql = (
  query: string,
  variables?: Record<string, unknown>,
  tolerate?: string[],
  token?: string,
) => Promise<Record<string, unknown>>;

/**
 * The prepaid-plan story of `npm run demo` (SPEC §14): a custom credit currency AI_TOKENS worth 1.00 USD, a
 * plan with a monthly allocation (with rollover) and a purchase price (0.05 USD, 250 to 8,000 credits per
 * purchase), the customer `globex` subscribed at a negotiated 0.04 USD with 100 included credits, a
 * self-service purchase made with a customer token (its invoice then paid), and an auto top-up rule.
 * Idempotent: objects are looked up before they are made, the purchase carries an idempotency key, and
 * setAutoTopUp replaces the rule with the same one.
 */
export async function loadProgramsStory(gql: DemoGql): Promise<void> {
  await gql(
    `mutation { createCurrency(input: { code: "AI_TOKENS", name: "AI tokens", scale: 2, fiatCode: "USD", fiatValue: "1.00" }) { id } }`,
    {},
    ['CONFLICT'],
  );
  let plan = (await gql(`{ plan(key: "prepaid-ai") { id status } }`)).plan as {
    id: string;
    status: string;
  } | null;
  plan ??= (
    await gql(`mutation { createPlan(input: {
        key: "prepaid-ai", name: "Prepaid AI", currency: "AI_TOKENS", settlementMode: CREDIT_ONLY, billingCadence: "P1M",
        rateCards: [{ featureKey: "api_requests", price: { model: UNIT, unitAmount: "1" } }],
        creditAllocations: [{ amount: "1000", rolloverCap: "500" }],
        creditPurchase: { currency: "USD", unitPrice: "0.05", minAmount: "250", maxAmount: "8000" }
      }) { id status } }`)
  ).createPlan as { id: string; status: string };
  if (plan.status === 'DRAFT')
    await gql(`mutation($id: ID!) { publishPlan(id: $id) { id } }`, { id: plan.id });

  let customer = (await gql(`{ customer(key: "globex") { id } }`)).customer as { id: string } | null;
  customer ??= (
    await gql(
      `mutation { createCustomer(input: { key: "globex", name: "Globex Corp", email: "ap@globex.test" }) { id } }`,
    )
  ).createCustomer as { id: string };
  const c = customer.id;
  // a second run finds the subscription there (CONFLICT) and makes no second included grant
  await gql(
    `mutation($c: ID!, $p: ID!) { createSubscription(input: { customerId: $c, planId: $p, creditUnitPrice: "0.04",
       includedCredits: { amount: "100", fundingMethod: PROMOTIONAL } }) { id } }`,
    { c, p: plan.id },
    ['CONFLICT'],
  );

  // self-service: the customer's own token buys 500 credits at its negotiated price (20.00 USD)
  const token = (
    (await gql(`mutation($c: ID!) { issueCustomerToken(customerId: $c, ttlSeconds: 600) { token } }`, { c }))
      .issueCustomerToken as { token: string }
  ).token;
  const bought = (
    await gql(
      `mutation($c: ID!) { purchaseCredits(input: { customerId: $c, amount: "500", idempotencyKey: "demo-globex-purchase-1" })
         { id amount purchase { totalAmount currency } invoice { id paymentStatus } } }`,
      { c },
      [],
      token,
    )
  ).purchaseCredits as { invoice: { id: string; paymentStatus: string } | null; purchase: unknown };
  if (bought.invoice && bought.invoice.paymentStatus !== 'SETTLED')
    await gql(`mutation($i: ID!) { updateInvoicePaymentStatus(invoiceId: $i, status: SETTLED) { id } }`, {
      i: bought.invoice.id,
    });
  console.log('self-service purchase of 500 AI_TOKENS at 0.04 USD:', bought.purchase);

  await gql(
    `mutation($c: ID!) { setAutoTopUp(input: { customerId: $c, currency: "AI_TOKENS", enabled: true,
       threshold: "200", amount: "500" }) { enabled threshold amount fundingMethod } }`,
    { c },
  );
  const view = (await gql(
    `query($c: ID!) { creditBalances(customerId: $c, currency: "AI_TOKENS") { settled pending upcoming }
         creditGrants(customerId: $c, currency: "AI_TOKENS") { edges { node { source amount status } } } }`,
    { c },
  )) as { creditBalances: unknown[]; creditGrants: { edges: { node: unknown }[] } };
  console.log('globex AI_TOKENS balance:', view.creditBalances[0]);
  console.log(
    'globex grants (the monthly ALLOCATION arrives within seconds of the subscription start):',
    view.creditGrants.edges.map((e) => e.node),
  );
  console.log(`globex customer id: ${c}; see README.md ("Credit programs").`);
}
