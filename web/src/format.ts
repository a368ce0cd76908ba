/**
 * Amounts stay strings (the API's Decimal): they are shown as the server sent them, grouped for reading.
 * Number() is used only where a chart needs a pixel position.
 */
export function money(amount: string | null | undefined, code?: string): string {
  if (amount == null) return '—';
  const neg = amount.startsWith('-');
  const [int, frac] = (neg ? amount.slice(1) : amount).split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '−' : ''}${grouped}${frac !== undefined ? `.${frac}` : ''}${code ? ` ${code}` : ''}`;
}

export function signed(amount: string): string {
  return amount.startsWith('-') ? money(amount) : `+${money(amount)}`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export function when(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

export function day(iso: string | null | undefined): string {
  return iso ? dateOnly.format(new Date(iso)) : '—';
}

export function label(enumValue: string): string {
  return enumValue.charAt(0) + enumValue.slice(1).toLowerCase().replace(/_/g, ' ');
}
