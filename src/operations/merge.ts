import { httpRequestOf } from '../context';
import type { Visitor } from '../data/models';
import type { VisitorPasses } from '../request/visitor-passes';
import type { Runtime } from '../runtime';
import { hostUserId, recordConversion } from './record-conversion';

/**
 * `pass.mergeVisitorInto`, for the host's login resolver: a visitor or guest
 * who logs into an existing account hands over what they did (the `merged`
 * listeners move it, awaited), then the pass ends and leaves the session.
 * Null when the caller was no visitor, or its pass had already ended.
 */
export async function mergeVisitorInto(runtime: Runtime, passes: VisitorPasses, context: any, userId: string | number): Promise<Visitor | null> {
  const request = httpRequestOf(context);
  const visitor: Visitor | null = context?.visitor ?? null;
  if (!request || !visitor) return null;
  const id = hostUserId(userId, 'mergeVisitorInto(context, userId)');
  // A pass that ended since this request began (converted, revoked) hands nothing over.
  const current = await runtime.store(() => runtime.models.Visitor.findByPk(visitor.id));
  if (current?.isActive && !current.convertedAt) {
    await runtime.events.emitAndWait('merged', { visitor: current, userId: id });
    await recordConversion(runtime, current, id, 'MERGED', request.req);
  }
  await passes.end(request.req);
  context.visitor = null;
  context.isVisitor = false;
  return current?.convertedUserId === id ? current : null;
}
