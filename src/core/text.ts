/**
 * Text PostgreSQL cannot store: a NUL character (`text` and `jsonb` refuse U+0000) or an unpaired UTF-16
 * surrogate (not Unicode at all; `jsonb` refuses its escape, `text` would silently get U+FFFD).
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function isUnstorableText(s: string): boolean {
  return s.includes('\u0000') || LONE_SURROGATE.test(s);
}

export const UNSTORABLE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** Where `findUnstorableText` found a problem: a path such as `input.metadata.tags[2]`. */
export interface TextProblem {
  path: string;
  /** `text`: a string or an object key holds NUL or a lone surrogate; `depth`: nested deeper than allowed. */
  kind: 'text' | 'depth';
}

const isPlainContainer = (v: unknown): v is Record<string, unknown> | unknown[] =>
  typeof v === 'object' && v !== null && !(v instanceof Date);

/**
 * The first string or object key in `value` (any JSON-like structure: arguments, input objects, JSON
 * scalars) that PostgreSQL cannot store, or the first place nested deeper than `maxDepth`. Iterative, so a
 * value nested 200,000 levels deep costs time linear in its size and never overflows the stack.
 */
export function findUnstorableText(
  value: unknown,
  root: string,
  maxDepth = Number.POSITIVE_INFINITY,
): TextProblem | null {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: root, depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (isUnstorableText(v)) return { path, kind: 'text' };
      continue;
    }
    if (!isPlainContainer(v)) continue;
    if (depth >= maxDepth) return { path, kind: 'depth' };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({ v: v[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      if (isUnstorableText(k)) return { path: `${path} (a key)`, kind: 'text' };
      stack.push({ v: v[k], path: `${path}.${k.length > 40 ? `${k.slice(0, 40)}…` : k}`, depth: depth + 1 });
    }
  }
  return null;
}
