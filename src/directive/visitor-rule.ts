import { getDirective } from '@graphql-tools/utils';
import type { GraphQLObjectType, GraphQLSchema } from 'graphql';

/** What `@visitor(scope:, bypass:)` asks of a caller. */
export interface VisitorRule {
  scope: string;
  bypass: string | null;
}

export const VISITOR_DIRECTIVE = 'visitor';

type DirectiveHolder = Parameters<typeof getDirective>[1];

/** The rule written on one field or type, checked: a non-empty scope and a registered bypass. */
export function readRule(schema: GraphQLSchema, holder: DirectiveHolder, where: string, bypassNames: ReadonlySet<string>): VisitorRule | null {
  const [args] = getDirective(schema, holder, VISITOR_DIRECTIVE) ?? [];
  if (!args) return null;
  const scope: unknown = args.scope;
  if (typeof scope !== 'string' || scope.trim() === '') {
    throw new Error(`graphql-visitor-pass: @visitor on ${where} needs a non-empty scope (use "*" for any visitor).`);
  }
  const bypass: unknown = args.bypass ?? null;
  if (bypass !== null && (typeof bypass !== 'string' || !bypassNames.has(bypass))) {
    const known = [...bypassNames].map((name) => `"${name}"`).join(', ') || 'none';
    throw new Error(
      `graphql-visitor-pass: @visitor on ${where} names bypass ${JSON.stringify(bypass)}, which the \`bypass\` option does not register (registered: ${known}).`,
    );
  }
  return { scope, bypass: bypass as string | null };
}

/**
 * The rule that governs `typeName.fieldName`, most specific first: the
 * field's own directive, the same field on an interface, the object type,
 * then an interface type (for the fields it declares).
 */
export function ruleForField(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  fieldName: string,
  field: DirectiveHolder,
  bypassNames: ReadonlySet<string>,
): VisitorRule | null {
  const own = readRule(schema, field, `${type.name}.${fieldName}`, bypassNames);
  if (own) return own;
  const interfaces = type.getInterfaces().filter((iface) => fieldName in iface.getFields());
  for (const iface of interfaces) {
    const rule = readRule(schema, iface.getFields()[fieldName], `${iface.name}.${fieldName}`, bypassNames);
    if (rule) return rule;
  }
  const onType = readRule(schema, type, type.name, bypassNames);
  if (onType) return onType;
  for (const iface of interfaces) {
    const rule = readRule(schema, iface, iface.name, bypassNames);
    if (rule) return rule;
  }
  return null;
}
