import { requestOf } from '../context';
import type { Runtime } from '../runtime';
import { createToken, hashToken } from '../token';
import { tokenise } from '../tokenise';
import type { VisitorInvitation } from './invite';
import { checkSeconds } from './invite-input';
import { requireManagedPass } from './manage';

/**
 * A new token for a pass: the old link stops working, the pass is active
 * again with a fresh expiry and its uses reset. Sessions ended by an earlier
 * revocation stay ended.
 */
export async function reissueVisitorPass(
  runtime: Runtime,
  context: unknown,
  id: string,
  expiresIn: number | null | undefined,
): Promise<VisitorInvitation> {
  const seconds = checkSeconds(expiresIn, 'expiresIn') ?? runtime.options.tokenExpiry;
  const visitor = await requireManagedPass(runtime, context, id);
  const token = createToken();
  await runtime.store(() =>
    visitor.update({
      tokenHash: hashToken(token),
      expiresAt: new Date(Date.now() + seconds * 1000),
      isActive: true,
      useCount: 0,
    }),
  );
  const link = tokenise(visitor.url ?? runtime.options.linkBaseUrl, runtime.options.querystringKey, token);
  await runtime.log(visitor.id, 'REISSUED', requestOf(context)?.req);
  runtime.events.emit('reissued', { visitor, link });
  return { visitor, link, token };
}
