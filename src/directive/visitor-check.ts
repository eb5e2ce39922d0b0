import { VisitorPassError } from '../errors';
import { requestOf } from '../context';
import type { BypassFunction } from '../options';
import type { VisitorRule } from './visitor-rule';

/** null: allowed. An error: denied with that code. */
export type Verdict = VisitorPassError | null;

function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}

/**
 * Decides one rule for one request. Synchronous unless a bypass is async;
 * a bypass outcome is cached per request so a list of 1,000 guarded objects
 * runs it once. A bypass that throws or rejects denies (fail closed).
 */
export function createVisitorCheck(bypass: Record<string, BypassFunction>) {
  const bypassOutcomes = new WeakMap<object, Map<string, boolean | Promise<boolean>>>();

  function runBypass(name: string, context: object): boolean | Promise<boolean> {
    let outcomes = bypassOutcomes.get(context);
    if (!outcomes) bypassOutcomes.set(context, (outcomes = new Map()));
    let outcome = outcomes.get(name);
    if (outcome === undefined) {
      try {
        const result = bypass[name](context);
        outcome = isThenable(result) ? Promise.resolve(result).then((value) => value === true, () => false) : result === true;
      } catch {
        outcome = false;
      }
      outcomes.set(name, outcome);
    }
    return outcome;
  }

  function denial(context: { visitor?: unknown } | undefined): VisitorPassError {
    if (context?.visitor) return new VisitorPassError('VISITOR_SCOPE_DENIED');
    return requestOf(context)?.state.sessionError ?? new VisitorPassError('VISITOR_REQUIRED');
  }

  return function checkVisitor(context: any, rule: VisitorRule): Verdict | Promise<Verdict> {
    const visitor = context?.visitor as { scope?: string } | null | undefined;
    if (visitor && (rule.scope === '*' || visitor.scope === rule.scope)) return null;
    if (rule.bypass === null || context === null || typeof context !== 'object') return denial(context);
    const outcome = runBypass(rule.bypass, context);
    if (isThenable<boolean>(outcome)) return outcome.then((passed) => (passed ? null : denial(context)));
    return outcome ? null : denial(context);
  };
}

export type VisitorCheck = ReturnType<typeof createVisitorCheck>;
export { isThenable };
