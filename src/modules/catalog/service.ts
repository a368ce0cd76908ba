import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { parseIsoDuration } from '../../core/duration';
import { DomainError, ErrorCode, Problems } from '../../core/errors';
import { IdPrefix, isIdOf, newId } from '../../core/ids';
import { parseDecimal } from '../../money';
import type { CursorCodec } from '../shared/cursor';
import { finishPage, keysetRequest, type Page, type PageArgs } from '../shared/page';
import {
  CurrencyEntity,
  FeatureEntity,
  type CreditAllocationEntity,
  PlanEntity,
  RateCardEntity,
  type Aggregation,
  type PlanStatus,
  type PriceModel,
  type SettlementMode,
} from './entities';
import { FIAT_MINOR_UNITS, isFiatCode } from './iso4217';
import { PRICE_SCALE, parsePrice } from './prices';
import { currenciesOfIds, currencyOfCode } from './reads';
import {
  allocationsOfPlans,
  parsePlanProgram,
  persistPlanProgram,
  type CreditAllocationInput,
  type CreditPurchaseInput,
} from './programs';

export interface CreateCurrencyInput {
  code: string;
  name: string;
  scale?: number | null;
  fiatCode?: string | null;
  fiatValue?: string | null;
}

export interface CreateFeatureInput {
  key: string;
  name: string;
  unit?: string | null;
  eventType: string;
  aggregation: Aggregation;
}

export interface PriceInput {
  model: PriceModel;
  unitAmount?: string | null;
  tiers?: { upTo?: string | null; unitAmount: string; flatAmount?: string | null }[] | null;
}

export interface CreatePlanInput {
  key: string;
  name: string;
  currency: string;
  settlementMode: SettlementMode;
  billingCadence?: string | null;
  rateCards: { featureKey: string; price: PriceInput; settlementMode?: SettlementMode | null }[];
  creditAllocations?: CreditAllocationInput[] | null;
  creditPurchase?: CreditPurchaseInput | null;
}

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const CODE_RE = /^[A-Z][A-Z0-9_]{1,15}$/;

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: string }).code === '23505';
}

export class CatalogService {
  constructor(
    private readonly em: EntityManager,
    private readonly cursors: CursorCodec,
  ) {}

  // ---- currencies -------------------------------------------------------------------------

  async createCurrency(input: CreateCurrencyInput): Promise<CurrencyEntity> {
    const problems = new Problems();
    const code = input.code.trim();
    if (!CODE_RE.test(code))
      problems.add('code', 'must be 2-16 upper-case letters, digits or _ starting with a letter');
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) problems.add('name', 'must be 1-200 characters');
    const fiat = isFiatCode(code);
    const hasFiatCode = input.fiatCode != null;
    const hasFiatValue = input.fiatValue != null;
    if (fiat && (hasFiatCode || hasFiatValue)) {
      problems.add(
        'fiatCode',
        `${code} is a fiat currency; fiatCode and fiatValue are for custom currencies`,
      );
    }
    if (hasFiatCode !== hasFiatValue) problems.add('fiatValue', 'fiatCode and fiatValue go together');
    if (hasFiatCode && !isFiatCode(input.fiatCode!))
      problems.add('fiatCode', `${input.fiatCode} is not a known fiat currency`);
    let fiatValue: string | null = null;
    if (hasFiatValue) {
      const v = problems.check('fiatValue', () =>
        parseDecimal(input.fiatValue!, { scale: PRICE_SCALE, positive: true, field: 'fiatValue' }),
      );
      if (v) fiatValue = v.toFixed();
    }
    const scale = input.scale ?? (fiat ? FIAT_MINOR_UNITS[code]! : 6);
    if (!Number.isInteger(scale) || scale < 0 || scale > 18)
      problems.add('scale', 'must be an integer from 0 to 18');
    problems.throwIfAny();

    const currency = this.em.create(CurrencyEntity, {
      id: newId(IdPrefix.Currency),
      code,
      name,
      scale,
      custom: !fiat,
      fiatCode: hasFiatCode ? input.fiatCode! : null,
      fiatValue,
      createdAt: new Date(),
    });
    try {
      await this.em.persistAndFlush(currency);
    } catch (e) {
      if (isUniqueViolation(e)) throw new DomainError(ErrorCode.CONFLICT, `Currency ${code} already exists`);
      throw e;
    }
    return currency;
  }

  async listCurrencies(): Promise<CurrencyEntity[]> {
    return this.em.find(CurrencyEntity, {}, { orderBy: { code: 'asc' } });
  }

  async currencyByCode(code: string): Promise<CurrencyEntity> {
    const c = await currencyOfCode(this.em, code);
    if (!c) throw DomainError.notFound('Currency', code);
    return c;
  }

  /** Currencies by id, kept for the process (`currenciesOfIds`). */
  currenciesByIds(ids: readonly string[]): Promise<Map<string, CurrencyEntity>> {
    return currenciesOfIds(this.em, ids);
  }

  async currenciesByCodes(codes: readonly string[]): Promise<Map<string, CurrencyEntity>> {
    const rows = await this.em.find(CurrencyEntity, { code: { $in: [...codes] } });
    return new Map(rows.map((r) => [r.code, r]));
  }

  // ---- features ---------------------------------------------------------------------------

  async createFeature(input: CreateFeatureInput): Promise<FeatureEntity> {
    const problems = new Problems();
    if (!KEY_RE.test(input.key)) problems.add('key', 'must be 1-128 characters of letters, digits, _ . : -');
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) problems.add('name', 'must be 1-200 characters');
    if (!KEY_RE.test(input.eventType))
      problems.add('eventType', 'must be 1-128 characters of letters, digits, _ . : -');
    if (input.unit != null && input.unit.length > 50) problems.add('unit', 'must be at most 50 characters');
    problems.throwIfAny();
    const feature = this.em.create(FeatureEntity, {
      id: newId(IdPrefix.Feature),
      key: input.key,
      name,
      unit: input.unit ?? null,
      eventType: input.eventType,
      aggregation: input.aggregation,
      createdAt: new Date(),
    });
    try {
      await this.em.persistAndFlush(feature);
    } catch (e) {
      if (isUniqueViolation(e))
        throw new DomainError(ErrorCode.CONFLICT, `Feature ${input.key} already exists`);
      throw e;
    }
    return feature;
  }

  async listFeatures(): Promise<FeatureEntity[]> {
    return this.em.find(FeatureEntity, {}, { orderBy: { key: 'asc' } });
  }

  async featuresByIds(ids: readonly string[]): Promise<Map<string, FeatureEntity>> {
    const rows = await this.em.find(FeatureEntity, { id: { $in: [...ids] } });
    return new Map(rows.map((r) => [r.id, r]));
  }

  async featuresByEventTypes(types: readonly string[]): Promise<FeatureEntity[]> {
    return this.em.find(FeatureEntity, { eventType: { $in: [...types] } });
  }

  // ---- plans ------------------------------------------------------------------------------

  async createPlan(input: CreatePlanInput): Promise<PlanEntity> {
    const problems = new Problems();
    if (!KEY_RE.test(input.key)) problems.add('key', 'must be 1-128 characters of letters, digits, _ . : -');
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) problems.add('name', 'must be 1-200 characters');
    const cadence = input.billingCadence ?? 'P1M';
    problems.check('billingCadence', () => parseIsoDuration(cadence));
    const currency = await this.em.findOne(CurrencyEntity, { code: input.currency });
    if (!currency) problems.add('currency', `unknown currency ${input.currency}`);
    if (input.rateCards.length > 200) problems.add('rateCards', 'at most 200 rate cards');
    const featureKeys = input.rateCards.map((r) => r.featureKey);
    const features = await this.em.find(FeatureEntity, { key: { $in: featureKeys } });
    const byKey = new Map(features.map((f) => [f.key, f]));
    const seen = new Set<string>();
    const cards = input.rateCards.map((rc, i) => {
      const feature = byKey.get(rc.featureKey);
      if (!feature) problems.add(`rateCards[${i}].featureKey`, `unknown feature ${rc.featureKey}`);
      if (seen.has(rc.featureKey))
        problems.add(`rateCards[${i}].featureKey`, `feature ${rc.featureKey} is priced twice`);
      seen.add(rc.featureKey);
      const price = parsePrice(`rateCards[${i}].price`, rc.price, problems);
      return { feature, price, settlementMode: rc.settlementMode ?? null };
    });
    const program = parsePlanProgram(input, currency, cadence, problems);
    problems.throwIfAny();

    return this.em.transactional(async (em) => {
      // serialize version numbering per plan key
      await em.getConnection().execute('select pg_advisory_xact_lock(hashtext(?))', [`plan:${input.key}`]);
      const versions = await em.find(PlanEntity, { key: input.key }, { orderBy: { version: 'desc' } });
      const draft = versions.find((v) => v.status === 'DRAFT');
      if (draft) {
        throw new DomainError(
          ErrorCode.CONFLICT,
          `Plan ${input.key} already has a draft (version ${draft.version}); publish or archive it first`,
          { planId: draft.id },
        );
      }
      const plan = em.create(PlanEntity, {
        id: newId(IdPrefix.Plan),
        key: input.key,
        version: (versions[0]?.version ?? 0) + 1,
        name,
        status: 'DRAFT',
        currencyId: currency!.id,
        settlementMode: input.settlementMode,
        billingCadence: cadence,
        createdAt: new Date(),
        publishedAt: null,
        archivedAt: null,
      });
      // rate cards and allocations reference the plan by a plain id column, so the plan row goes in first
      await em.persistAndFlush(plan);
      persistPlanProgram(em, plan, program);
      cards.forEach((c, position) => {
        em.persist(
          em.create(RateCardEntity, {
            id: newId(IdPrefix.RateCard),
            planId: plan.id,
            featureId: c.feature!.id,
            position,
            price: c.price!,
            settlementMode: c.settlementMode,
          }),
        );
      });
      return plan;
    });
  }

  private async transition(id: string, to: PlanStatus, allowedFrom: PlanStatus[]): Promise<PlanEntity> {
    return this.em.transactional(async (em) => {
      const plan = isIdOf(IdPrefix.Plan, id)
        ? await em.findOne(PlanEntity, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE })
        : null;
      if (!plan) throw DomainError.notFound('Plan', id);
      if (plan.status === to) return plan;
      if (!allowedFrom.includes(plan.status)) {
        throw new DomainError(
          ErrorCode.INVALID_STATE,
          `Plan ${plan.key} v${plan.version} is ${plan.status}; cannot make it ${to}`,
        );
      }
      plan.status = to;
      if (to === 'PUBLISHED') plan.publishedAt = new Date();
      if (to === 'ARCHIVED') plan.archivedAt = new Date();
      return plan;
    });
  }

  publishPlan(id: string): Promise<PlanEntity> {
    return this.transition(id, 'PUBLISHED', ['DRAFT']);
  }

  archivePlan(id: string): Promise<PlanEntity> {
    return this.transition(id, 'ARCHIVED', ['DRAFT', 'PUBLISHED']);
  }

  async planById(id: string): Promise<PlanEntity | null> {
    if (!isIdOf(IdPrefix.Plan, id)) return null;
    return this.em.findOne(PlanEntity, { id });
  }

  /** By key: the given version, else the latest published version, else the latest version. */
  async planByKey(key: string, version?: number | null): Promise<PlanEntity | null> {
    if (version != null) return this.em.findOne(PlanEntity, { key, version });
    const versions = await this.em.find(PlanEntity, { key }, { orderBy: { version: 'desc' } });
    return versions.find((v) => v.status === 'PUBLISHED') ?? versions[0] ?? null;
  }

  async plansByIds(ids: readonly string[]): Promise<Map<string, PlanEntity>> {
    const rows = await this.em.find(PlanEntity, { id: { $in: [...ids] } });
    return new Map(rows.map((r) => [r.id, r]));
  }

  async listPlans(status: PlanStatus[] | null | undefined, args: PageArgs): Promise<Page<PlanEntity>> {
    const scope = this.cursors.scopeOf(['plans', [...(status ?? [])].sort()]);
    const req = keysetRequest<string>(args, this.cursors, scope, 'string');
    const where: Record<string, unknown> = {};
    if (status && status.length > 0) where.status = { $in: status };
    if (req.bound !== null) where.id = req.forward ? { $lt: req.bound } : { $gt: req.bound };
    const rows = await this.em.find(PlanEntity, where, {
      orderBy: { id: req.forward ? 'desc' : 'asc' },
      limit: req.limit + 1,
    });
    return finishPage(rows, req, (p) => p.id, this.cursors, scope);
  }

  async rateCardsByPlanIds(planIds: readonly string[]): Promise<Map<string, RateCardEntity[]>> {
    const rows = await this.em.find(
      RateCardEntity,
      { planId: { $in: [...planIds] } },
      { orderBy: { position: 'asc' } },
    );
    const out = new Map<string, RateCardEntity[]>(planIds.map((id) => [id, []]));
    for (const r of rows) out.get(r.planId)?.push(r);
    return out;
  }

  /** SPEC §14 allocations of plans, in position order. */
  creditAllocationsByPlanIds(planIds: readonly string[]): Promise<Map<string, CreditAllocationEntity[]>> {
    return allocationsOfPlans(this.em, planIds);
  }

  async rateCardById(id: string): Promise<RateCardEntity | null> {
    if (!isIdOf(IdPrefix.RateCard, id)) return null;
    return this.em.findOne(RateCardEntity, { id });
  }

  async currencyById(id: string): Promise<CurrencyEntity | null> {
    if (!isIdOf(IdPrefix.Currency, id)) return null;
    return this.em.findOne(CurrencyEntity, { id });
  }

  async featureById(id: string): Promise<FeatureEntity | null> {
    if (!isIdOf(IdPrefix.Feature, id)) return null;
    return this.em.findOne(FeatureEntity, { id });
  }
}
