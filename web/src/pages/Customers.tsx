import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { DashboardCustomersDocument } from '../gql/graphql';
import { day } from '../format';
import { Link } from '../router';
import { ForwardPager, useForwardPages } from '../components/Pager';

const PAGE = 20;

/** Admin only: every customer, newest first, searched by key, name or email, a page at a time. */
export function CustomersPage() {
  const [input, setInput] = useState('');
  const [search, setSearch] = useState('');
  const pages = useForwardPages();
  const { reset } = pages;

  useEffect(() => {
    const t = setTimeout(() => {
      setSearch(input.trim());
      reset();
    }, 250);
    return () => clearTimeout(t);
  }, [input]);

  const [{ data, fetching, error }] = useQuery({
    query: DashboardCustomersDocument,
    variables: { search: search || null, first: PAGE, after: pages.after },
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
      <ForwardPager pages={pages} pageInfo={page?.pageInfo} showNumber />
    </section>
  );
}
