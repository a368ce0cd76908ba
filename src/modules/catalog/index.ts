export * from './entities';
export { CatalogService } from './service';
export type { CreateCurrencyInput, CreateFeatureInput, CreatePlanInput, PriceInput } from './service';
export { toEnginePrice } from './prices';
export { fiatScale, isFiatCode } from './iso4217';
export { settlementTermsOf } from './terms';
export type { CurrencyTerms, SettlementTerms } from './terms';
export {
  currenciesOfIds,
  currencyAndAmount,
  currencyOfCode,
  knownEventTypes,
  ratingCardsOfPlans,
} from './reads';
export type { RatingCard } from './reads';
export { parseProgramDuration } from './programs';
export type { CreditAllocationInput, CreditPurchaseInput } from './programs';
