import {
  BREAK,
  GraphQLError,
  visit,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

type Fragments = Record<string, FragmentDefinitionNode>;

function fragmentsOf(ctx: ValidationContext): Fragments {
  const out: Fragments = {};
  for (const def of ctx.getDocument().definitions)
    if (def.kind === Kind.FRAGMENT_DEFINITION) out[def.name.value] = def;
  return out;
}

function limitError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** The standard introspection query nests `ofType` deeply; its subtree gets its own, fixed bound. */
const INTROSPECTION_MAX_DEPTH = 16;

/**
 * Depth of the deepest field path (fragments inlined). A `__schema`/`__type` subtree counts as depth 1 here
 * when it stays within INTROSPECTION_MAX_DEPTH, and as too deep otherwise.
 */
function depthOf(set: SelectionSetNode, fragments: Fragments, seen: Set<string>): number {
  let max = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      let d = sel.selectionSet ? 1 + depthOf(sel.selectionSet, fragments, seen) : 1;
      if (sel.name.value.startsWith('__') && d <= INTROSPECTION_MAX_DEPTH) d = 1;
      if (d > max) max = d;
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      max = Math.max(max, depthOf(sel.selectionSet, fragments, seen));
    } else {
      const f = fragments[sel.name.value];
      if (!f || seen.has(f.name.value)) continue;
      seen.add(f.name.value);
      max = Math.max(max, depthOf(f.selectionSet, fragments, seen));
      seen.delete(f.name.value);
    }
  }
  return max;
}

export function depthLimitRule(maxDepth: number): ValidationRule {
  return (ctx: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const depth = depthOf(node.selectionSet, fragmentsOf(ctx), new Set());
      if (depth > maxDepth) {
        ctx.reportError(limitError(`Query depth ${depth} exceeds the limit of ${maxDepth}`));
      }
    },
  });
}

/**
 * Cost: every field (alias included) costs 1; a field with `first`/`last` multiplies the cost of what is
 * under it by that page size (default 20), so wide and deep list nesting are both bounded. Counting stops
 * as soon as the limit is passed so a hostile document cannot make validation itself expensive.
 */
export function costLimitRule(maxCost: number, maxFields: number): ValidationRule {
  return (ctx: ValidationContext): ASTVisitor => ({
    Document(doc) {
      // aliases make a short document wide: bound the field selections written in it, whatever they cost
      let fields = 0;
      visit(doc, {
        Field() {
          fields++;
          if (fields > maxFields) return BREAK;
          return undefined;
        },
      });
      if (fields > maxFields)
        ctx.reportError(limitError(`Query cost exceeds the limit: more than ${maxFields} field selections`));
    },
    OperationDefinition(node) {
      const fragments = fragmentsOf(ctx);
      const cost = (set: SelectionSetNode, seen: Set<string>): number => {
        let total = 0;
        for (const sel of set.selections) {
          if (total > maxCost) return total;
          if (sel.kind === Kind.FIELD) {
            let inner = sel.selectionSet ? cost(sel.selectionSet, seen) : 0;
            const pageArg = sel.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'last');
            if (pageArg && inner > 0) {
              // a variable page size is not known at validation: count it at the maximum
              const size = pageArg.value.kind === Kind.INT ? Number(pageArg.value.value) : 100;
              inner *= Math.max(1, Math.min(size, 100));
            }
            total += 1 + inner;
          } else if (sel.kind === Kind.INLINE_FRAGMENT) {
            total += cost(sel.selectionSet, seen);
          } else {
            const f = fragments[sel.name.value];
            if (!f || seen.has(f.name.value)) continue;
            seen.add(f.name.value);
            total += cost(f.selectionSet, seen);
            seen.delete(f.name.value);
          }
        }
        return total;
      };
      const total = cost(node.selectionSet, new Set());
      if (total > maxCost) ctx.reportError(limitError(`Query cost exceeds the limit of ${maxCost}`));
    },
  });
}
