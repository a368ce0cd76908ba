/** Who signed in: an admin key sees every customer; a customer token sees its own customer only. */
export type Session =
  { kind: 'admin'; token: string } | { kind: 'customer'; token: string; customerId: string };

const KEY = 'drawdown.session';

/**
 * The customer id inside a customer token (`ddc1.<base64url JSON {c, e}>.<signature>`), or null for any
 * other value. Only the server checks the signature; the id tells the dashboard which page to open.
 */
export function customerOfToken(token: string): string | null {
  const m = /^ddc1\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+$/.exec(token.trim());
  if (!m) return null;
  try {
    const json = atob(m[1]!.replace(/-/g, '+').replace(/_/g, '/'));
    const payload = JSON.parse(json) as { c?: unknown };
    return typeof payload.c === 'string' ? payload.c : null;
  } catch {
    return null;
  }
}

/** Kept for the browser tab only (sessionStorage): closing the tab signs out. */
export function loadSession(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    return s && typeof s.token === 'string' ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}
