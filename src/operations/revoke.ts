import { requestOf } from '../context';
import type { Visitor } from '../data/models';
import type { Runtime } from '../runtime';
import { requireManagedPass, userIdOf } from './manage';

/** Deactivates a pass: its link stops working and every session holding it ends on its next request. */
export async function revokeVisitorPass(runtime: Runtime, context: any, id: string): Promise<Visitor> {
  const visitor = await requireManagedPass(runtime, context, id);
  if (!(await runtime.store(() => visitor.deactivate()))) return visitor;
  await runtime.log(visitor.id, 'REVOKED', requestOf(context)?.req);
  runtime.events.emit('revoked', { visitor, revokedBy: userIdOf(context) });
  return visitor;
}
