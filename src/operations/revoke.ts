import { requestOf } from '../context';
import type { Visitor } from '../data/models';
import type { Runtime } from '../runtime';
import { requireManagedPass, userIdOf } from './manage';

/** Deactivates a pass: its link stops working, every session holding it ends on its next request, its sockets close now. */
export async function revokeVisitorPass(runtime: Runtime, context: any, id: string): Promise<Visitor> {
  const visitor = await requireManagedPass(runtime, context, id);
  if (!(await runtime.store(() => visitor.deactivate()))) return visitor;
  runtime.sockets.end(visitor.id, null, 'VISITOR_PASS_REVOKED');
  await runtime.log(visitor.id, 'REVOKED', requestOf(context)?.req);
  runtime.events.emit('revoked', { visitor, revokedBy: userIdOf(context) });
  return visitor;
}
