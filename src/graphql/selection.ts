import type { GraphQLResolveInfo, SelectionSetNode } from 'graphql';

const ID_ONLY = new Set(['id', '__typename']);

function onlyId(set: SelectionSetNode | undefined, info: GraphQLResolveInfo, depth: number): boolean {
  if (!set || depth > 8) return false;
  return set.selections.every((s) => {
    if (s.kind === 'Field') return ID_ONLY.has(s.name.value);
    if (s.kind === 'InlineFragment') return onlyId(s.selectionSet, info, depth + 1);
    const fragment = info.fragments[s.name.value];
    return !!fragment && onlyId(fragment.selectionSet, info, depth + 1);
  });
}

/**
 * Whether the client asked this object field for nothing but `id` (and `__typename`): a reference whose id
 * is already known (a foreign key) is then answered without loading the row. Directives count as "more"
 * only through their fields; `@include`/`@skip` on `id` do not change that the row is not needed.
 */
export function selectsOnlyId(info: GraphQLResolveInfo): boolean {
  return info.fieldNodes.every((n) => onlyId(n.selectionSet, info, 0));
}
