import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { DashboardCustomersDocument } from '../gql/graphql';
import { day } from '../format';
import { Link } from '../router';

const PAGE = 20;

/** Admin only: every customer, newest first, searched by key, name or email, a page at a time. */
export function CustomersPage() {
  const [input, setInput] = useState('');
  const [search, setSearch] = useState('');
  // cursors of the pages before this one: "Previous" pops one
  const [trail, setTrail] = useState<(string | null)[]>([]);
  const [after, setAfter] = useState<string | null>(null);

  useEffect(() => {
    const t = setTimeout(() => {
      setSearch(input.trim());
      setTrail([]);
      setAfter(null);
    }, 250);
    return () => clearTimeout(t);
  }, [input]);

  const [{ data, fetching, error }] = useQuery({
    query: DashboardCustomersDocument,
    variables: { search: search || null, first: PAGE, after },
  });
  const page = data?.customers;

  return (
    <section>
      <div className="page-head">
        <h1>Customers</h1>
        <input
          className="search"
          type="search"
          placeholder="Search key, name or email"
          aria-label="Search customers"
          value={input}
          onChange={(e) => setInput(e.target.value)}
        />
      </div>
      {error && <p className="error-box">{error.message}</p>}
      <div className="card flush">
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Key</th>
              <th>Email</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {page?.edges.map(({ node }) => (
              <tr key={node.id}>
                <td>
                  <Link to={`/customers/${node.id}`}>{node.name}</Link>
                </td>
                <td className="mono">{node.key}</td>
                <td>{node.email ?? '—'}</td>
                <td>{day(node.createdAt)}</td>
              </tr>
            ))}
            {page && page.edges.length === 0 && (
              <tr>
                <td colSpan={4} className="empty">
                  {search ? `No customer matches “${search}”.` : 'No customers yet.'}
                </td>
              </tr>
            )}
            {!page && fetching && (
              <tr>
                <td colSpan={4} className="empty">
                  Loading…
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <div className="pager">
        <button
          disabled={trail.length === 0}
          onClick={() => {
            setAfter(trail[trail.length - 1] ?? null);
            setTrail(trail.slice(0, -1));
          }}
        >
          ← Previous
        </button>
        <span className="muted">Page {trail.length + 1}</span>
        <button
          disabled={!page?.pageInfo.hasNextPage}
          onClick={() => {
            setTrail([...trail, after]);
            setAfter(page?.pageInfo.endCursor ?? null);
          }}
        >
          Next →
        </button>
      </div>
    </section>
  );
}
