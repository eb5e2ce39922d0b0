import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { httpRequestOf } from './context';
import { VisitorPassError } from './errors';
import type { Resolvers } from './generated/graphql';
import { guestExpiresAt } from './guests/guest-expiry';
import type { createConvertVisitor } from './operations/convert';
import { endVisitorSession } from './operations/end-session';
import { inviteVisitor } from './operations/invite';
import { canManage, findManagedPass } from './operations/manage';
import { reissueVisitorPass } from './operations/reissue';
import { revokeVisitorPass } from './operations/revoke';
import type { Tickets } from './realtime/tickets';
import type { VisitorPasses } from './request/visitor-passes';
import type { Runtime } from './runtime';

const MAX_VISITS = 500;

/** Resolvers for schema/visitor-pass.graphql. */
export function createResolvers(
  runtime: Runtime,
  passes: VisitorPasses,
  convertVisitor: ReturnType<typeof createConvertVisitor>,
  tickets: Tickets,
): Resolvers {
  const { guests } = runtime.options;
  return {
    DateTime: DateTimeResolver,
    JSON: JSONResolver,
    Query: {
      currentVisitor: (_source, _args, context) => context.visitor ?? null,
      visitorPass: (_source, { id }, context) => findManagedPass(runtime, context, id),
    },
    Mutation: {
      inviteVisitor: (_source, { input }, context) => inviteVisitor(runtime, context, input),
      async redeemVisitorPass(_source, { token }, context) {
        const request = httpRequestOf(context);
        if (!request) throw new Error('graphql-visitor-pass: redeemVisitorPass needs an HTTP request with pass.context() in its context.');
        const visitor = await passes.redeem(request.req, token);
        context.visitor = visitor;
        context.isVisitor = true;
        return visitor;
      },
      endVisitorSession: (_source, { deactivate }, context) => endVisitorSession(runtime, passes, context, { deactivate }),
      revokeVisitorPass: (_source, { id }, context) => revokeVisitorPass(runtime, context, id),
      reissueVisitorPass: (_source, { id, expiresIn }, context) => reissueVisitorPass(runtime, context, id, expiresIn),
      convertVisitor: (_source, { input }, context) => convertVisitor(context, input),
      async issueRealtimeTicket(_source, _args, context) {
        const request = httpRequestOf(context);
        if (!request) throw new VisitorPassError('REALTIME_TICKET_FORBIDDEN', 'Realtime tickets are issued over HTTP, to a session.');
        // The context's visitor, not the state's: a guest created earlier in this request counts.
        const state = { ...request.state, visitor: context.visitor ?? null };
        return tickets.issueFor(request.req, state);
      },
    },
    Visitor: {
      kind: (visitor) => visitor.kind,
      fullName: (visitor) => visitor.fullName,
      expiresAt: (visitor) => (visitor.kind === 'GUEST' ? guestExpiresAt(visitor, guests) : visitor.expiresAt),
      isValid: (visitor) => (visitor.kind === 'GUEST' ? visitor.isActive && guestExpiresAt(visitor, guests) > new Date() : visitor.isValidAt()),
      async visits(visitor, { limit }, context) {
        if (!(await canManage(runtime, context, visitor))) {
          throw new VisitorPassError('INVITE_FORBIDDEN', "Only the pass's inviter may see its visits.");
        }
        const take = limit ?? 50;
        if (!Number.isInteger(take) || take < 0) throw new VisitorPassError('BAD_USER_INPUT', 'limit must not be negative', { field: 'limit' });
        return runtime.store(() =>
          runtime.models.VisitorLog.findAll({
            where: { visitorId: visitor.id },
            order: [
              ['createdAt', 'DESC'],
              ['id', 'DESC'],
            ],
            limit: Math.min(take, MAX_VISITS),
          }),
        );
      },
    },
  };
}
