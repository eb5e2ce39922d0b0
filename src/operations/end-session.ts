import { httpRequestOf } from '../context';
import type { Runtime } from '../runtime';
import type { VisitorPasses } from '../request/visitor-passes';

/**
 * Ends the caller's visitor session (stash cleared, session id rotated, other
 * session data kept); with `deactivate`, the pass stops working everywhere.
 * False when the caller was no visitor.
 */
export async function endVisitorSession(
  runtime: Runtime,
  passes: VisitorPasses,
  context: any,
  { deactivate = false }: { deactivate?: boolean | null } = {},
): Promise<boolean> {
  const request = httpRequestOf(context);
  const visitor = context?.visitor;
  if (!request || !visitor) return false;
  if (deactivate) {
    await runtime.store(() => visitor.deactivate());
    runtime.sockets.end(visitor.id, null, 'VISITOR_PASS_REVOKED');
  }
  await passes.end(request.req);
  await runtime.log(visitor.id, 'ENDED', request.req, { reason: deactivate ? 'DEACTIVATED' : null });
  runtime.events.emit('ended', { visitor, deactivated: Boolean(deactivate) });
  context.visitor = null;
  context.isVisitor = false;
  return true;
}
