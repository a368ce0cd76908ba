import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  getNamedType,
  isInterfaceType,
  isObjectType,
  type ASTVisitor,
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
 * Upper bound on the objects a query can return: a paginated field (one with a `first` argument) returns
 * `first`/`last` items when given as a literal, MAX_PAGE_SIZE when given as a variable (not known while
 * validating) and DEFAULT_PAGE_SIZE when absent; a nested connection multiplies. graphql-armor's cost
 * limit multiplies only by literal `first`/`last`, so it costs a connection without them as one object
 * while the server returns 20 of them. Linear in the document: each fragment is counted once and its
 * count reused at every spread.
 */
export function pageSizeRule(maxNodes: number): ValidationRule {
  return (ctx: ValidationContext): ASTVisitor => {
    const schema = ctx.getSchema();
    const fragmentCounts = new Map<string, number>();

    const pageSize = (
      args: readonly { name: { value: string }; value: { kind: Kind; value?: unknown } }[],
    ) => {
      const arg = args.find((a) => a.name.value === 'first' || a.name.value === 'last');
      if (!arg) return DEFAULT_PAGE_SIZE;
      if (arg.value.kind === Kind.INT) return Math.max(0, Math.min(Number(arg.value.value), MAX_PAGE_SIZE));
      return MAX_PAGE_SIZE;
    };

    // objects returned under one instance of `type` selected with `set`
    const count = (set: SelectionSetNode, type: GraphQLNamedType | undefined | null): number => {
      let total = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if (!sel.selectionSet) continue;
          const def =
            type && (isObjectType(type) || isInterfaceType(type))
              ? type.getFields()[sel.name.value]
              : undefined;
          const inner = 1 + count(sel.selectionSet, def ? getNamedType(def.type) : undefined);
          const paginated = def?.args.some((a) => a.name === 'first' || a.name === 'last') ?? false;
          total += paginated ? pageSize(sel.arguments ?? []) * inner : inner;
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          const cond = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
          total += count(sel.selectionSet, cond);
        } else {
          const name = sel.name.value;
          let n = fragmentCounts.get(name);
          if (n === undefined) {
            const fragment = ctx.getFragment(name);
            fragmentCounts.set(name, 0); // a cycle (reported by NoFragmentCycles) counts nothing
            n = fragment
              ? count(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value))
              : 0;
            fragmentCounts.set(name, n);
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
        const nodes = count(node.selectionSet, root);
        if (nodes > maxNodes) {
          ctx.reportError(
            limitError(
              `Query cost exceeds the limit: it may return more than ${maxNodes} objects ` +
                `(a connection without first/last returns ${DEFAULT_PAGE_SIZE}, with a variable up to ${MAX_PAGE_SIZE})`,
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
