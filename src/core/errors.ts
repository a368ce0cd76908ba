/** Stable error codes surfaced as `extensions.code` (SPEC §11). */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  CONFLICT: 'CONFLICT',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  INSUFFICIENT_CREDITS: 'INSUFFICIENT_CREDITS',
  INVALID_STATE: 'INVALID_STATE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A problem with one input field, collected so one error reports them all. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** The one error type thrown below the GraphQL layer; `graphql/` maps it to `extensions.code`. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static badInput(message: string, problems?: FieldProblem[]): DomainError {
    return new DomainError(ErrorCode.BAD_USER_INPUT, message, problems ? { problems } : undefined);
  }

  static notFound(what: string, id?: string): DomainError {
    return new DomainError(ErrorCode.NOT_FOUND, id ? `${what} ${id} not found` : `${what} not found`);
  }
}

/** Collects field problems and throws one BAD_USER_INPUT carrying all of them. */
export class Problems {
  private readonly list: FieldProblem[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  check<T>(field: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      if (e instanceof DomainError && e.code === ErrorCode.BAD_USER_INPUT) {
        this.add(field, e.message);
        return undefined;
      }
      throw e;
    }
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
  throwIfAny(): void {
    if (this.list.length === 0) return;
    const summary = this.list.map((p) => `${p.field}: ${p.message}`).join('; ');
    throw DomainError.badInput(`Invalid input: ${summary}`, this.list);
  }
}

export function assertNever(x: never): never {
  throw new Error(`Unexpected value: ${String(x)}`);
}
