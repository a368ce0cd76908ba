export * from './entities';
export { CatalogService, toEnginePrice } from './service';
export type { CreateCurrencyInput, CreateFeatureInput, CreatePlanInput, PriceInput } from './service';
export { fiatScale, isFiatCode } from './iso4217';
