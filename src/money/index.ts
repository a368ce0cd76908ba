export {
  Dec,
  ZERO,
  MAX_INTEGER_DIGITS,
  MAX_FRACTION_DIGITS,
  isDecimalString,
  parseDecimal,
  roundToScale,
  formatDecimal,
  formatDecimalText,
  sum,
  min,
  max,
  cumulativeStep,
} from './decimal';
export type { ParseDecimalOptions } from './decimal';
