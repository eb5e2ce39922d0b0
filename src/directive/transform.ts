import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { isThenable } from '../fail-closed';
import type { FieldCheck } from './field-check';
import { RULES_EXTENSION, rulesForField, validateRules, type FieldRules } from './field-rules';

/** Wraps one resolver (or subscribe) with the rules' check; the sync path stays sync. */
function guard(rules: FieldRules, check: FieldCheck, resolve: GraphQLFieldResolver<unknown, unknown>): GraphQLFieldResolver<unknown, unknown> {
  return function visitorGuarded(source, args, context, info) {
    const verdict = check(context, rules);
    if (verdict === null) return resolve(source, args, context, info);
    if (isThenable(verdict)) {
      return verdict.then((denied) => {
        if (denied) throw denied;
        return resolve(source, args, context, info);
      });
    }
    throw verdict;
  };
}

/**
 * `pass.transform`: applies @visitor, @allowGuest and @registeredUser at schema-build time. Fields it does not
 * govern keep their original resolver (the same function); Subscription
 * fields are checked when subscribing. Bad uses throw here, at start-up.
 */
export function createTransform(check: FieldCheck, bypassNames: ReadonlySet<string>) {
  return function transform(schema: GraphQLSchema): GraphQLSchema {
    validateRules(schema, bypassNames);
    const subscriptionType = schema.getSubscriptionType()?.name;
    return mapSchema(schema, {
      [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
        const type = schema.getType(typeName);
        if (!isObjectType(type)) return fieldConfig;
        const rules = rulesForField(schema, type, fieldName, fieldConfig, bypassNames);
        if (!rules) return fieldConfig;
        const guarded = { ...fieldConfig, extensions: { ...fieldConfig.extensions, [RULES_EXTENSION]: rules } };
        if (typeName === subscriptionType && fieldConfig.subscribe) {
          return { ...guarded, subscribe: guard(rules, check, fieldConfig.subscribe) };
        }
        return { ...guarded, resolve: guard(rules, check, fieldConfig.resolve ?? defaultFieldResolver) };
      },
    });
  };
}
