/**
 * A reason the process cannot start that the person starting it can fix (a taken port, a bad variable, no
 * database). main.ts prints its message as one line, without a stack trace, and exits non-zero.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
