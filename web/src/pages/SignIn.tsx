import { useState, type FormEvent } from 'react';
import { customerOfToken, type Session } from '../auth';
import { httpUrl } from '../client';

/**
 * One field for an admin API key or a customer token (what a vendor embeds for its customers). The value
 * is checked against the API before the dashboard opens; a customer token opens that customer only.
 */
export function SignIn({ onSignIn }: { onSignIn(s: Session): void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) return setError('Enter an admin key or a customer token');
    setBusy(true);
    setError(null);
    const customerId = customerOfToken(value);
    const query = customerId
      ? {
          query: 'query SignInCustomer($id: ID!) { customer(id: $id) { id } }',
          variables: { id: customerId },
        }
      : { query: 'query SignInAdmin { customers(first: 1) { edges { cursor } } }' };
    try {
      const res = await fetch(httpUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${value}` },
        body: JSON.stringify(query),
      });
      const body = (await res.json()) as { data?: unknown; errors?: { message: string }[] };
      if (body.errors?.length) {
        setError(body.errors[0]!.message);
      } else if (customerId) {
        onSignIn({ kind: 'customer', token: value, customerId });
      } else {
        onSignIn({ kind: 'admin', token: value });
      }
    } catch (err) {
      setError(`Cannot reach the API: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="signin">
      <form className="card" onSubmit={submit}>
        <h1>Drawdown</h1>
        <p className="muted">
          Sign in with an admin API key, or with a customer token for that customer's own view.
        </p>
        <label htmlFor="token">Admin key or customer token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'token-error' : undefined}
          autoFocus
        />
        {error && (
          <p className="field-error" id="token-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
