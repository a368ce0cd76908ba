import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { DomainError } from '../../core/errors';
import { IdPrefix, prefixOf } from '../../core/ids';
import type { Context } from '../context';
import { toCurrency, toFeature, toPlan, toRateCard } from '../types/catalog';
import { Node } from '../types/common';
import { toCustomer, toSubscription } from '../types/customers';
import { toInvoice } from '../types/ledger';
import { mapHolds } from './holds';
import { mapGrants, mapMovements } from './ledger';
import { mapCharges } from './usage';

/** Global object lookup; the id prefix names the type. Another customer's objects answer NOT_FOUND. */
@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true })
  async node(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Node | null> {
    const s = ctx.services;
    // another customer's objects look like they do not exist
    const mine = (customerId: string) => {
      if (ctx.principal.kind === 'customer' && ctx.principal.customerId !== customerId) {
        throw DomainError.notFound('Node', id);
      }
      return true;
    };
    switch (prefixOf(id)) {
      case IdPrefix.Currency: {
        const e = await s.catalog.currencyById(id);
        return e && toCurrency(e);
      }
      case IdPrefix.Feature: {
        const e = await s.catalog.featureById(id);
        return e && toFeature(e);
      }
      case IdPrefix.Plan: {
        const e = await s.catalog.planById(id);
        return e && toPlan(e);
      }
      case IdPrefix.RateCard: {
        const e = await s.catalog.rateCardById(id);
        const plan = e && (await s.catalog.planById(e.planId));
        return e && plan ? toRateCard(e, plan) : null;
      }
      case IdPrefix.Customer: {
        const e = await s.customers.byId(id);
        return e && mine(e.id) ? toCustomer(e) : null;
      }
      case IdPrefix.Subscription: {
        const e = await s.subscriptions.byId(id);
        return e && mine(e.customerId) ? toSubscription(e) : null;
      }
      case IdPrefix.CreditGrant: {
        const e = await s.ledger.grantsByIds([id]);
        const g = e.get(id);
        return g && mine(g.customerId) ? (await mapGrants(ctx, [g]))[0]! : null;
      }
      case IdPrefix.CreditMovement: {
        const m = await s.ledger.movementById(id);
        return m && mine(m.customerId) ? (await mapMovements(ctx, [m]))[0]! : null;
      }
      case IdPrefix.Invoice: {
        const i = await s.invoices.byId(id);
        return i && mine(i.customerId) ? toInvoice(i) : null;
      }
      case IdPrefix.Charge: {
        const c = await s.charges.byId(id);
        return c && mine(c.customerId) ? (await mapCharges(ctx, [c]))[0]! : null;
      }
      case IdPrefix.CreditHold: {
        const h = (await s.holds.holdsByIds([id])).get(id);
        return h && mine(h.customerId) ? (await mapHolds(ctx, [h]))[0]! : null;
      }
      default:
        return null;
    }
  }
}
