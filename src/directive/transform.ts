import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { isThenable } from '../fail-closed';
import type { VisitorCheck } from './visitor-check';
import { RULE_EXTENSION, ruleForField, validateRules, type VisitorRule } from './visitor-rule';

/** Wraps one resolver (or subscribe) with the rule's check; the sync path stays sync. */
function guard(rule: VisitorRule, check: VisitorCheck, resolve: GraphQLFieldResolver<unknown, unknown>): GraphQLFieldResolver<unknown, unknown> {
  return function visitorGuarded(source, args, context, info) {
    const verdict = check(context, rule);
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
 * `pass.transform`: applies @visitor at schema-build time. Fields it does not
 * govern keep their original resolver (the same function); Subscription
 * fields are checked when subscribing. Bad uses throw here, at start-up.
 */
export function createTransform(check: VisitorCheck, bypassNames: ReadonlySet<string>) {
  return function transform(schema: GraphQLSchema): GraphQLSchema {
    validateRules(schema, bypassNames);
    const subscriptionType = schema.getSubscriptionType()?.name;
    return mapSchema(schema, {
      [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
        const type = schema.getType(typeName);
        if (!isObjectType(type)) return fieldConfig;
        const rule = ruleForField(schema, type, fieldName, fieldConfig, bypassNames);
        if (!rule) return fieldConfig;
        const guarded = { ...fieldConfig, extensions: { ...fieldConfig.extensions, [RULE_EXTENSION]: rule } };
        if (typeName === subscriptionType && fieldConfig.subscribe) {
          return { ...guarded, subscribe: guard(rule, check, fieldConfig.subscribe) };
        }
        return { ...guarded, resolve: guard(rule, check, fieldConfig.resolve ?? defaultFieldResolver) };
      },
    });
  };
}
