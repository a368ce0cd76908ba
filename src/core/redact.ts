/**
 * Errors as logs may carry them: without request values. A database error's message holds the SQL with
 * its parameters spelled out ("insert into customer ... values ('jane@example.com', ...)") and PostgreSQL's
 * own text quotes the offending value ("invalid input syntax for type integer: \"...\"", "Key (email)=(...)
 * already exists"). Such values may be personal data, so a database error is logged by its class, SQLSTATE,
 * routine and constraint, with the statement's string literals masked, and its stack frames.
 */
export function errorForLog(e: unknown): string {
  if (!(e instanceof Error)) return typeof e === 'string' ? '[non-Error thrown]' : `[${typeof e} thrown]`;
  const frames = (e.stack ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .join('\n');
  if (!isDatabaseError(e)) return e.stack ?? e.message;
  const d = e as DatabaseErrorFields;
  const facts = [
    d.code ? `SQLSTATE ${d.code}` : null,
    d.routine ? `routine ${d.routine}` : null,
    d.table ? `table ${d.table}` : null,
    d.column ? `column ${d.column}` : null,
    d.constraint ? `constraint ${d.constraint}` : null,
  ].filter(Boolean);
  const statement = maskedStatement(e.message);
  return [`${e.name}: ${facts.join(', ')}`, statement ? `statement: ${statement}` : null, frames]
    .filter(Boolean)
    .join('\n');
}

interface DatabaseErrorFields {
  code?: string;
  routine?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

/** pg's DatabaseError and MikroORM's DriverException family both carry PostgreSQL's five-character SQLSTATE. */
function isDatabaseError(e: Error): boolean {
  const code = (e as DatabaseErrorFields).code;
  return (
    (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) ||
    /Exception$/.test(e.constructor.name) ||
    e.constructor.name === 'DatabaseError'
  );
}

/**
 * MikroORM's message is `<statement with values inlined> - <PostgreSQL's message>`: keep the statement's
 * shape with every quoted literal replaced by '?', drop PostgreSQL's message (it quotes values).
 */
function maskedStatement(message: string): string | null {
  const masked = message.replace(/'(?:[^']|'')*'/g, "'?'");
  const cut = masked.lastIndexOf(' - ');
  if (cut <= 0) return null;
  return masked.slice(0, cut).slice(0, 2000);
}
