import type { CombinedError } from 'urql';

/** An API error split into messages per input field and one general message. */
export interface FormErrors {
  fields: Record<string, string>;
  general: string | null;
}

export const noErrors: FormErrors = { fields: {}, general: null };

/**
 * Where the API says a problem is:
 * - a business-rule error (BAD_USER_INPUT from the server's validation) carries
 *   `extensions.problems: [{ field, message }]`, one per field (`amount`, `expiresAt`, `purchase.perUnitCost`);
 * - a value the GraphQL layer could not read (a malformed Decimal or DateTime in the variables) says where
 *   in its message: `Variable "$input" got invalid value "1.2.3" at "input.amount"; …`;
 * - anything else (NOT_FOUND, INVALID_STATE, INSUFFICIENT_CREDITS, …) concerns the whole form.
 */
export function formErrors(error: CombinedError | undefined | null): FormErrors {
  if (!error) return noErrors;
  const fields: Record<string, string> = {};
  const general: string[] = [];
  for (const e of error.graphQLErrors) {
    const problems = e.extensions?.problems;
    if (Array.isArray(problems) && problems.length > 0) {
      for (const p of problems as { field?: unknown; message?: unknown }[]) {
        if (typeof p.field === 'string' && typeof p.message === 'string') {
          fields[p.field] = fields[p.field] ? `${fields[p.field]}; ${p.message}` : p.message;
        }
      }
      continue;
    }
    const m = /^Variable "\$[^"]+" got invalid value .* at "([^"]+)"; (.*)$/s.exec(e.message);
    if (m) {
      // "input.amount" → "amount", "input.thresholds[1]" → "thresholds"
      const at = (m[1]!.split('.').slice(1).join('.') || m[1]!).replace(/\[\d+\]/g, '');
      fields[at] = m[2]!;
      continue;
    }
    const v = /^Variable "\$(\w+)" of required type .* was not provided/.exec(e.message);
    if (v) {
      fields[v[1]!] = 'required';
      continue;
    }
    general.push(e.message);
  }
  if (error.networkError) general.push(`Network error: ${error.networkError.message}`);
  return { fields, general: general.length ? general.join('\n') : null };
}
