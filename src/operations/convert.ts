import { httpRequestOf } from '../context';
import type { Visitor } from '../data/models';
import { VisitorPassError } from '../errors';
import { KeyedQueue } from '../keyed-queue';
import type { VisitorPasses } from '../request/visitor-passes';
import type { Runtime } from '../runtime';
import { hostUserId, recordConversion } from './record-conversion';

export interface ConvertVisitorResult {
  userId: string;
  visitor: Visitor;
}

/**
 * `convertVisitor`: the host's `guests.convert` creates the account, then
 * the pass records whom it became and ends, the session gets a new id
 * without the visitor, and `guests.login` signs the person in. Conversions
 * of one pass run one after another, so a double submit creates one account.
 */
export function createConvertVisitor(runtime: Runtime, passes: VisitorPasses) {
  const perPass = new KeyedQueue();

  return async function convertVisitor(context: any, input: unknown): Promise<ConvertVisitorResult> {
    const request = httpRequestOf(context);
    if (!request) throw new Error('graphql-visitor-pass: convertVisitor needs an HTTP request with pass.context() in its context (not a WebSocket).');
    const caller: Visitor | null = context.visitor ?? null;
    // A session whose pass just ended (converted elsewhere, revoked) says why.
    if (!caller) throw request.state.sessionError ?? new VisitorPassError('NOT_A_VISITOR');
    const { convert, login } = runtime.options.guests;
    if (!convert) throw new Error('graphql-visitor-pass: convertVisitor needs the `guests.convert` option to create the account.');

    return perPass.run(caller.id, async () => {
      const visitor = await runtime.store(() => runtime.models.Visitor.findByPk(caller.id));
      if (!visitor || !visitor.isActive || visitor.convertedAt) throw new VisitorPassError('VISITOR_PASS_REVOKED');
      const userId = hostUserId(await convert(visitor, input ?? null, context), 'guests.convert');
      if (!(await recordConversion(runtime, visitor, userId, 'CONVERTED', request.req))) {
        throw new VisitorPassError('VISITOR_PASS_REVOKED');
      }
      await passes.end(request.req);
      context.visitor = null;
      context.isVisitor = false;
      await login?.(context, userId);
      runtime.events.emit('converted', { visitor, userId });
      return { userId, visitor };
    });
  };
}
