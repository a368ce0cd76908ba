import { useState } from 'react';

/**
 * Forward paging over a Relay connection (first/after): the cursor of the page shown, and the cursors of
 * the pages before it, so "Previous" goes back without asking the server for `last`/`before`.
 */
export function useForwardPages() {
  const [after, setAfter] = useState<string | null>(null);
  const [trail, setTrail] = useState<(string | null)[]>([]);
  return {
    after,
    trail,
    reset() {
      setTrail([]);
      setAfter(null);
    },
    previous() {
      setAfter(trail[trail.length - 1] ?? null);
      setTrail(trail.slice(0, -1));
    },
    next(endCursor: string | null | undefined) {
      setTrail([...trail, after]);
      setAfter(endCursor ?? null);
    },
  };
}

type ForwardPages = ReturnType<typeof useForwardPages>;

/** The Previous / Next buttons of `useForwardPages`, with the page number when asked for. */
export function ForwardPager({
  pages,
  pageInfo,
  showNumber = false,
}: {
  pages: ForwardPages;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null } | undefined;
  showNumber?: boolean;
}) {
  return (
    <div className="pager">
      <button disabled={pages.trail.length === 0} onClick={pages.previous}>
        ← Previous
      </button>
      {showNumber && <span className="muted">Page {pages.trail.length + 1}</span>}
      <button disabled={!pageInfo?.hasNextPage} onClick={() => pages.next(pageInfo?.endCursor)}>
        Next →
      </button>
    </div>
  );
}
