import type { GraphQLError } from 'graphql';
import type { Bypasses } from '../bypasses';
import { requestOf } from '../context';
import { VisitorPassError } from '../errors';
import { isThenable } from '../fail-closed';
import type { VisitorRule } from './visitor-rule';

/** null: allowed. An error: denied with that error (its code). */
export type Verdict = GraphQLError | null;

/**
 * Decides one rule for one request. Synchronous unless a bypass is async;
 * bypasses run once per request, so a list of 1,000 guarded objects costs
 * one call, and a bypass that throws or rejects denies (fail closed).
 */
export function createVisitorCheck(bypasses: Bypasses) {
  function denial(context: { visitor?: unknown } | undefined): VisitorPassError {
    if (context?.visitor) return new VisitorPassError('VISITOR_SCOPE_DENIED');
    return requestOf(context)?.state.sessionError ?? new VisitorPassError('VISITOR_REQUIRED');
  }

  return function checkVisitor(context: any, rule: VisitorRule): Verdict | Promise<Verdict> {
    const visitor = context?.visitor as { scope?: string } | null | undefined;
    if (visitor && (rule.scope === '*' || visitor.scope === rule.scope)) return null;
    if (rule.bypass === null || context === null || typeof context !== 'object') return denial(context);
    const outcome = bypasses.passes(rule.bypass, context);
    if (isThenable<boolean>(outcome)) return outcome.then((passed) => (passed ? null : denial(context)));
    return outcome ? null : denial(context);
  };
}

export type VisitorCheck = ReturnType<typeof createVisitorCheck>;
