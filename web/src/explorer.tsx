import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { GraphiQL } from 'graphiql';
import { getOperationAST, parse } from 'graphql';
import { createClient } from 'graphql-ws';
import type { ComponentProps } from 'react';
import { createRoot } from 'react-dom/client';

type Fetcher = ComponentProps<typeof GraphiQL>['fetcher'];

/** What the server put into the page: the admin key's header for a loopback browser, nothing otherwise. */
interface Settings {
  headers?: Record<string, string>;
}
const settings = JSON.parse(document.getElementById('drawdown-explorer')?.textContent || '{}') as Settings;
const http = new URL('/graphql', window.location.href).toString();
const ws = http.replace(/^http/, 'ws');

function isSubscription(query: string, operationName?: string | null): boolean {
  try {
    return getOperationAST(parse(query), operationName ?? undefined)?.operation === 'subscription';
  } catch {
    return false; // the server answers the syntax error
  }
}

/** Queries and mutations over HTTP; subscriptions over graphql-ws, with the headers of the editor. */
const fetcher: Fetcher = async (params, opts) => {
  const headers = { ...(opts?.headers ?? {}) } as Record<string, string>;
  if (isSubscription(params.query, params.operationName)) {
    const auth = headers.Authorization ?? headers.authorization;
    const client = createClient({
      url: ws,
      connectionParams: auth ? { authorization: auth } : {},
      lazy: true,
    });
    return client.iterate({
      query: params.query,
      variables: params.variables,
      operationName: params.operationName ?? undefined,
    });
  }
  const res = await fetch(http, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(params),
  });
  return res.json();
};

const defaultQuery = `# Drawdown's GraphQL explorer, served by Drawdown itself (it works offline).
# Send "Authorization": "Bearer <admin key or customer token>" in the Headers tab.
query Customers {
  customers(first: 10) {
    edges {
      node {
        id
        key
        name
        creditBalances {
          currency { code }
          settled
          pending
        }
      }
    }
  }
}
`;

createRoot(document.getElementById('explorer')!).render(
  <GraphiQL
    fetcher={fetcher}
    defaultQuery={defaultQuery}
    initialHeaders={settings.headers ? JSON.stringify(settings.headers, null, 2) : undefined}
    defaultEditorToolsVisibility={settings.headers ? 'headers' : false}
    shouldPersistHeaders={false}
  />,
);
