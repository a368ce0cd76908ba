/** Fiat currencies Drawdown knows, with their ISO 4217 minor units (the default ledger scale). */
export const FIAT_MINOR_UNITS: Readonly<Record<string, number>> = Object.freeze({
  USD: 2,
  EUR: 2,
  GBP: 2,
  JPY: 0,
  CHF: 2,
  CAD: 2,
  AUD: 2,
  NZD: 2,
  CNY: 2,
  HKD: 2,
  SGD: 2,
  INR: 2,
  BRL: 2,
  MXN: 2,
  ARS: 2,
  CLP: 0,
  COP: 2,
  PEN: 2,
  ZAR: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  ISK: 0,
  PLN: 2,
  CZK: 2,
  HUF: 2,
  RON: 2,
  BGN: 2,
  TRY: 2,
  ILS: 2,
  AED: 2,
  SAR: 2,
  QAR: 2,
  KWD: 3,
  BHD: 3,
  OMR: 3,
  JOD: 3,
  TND: 3,
  EGP: 2,
  NGN: 2,
  KES: 2,
  KRW: 0,
  TWD: 2,
  THB: 2,
  MYR: 2,
  IDR: 2,
  PHP: 2,
  VND: 0,
  UAH: 2,
  PKR: 2,
  BDT: 2,
});

export function isFiatCode(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(FIAT_MINOR_UNITS, code);
}

/** Minor units of a fiat code (2 when unknown). */
export function fiatScale(code: string): number {
  return FIAT_MINOR_UNITS[code] ?? 2;
}
