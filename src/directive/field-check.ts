import { GraphQLError } from 'graphql';
import { requestOf } from '../context';
import { VisitorPassError } from '../errors';
import type { Guests } from '../guests/guests';
import type { ResolvedOptions } from '../options';
import type { FieldRules } from './field-rules';
import type { Verdict, VisitorCheck } from './visitor-check';

/**
 * `@registeredUser`: host users pass (even while also holding a visitor
 * session); a visitor or guest is told to sign up, anyone else to log in.
 */
function registeredUserVerdict(context: any, { loginUrl, guests }: Pick<ResolvedOptions, 'loginUrl' | 'guests'>): Verdict {
  if (requestOf(context)?.state.hostUser) return null;
  if (context?.visitor) {
    return new VisitorPassError('REGISTRATION_REQUIRED', undefined, guests.convertUrl ? { convertUrl: guests.convertUrl } : {});
  }
  return new VisitorPassError('LOGIN_REQUIRED', undefined, loginUrl ? { loginUrl } : {});
}

/** A guest refused (rate limit, verification) is that field's verdict; anything else is a fault. */
function refusal(error: unknown): Verdict {
  if (error instanceof GraphQLError) return error;
  throw error;
}

/**
 * Decides a field's rules for one request, in order: admit a guest
 * (@allowGuest), then @registeredUser, then @visitor. Synchronous whenever
 * no guest has to be created and no bypass is async.
 */
export function createFieldCheck(checkVisitor: VisitorCheck, guests: Guests, options: Pick<ResolvedOptions, 'loginUrl' | 'guests'>) {
  function checkCaller(context: any, rules: FieldRules): Verdict | Promise<Verdict> {
    if (rules.registeredUser) {
      const verdict = registeredUserVerdict(context, options);
      if (verdict) return verdict;
    }
    return rules.visitor ? checkVisitor(context, rules.visitor) : null;
  }

  return function checkField(context: any, rules: FieldRules): Verdict | Promise<Verdict> {
    if (!rules.allowGuest) return checkCaller(context, rules);
    const admitting = guests.admit(context);
    if (!admitting) return checkCaller(context, rules);
    return admitting.then(() => checkCaller(context, rules), refusal);
  };
}

export type FieldCheck = ReturnType<typeof createFieldCheck>;
