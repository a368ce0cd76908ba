import { useEffect, useMemo, useState } from 'react';
import { Provider } from 'urql';
import { loadSession, saveSession, type Session } from './auth';
import { createApi } from './client';
import { CustomerPage } from './pages/Customer';
import { CustomersPage } from './pages/Customers';
import { SignIn } from './pages/SignIn';
import { Link, navigate, usePath } from './router';

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const path = usePath();
  const api = useMemo(() => (session ? createApi(session.token) : null), [session]);
  useEffect(() => () => api?.dispose(), [api]);

  const signIn = (s: Session) => {
    saveSession(s);
    setSession(s);
    navigate(s.kind === 'customer' ? `/customers/${s.customerId}` : '/');
  };
  const signOut = () => {
    saveSession(null);
    setSession(null);
    navigate('/');
  };

  if (!session || !api) return <SignIn onSignIn={signIn} />;

  const match = /^\/customers\/([^/]+)$/.exec(path);
  let page;
  if (session.kind === 'customer') {
    // a customer token opens its own customer, whatever the address says
    page = <CustomerPage id={session.customerId} session={session} />;
  } else if (match) {
    page = <CustomerPage id={decodeURIComponent(match[1]!)} session={session} />;
  } else {
    page = <CustomersPage />;
  }

  return (
    <Provider value={api.urql}>
      <header className="topbar">
        <Link to="/" className="brand">
          Drawdown
        </Link>
        <nav>
          {session.kind === 'admin' ? (
            <Link to="/">Customers</Link>
          ) : (
            <span className="muted">Your credits</span>
          )}
        </nav>
        <span className="who" data-testid="who">
          {session.kind === 'admin' ? 'Admin' : 'Customer view'}
        </span>
        <button className="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>{page}</main>
    </Provider>
  );
}
