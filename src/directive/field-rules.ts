import { getDirective } from '@graphql-tools/utils';
import { isInterfaceType, isObjectType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { readRule, ruleForField, type VisitorRule } from './visitor-rule';

/** Everything the directives ask of a caller for one field. */
export interface FieldRules {
  /** `@visitor(scope:, bypass:)`, or null. */
  visitor: VisitorRule | null;
  /** `@allowGuest`: an anonymous caller gets a guest first. */
  allowGuest: boolean;
  /** `@registeredUser`: host users only. */
  registeredUser: boolean;
}

/** The key under which a guarded field's rules are kept in its `extensions`. */
export const RULES_EXTENSION = 'visitorPassRules';

type DirectiveHolder = Parameters<typeof getDirective>[1];

interface CallerDirectives {
  allowGuest: boolean;
  registeredUser: boolean;
}

/** `@allowGuest` and `@registeredUser` on one field or type; both at once can never pass. */
function callerDirectives(schema: GraphQLSchema, holder: DirectiveHolder, where: string): CallerDirectives {
  const allowGuest = Boolean(getDirective(schema, holder, 'allowGuest')?.length);
  const registeredUser = Boolean(getDirective(schema, holder, 'registeredUser')?.length);
  if (allowGuest && registeredUser) {
    throw new Error(`graphql-visitor-pass: ${where} has both @allowGuest and @registeredUser; a guest could never pass. Keep one.`);
  }
  return { allowGuest, registeredUser };
}

/**
 * The rules that govern `typeName.fieldName`, or null when none do. A
 * field's own @allowGuest or @registeredUser takes the place of its type's.
 */
export function rulesForField(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  fieldName: string,
  field: DirectiveHolder,
  bypassNames: ReadonlySet<string>,
): FieldRules | null {
  const visitor = ruleForField(schema, type, fieldName, field, bypassNames);
  const own = callerDirectives(schema, field, `${type.name}.${fieldName}`);
  const onType = own.allowGuest || own.registeredUser ? own : callerDirectives(schema, type, type.name);
  if (!visitor && !onType.allowGuest && !onType.registeredUser) return null;
  return { visitor, ...onType };
}

/** Checks every use of the directives, including on types nothing maps, so mistakes fail at start-up. */
export function validateRules(schema: GraphQLSchema, bypassNames: ReadonlySet<string>): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
    readRule(schema, type, type.name, bypassNames);
    if (isObjectType(type)) callerDirectives(schema, type, type.name);
    for (const [name, field] of Object.entries(type.getFields())) {
      readRule(schema, field, `${type.name}.${name}`, bypassNames);
      callerDirectives(schema, field, `${type.name}.${name}`);
    }
  }
}
