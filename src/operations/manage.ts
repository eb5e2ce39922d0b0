import { passIdFrom, type Visitor } from '../data/models';
import { VisitorPassError } from '../errors';
import type { Runtime } from '../runtime';

/** The id of the host's logged-in user on this context, as stored in `invitedBy`. */
export function userIdOf(context: any): string | null {
  const id = context?.user?.id;
  return id === undefined || id === null || id === '' ? null : String(id);
}

/** The inviter, or a caller who passes any configured bypass, may see and manage a pass. */
export async function canManage(runtime: Runtime, context: unknown, visitor: Visitor): Promise<boolean> {
  const userId = userIdOf(context);
  if (userId !== null && visitor.invitedBy === userId) return true;
  return runtime.bypasses.passesAny(context);
}

/** The pass with this id if the caller may manage it; null otherwise (no hint whether it exists). */
export async function findManagedPass(runtime: Runtime, context: unknown, given: string): Promise<Visitor | null> {
  const id = passIdFrom(given);
  if (!id) return null;
  const visitor = await runtime.store(() => runtime.models.Visitor.findByPk(id));
  if (!visitor || !(await canManage(runtime, context, visitor))) return null;
  return visitor;
}

export async function requireManagedPass(runtime: Runtime, context: unknown, id: string): Promise<Visitor> {
  const visitor = await findManagedPass(runtime, context, id);
  if (!visitor) throw new VisitorPassError('VISITOR_PASS_NOT_FOUND', 'No visitor pass with this id that you may manage.');
  return visitor;
}
