import type { Visitor } from '../data/models';
import { VisitorPassError } from '../errors';
import { failClosed } from '../fail-closed';
import type { InviteVisitorInput } from '../options';
import type { Runtime } from '../runtime';
import { createToken, hashToken } from '../token';
import { tokenise } from '../tokenise';
import { checkInviteInput, resolvePageUrl } from './invite-input';
import { userIdOf } from './manage';

/** A new pass, its link and its token: the token is shown once and stored only as a hash. */
export interface VisitorInvitation {
  visitor: Visitor;
  link: string;
  token: string;
}

export async function inviteVisitor(runtime: Runtime, context: unknown, input: InviteVisitorInput): Promise<VisitorInvitation> {
  if (!(await failClosed(() => runtime.options.canInvite(context, input)))) throw new VisitorPassError('INVITE_FORBIDDEN');
  const checked = checkInviteInput(input);
  const { options, models } = runtime;
  const url = resolvePageUrl(checked.url, options.linkBaseUrl);
  const token = createToken();
  const invitedBy = userIdOf(context);
  const visitor = await runtime.store(() =>
    models.Visitor.create({
      kind: 'INVITED',
      firstName: checked.firstName ?? '',
      lastName: checked.lastName ?? '',
      email: checked.email,
      scope: checked.scope,
      context: checked.context ?? null,
      tokenHash: hashToken(token),
      invitedBy,
      url,
      expiresAt: new Date(Date.now() + (checked.expiresIn ?? options.tokenExpiry) * 1000),
      sessionExpiry: checked.sessionExpiry ?? options.sessionExpiry,
      maxUses: checked.maxUses ?? null,
      redeemedAt: null,
      lastSeenAt: null,
      revokedAt: null,
    }),
  );
  const link = tokenise(url, options.querystringKey, token);
  runtime.events.emit('invited', { visitor, link, invitedBy });
  return { visitor, link, token };
}
