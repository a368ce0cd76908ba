import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  type ASTVisitor,
  type FieldNode,
  type GraphQLNamedType,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../modules/shared';

export interface QueryLimits {
  readonly maxDepth: number;
  readonly maxCost: number;
  readonly maxNodes: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
}

function limitError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/**
 * graphql-armor rules throw their rejection out of `validate` by default (and prefix it with "Syntax
 * Error:"); reporting it instead keeps every rule's finding in one validation result, with our code.
 */
const report = {
  propagateOnRejection: false,
  exposeLimits: true,
  onReject: [
    (ctx: ValidationContext | null, error: GraphQLError) =>
      ctx?.reportError(limitError(error.message.replace(/^Syntax Error: /, ''))),
  ],
};

/**
 * Upper bound on the objects an answer can hold. A paginated field (one taking `first`/`last`) returns
 * one connection whose lists (`edges`) hold `first`/`last` items when given as a literal, MAX_PAGE_SIZE
 * when given as a variable (not known while validating) and DEFAULT_PAGE_SIZE when absent; a connection
 * inside a connection multiplies. Other lists (a customer's subscriptions, a plan's rate cards) are small
 * domain lists and count as one. graphql-armor's cost multiplies only by a literal `first`/`last`, so it
 * costs a connection without them as one object while the server returns 20. Linear in the document: a
 * fragment is counted once per page size it is spread under, and that count reused at every spread.
 */
export function pageSizeRule(maxNodes: number): ValidationRule {
  return (ctx: ValidationContext): ASTVisitor => {
    const schema = ctx.getSchema();
    const fragmentCounts = new Map<string, number>();

    const pageSize = (field: FieldNode) => {
      const arg = field.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'last');
      if (!arg) return DEFAULT_PAGE_SIZE;
      if (arg.value.kind === Kind.INT) return Math.max(0, Math.min(Number(arg.value.value), MAX_PAGE_SIZE));
      return MAX_PAGE_SIZE;
    };

    /** Objects under one `type` selected with `set`; `page` is the item count of its lists, if paginated. */
    const count = (
      set: SelectionSetNode,
      type: GraphQLNamedType | undefined | null,
      page?: number,
    ): number => {
      let total = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if (!sel.selectionSet) continue;
          const def =
            type && (isObjectType(type) || isInterfaceType(type))
              ? type.getFields()[sel.name.value]
              : undefined;
          const paginated = def?.args.some((a) => a.name === 'first' || a.name === 'last') ?? false;
          const each =
            1 +
            count(
              sel.selectionSet,
              def ? getNamedType(def.type) : undefined,
              paginated ? pageSize(sel) : undefined,
            );
          const items = page !== undefined && def && isListType(getNullableType(def.type)) ? page : 1;
          total += items * each;
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          const cond = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
          total += count(sel.selectionSet, cond, page);
        } else {
          const key = `${sel.name.value}:${page ?? ''}`;
          let n = fragmentCounts.get(key);
          if (n === undefined) {
            const fragment = ctx.getFragment(sel.name.value);
            fragmentCounts.set(key, 0); // a cycle (reported by NoFragmentCycles) counts nothing
            n = fragment
              ? count(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), page)
              : 0;
            fragmentCounts.set(key, n);
          }
          total += n;
        }
        // past the limit the exact figure does not matter; stop before it grows past Number's range
        if (total > maxNodes) return total;
      }
      return total;
    };

    return {
      OperationDefinition(node) {
        const root =
          node.operation === 'query'
            ? schema.getQueryType()
            : node.operation === 'mutation'
              ? schema.getMutationType()
              : schema.getSubscriptionType();
        if (count(node.selectionSet, root) > maxNodes) {
          ctx.reportError(
            limitError(
              `Query cost exceeds the limit: the answer may hold more than ${maxNodes} objects ` +
                `(a connection without first/last returns ${DEFAULT_PAGE_SIZE}, ` +
                `with a variable page size up to ${MAX_PAGE_SIZE})`,
            ),
          );
        }
      },
    };
  };
}

/**
 * The query limits, applied by Apollo over HTTP and by graphql-ws (which does not run Apollo's rules).
 * Each counts fragments once per document, so a document of fragments spreading fragments costs time
 * linear in its size.
 */
export function limitRules(limits: QueryLimits): ValidationRule[] {
  return [
    // reported first: a document too big on several counts names its cost first
    // depth has its own limit: weigh every level alike, so the cost reads as the fields an answer may hold
    costLimitRule({ maxCost: limits.maxCost, depthCostFactor: 1, flattenFragments: true, ...report }),
    pageSizeRule(limits.maxNodes),
    maxDepthRule({ n: limits.maxDepth, flattenFragments: true, ...report }),
    maxAliasesRule({ n: limits.maxAliases, ...report }),
    maxDirectivesRule({ n: limits.maxDirectives, ...report }),
  ];
}
