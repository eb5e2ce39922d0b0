import type { Request } from 'express';
import { GraphQLError } from 'graphql';
import { rotateSession, type Visitor, type VisitorPass, type VisitorPassContext } from '../../src';
import type { GuestbookEntry, Reference, ReferenceModels, User } from './data';
import type { ReferenceEvent, ReferenceEventKind, ReferenceFeed } from './live';
import { DECOY_HASH, verifyPassword } from './passwords';

export const REFERENCE_SCOPE = 'REFERENCE_REQUEST';
const MAX_TEXT = 5000;
const MAX_GUESTBOOK_MESSAGE = 500;
const GUESTBOOK_PAGE = 50;
const MAX_PASS_LIST = 500;

/** The example's schema, beside the plugin's `pass.typeDefs`. */
export const referenceTypeDefs = /* GraphQL */ `
  type User {
    id: ID!
    email: String!
    name: String!
    isStaff: Boolean!
  }

  "What the visitor was invited for: who asked, what they said."
  type ReferenceRequest {
    requestedBy: User
    message: String
    visitorName: String!
    "The visitor's saved draft, to pick up where they left off."
    draft: Reference
  }

  enum ReferenceStatus {
    DRAFT
    SUBMITTED
  }

  type Reference {
    id: ID!
    text: String!
    "1 to 5; a draft may have none yet."
    rating: Int
    status: ReferenceStatus!
    visitorName: String!
    createdAt: DateTime!
  }

  "A line in the site's guestbook."
  type GuestbookEntry {
    id: ID!
    message: String!
    "Who signed: a user's name, an invited visitor's, or a guest's such as Guest 0427 until they sign up."
    authorName: String!
    createdAt: DateTime!
  }

  enum ReferenceEventKind {
    "The visitor opened the invitation link (redeemed it)."
    OPENED
    DRAFT_SAVED
    SUBMITTED
  }

  "Something a visitor did with a reference request, as it happens."
  type ReferenceEvent {
    event: ReferenceEventKind!
    visitorId: ID!
    visitorName: String!
    at: DateTime!
  }

  extend type Visitor {
    "Where the reference this visitor was asked for stands: DRAFT, SUBMITTED, or null before a first draft."
    referenceStatus: ReferenceStatus
    "The registered user who sent the invitation, if one did."
    invitedByUser: User
  }

  type Query {
    me: User
    """
    Invitation passes the logged-in user sent, newest first; with all: true (staff only, else FORBIDDEN),
    every invited pass. Guests are not listed. What a pass shows of its visits stays the inviter's or staff's.
    """
    visitorPasses(all: Boolean = false, limit: Int = 100): [Visitor!]! @registeredUser
    "The request the calling visitor was invited for; null for a bypassing staff member."
    referenceRequest: ReferenceRequest @visitor(scope: "${REFERENCE_SCOPE}", bypass: "staff")
    "Submitted references written for the logged-in user, newest first. A visitor or guest: REGISTRATION_REQUIRED; anyone else: LOGIN_REQUIRED."
    references: [Reference!]! @registeredUser
    "The guestbook, newest first (the last ${GUESTBOOK_PAGE} entries)."
    guestbook: [GuestbookEntry!]!
    "The entries the caller signed (the logged-in user's, else the visitor's or guest's), newest first; empty for anyone else. Reading makes no guest."
    myGuestbookEntries: [GuestbookEntry!]!
  }

  type Mutation {
    "The user, or null for a wrong email or password. A visitor or guest logging in keeps their guestbook entries."
    login(email: String!, password: String!): User
    logout: Boolean!
    saveReferenceDraft(text: String!): Reference! @visitor(scope: "${REFERENCE_SCOPE}")
    "The last step: stores the reference and ends the visitor's access."
    submitReference(text: String!, rating: Int!): Reference! @visitor(scope: "${REFERENCE_SCOPE}")
    """
    Signs the guestbook (1 to ${MAX_GUESTBOOK_MESSAGE} characters) as the logged-in user, the visitor, or, for
    anyone else, a guest made on the spot. Bots and link previews get no guest: UNAUTHENTICATED.
    """
    signGuestbook(message: String!): GuestbookEntry! @allowGuest
  }

  type Subscription {
    """
    Live news of the reference requests the logged-in user sent: a link opened, a draft saved, a reference
    submitted. Over WebSocket only (graphql-ws at /graphql), with a realtime ticket as connectionParams.ticket.
    """
    referenceEvents: ReferenceEvent! @registeredUser
  }
`;

/**
 * Over HTTP, `req` is the request; over the WebSocket only subscriptions run
 * (app.ts refuses the rest), and none of them reads `req`.
 */
export type ReferenceContext = VisitorPassContext & { user: User | null; req: Request };

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
}

function checkText(text: string, { required }: { required: boolean }): string {
  if (required && text.trim() === '') throw badInput('text must not be empty.');
  if (text.length > MAX_TEXT) throw badInput(`text must be at most ${MAX_TEXT} characters.`);
  return text;
}

/** The message without surrounding whitespace: 1 to 500 characters (code points, as the database counts them). */
function checkGuestbookMessage(message: string): string {
  const trimmed = message.trim();
  if (trimmed === '') throw badInput('message must not be empty.');
  if ([...trimmed].length > MAX_GUESTBOOK_MESSAGE) throw badInput(`message must be at most ${MAX_GUESTBOOK_MESSAGE} characters.`);
  return trimmed;
}

function checkRating(rating: number): number {
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) throw badInput('rating must be a whole number from 1 to 5.');
  return rating;
}

/** The user who invited the visitor; the pass records the inviter's id as a string. */
function requesterIdOf(visitor: Visitor): number {
  const id = Number(visitor.invitedBy);
  if (!Number.isInteger(id)) throw badInput('This invitation was not sent by a registered user.');
  return id;
}

const newestFirst: [string, string][] = [
  ['createdAt', 'DESC'],
  ['id', 'DESC'],
];

/** The event for the user who asked, or null when no registered user sent the invitation. */
export function referenceEvent(visitor: Visitor, event: ReferenceEventKind): ReferenceEvent | null {
  const requesterId = Number(visitor.invitedBy);
  if (visitor.invitedBy === null || !Number.isInteger(requesterId)) return null;
  return { requesterId, visitorId: visitor.id, visitorName: visitor.fullName, event, at: new Date().toISOString() };
}

export function createReferenceResolvers(models: ReferenceModels, pass: VisitorPass<ReferenceContext>, feed: ReferenceFeed) {
  const announce = (visitor: Visitor, kind: ReferenceEventKind) => {
    const event = referenceEvent(visitor, kind);
    if (event) feed.publish(event);
  };
  const findDraft = (visitor: Visitor) => models.Reference.findOne({ where: { visitorId: visitor.id, status: 'DRAFT' } });

  /** Updates the visitor's draft, or starts one. */
  async function writeReference(visitor: Visitor, values: Pick<Reference, 'text' | 'rating' | 'status'>): Promise<Reference> {
    const draft = await findDraft(visitor);
    if (draft) return draft.update(values);
    return models.Reference.create({ ...values, requesterId: requesterIdOf(visitor), visitorId: visitor.id, visitorName: visitor.fullName });
  }

  return {
    Query: {
      me: (_: unknown, __: unknown, context: ReferenceContext) => context.user,
      referenceRequest: (_: unknown, __: unknown, context: ReferenceContext) => context.visitor,
      // @registeredUser: only ever runs for a logged-in user.
      references: (_: unknown, __: unknown, { user }: ReferenceContext) =>
        models.Reference.findAll({
          where: { requesterId: user!.id, status: 'SUBMITTED' },
          order: [['createdAt', 'DESC'], ['id', 'DESC']],
        }),
      // @registeredUser: only ever runs for a logged-in user.
      visitorPasses: (_: unknown, { all, limit }: { all?: boolean | null; limit?: number | null }, { user }: ReferenceContext) => {
        if (all && !user!.isStaff) {
          throw new GraphQLError('Only staff may list every pass.', { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
        }
        const take = limit ?? 100;
        if (!Number.isInteger(take) || take < 1 || take > MAX_PASS_LIST) throw badInput(`limit must be a whole number from 1 to ${MAX_PASS_LIST}.`);
        return pass.models.Visitor.findAll({
          where: all ? { kind: 'INVITED' } : { kind: 'INVITED', invitedBy: String(user!.id) },
          order: newestFirst,
          limit: take,
        });
      },
      guestbook: () => models.GuestbookEntry.findAll({ order: newestFirst, limit: GUESTBOOK_PAGE }),
      myGuestbookEntries: (_: unknown, __: unknown, { user, visitor }: ReferenceContext) => {
        if (user) return models.GuestbookEntry.findAll({ where: { userId: user.id }, order: newestFirst });
        if (visitor) return models.GuestbookEntry.findAll({ where: { visitorId: visitor.id }, order: newestFirst });
        return [];
      },
    },
    Visitor: {
      invitedByUser: (visitor: Visitor) => (visitor.invitedBy === null ? null : models.User.findByPk(Number(visitor.invitedBy))),
      referenceStatus: async (visitor: Visitor) => {
        const reference = await models.Reference.findOne({ where: { visitorId: visitor.id }, order: newestFirst, attributes: ['status'] });
        return reference?.status ?? null;
      },
    },
    ReferenceRequest: {
      requestedBy: (visitor: Visitor) => (visitor.invitedBy === null ? null : models.User.findByPk(visitor.invitedBy)),
      message: (visitor: Visitor) => {
        const message = (visitor.context as { message?: unknown } | null)?.message;
        return typeof message === 'string' ? message : null;
      },
      visitorName: (visitor: Visitor) => visitor.fullName,
      draft: (visitor: Visitor) => findDraft(visitor),
    },
    Mutation: {
      login: async (_: unknown, { email, password }: { email: string; password: string }, context: ReferenceContext) => {
        const user = await models.User.findOne({ where: { email: email.trim().toLowerCase() } });
        const matches = await verifyPassword(password, user?.passwordHash ?? DECOY_HASH);
        if (!user || !matches) return null;
        // A visitor or guest logging in hands what they signed to this account (the `merged` listener in guests.ts).
        await pass.mergeVisitorInto(context, user.id);
        await rotateSession(context.req);
        context.req.session.userId = user.id;
        context.user = user;
        return user;
      },
      logout: async (_: unknown, __: unknown, { req }: ReferenceContext) => {
        if (req.session.userId === undefined) return false;
        delete req.session.userId;
        await rotateSession(req);
        return true;
      },
      // @visitor without a bypass: these two only ever run for a visitor.
      saveReferenceDraft: async (_: unknown, { text }: { text: string }, { visitor }: ReferenceContext) => {
        const draft = await writeReference(visitor!, { text: checkText(text, { required: false }), rating: null, status: 'DRAFT' });
        announce(visitor!, 'DRAFT_SAVED');
        return draft;
      },
      submitReference: async (_: unknown, { text, rating }: { text: string; rating: number }, context: ReferenceContext) => {
        const visitor = context.visitor!;
        const reference = await writeReference(visitor, {
          text: checkText(text, { required: true }),
          rating: checkRating(rating),
          status: 'SUBMITTED',
        });
        await pass.endVisitorSession(context, { deactivate: true });
        announce(visitor, 'SUBMITTED');
        return reference;
      },
      // @allowGuest: an anonymous browser is a guest by now; a bot or link preview is not.
      signGuestbook: async (_: unknown, { message }: { message: string }, { user, visitor }: ReferenceContext): Promise<GuestbookEntry> => {
        if (!user && !visitor) {
          throw new GraphQLError('Sign the guestbook from a browser, or log in.', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
        }
        const text = checkGuestbookMessage(message);
        // A logged-in user signs as themselves, even while holding a visitor session.
        const author = user
          ? { authorName: user.name, userId: user.id, visitorId: null }
          : { authorName: visitor!.fullName, userId: null, visitorId: visitor!.id };
        return models.GuestbookEntry.create({ message: text, ...author });
      },
    },
    Subscription: {
      // @registeredUser: the ticket was issued to a logged-in user; app.ts loaded them for the context.
      referenceEvents: {
        subscribe: (_: unknown, __: unknown, { user }: ReferenceContext) => {
          if (!user) throw new GraphQLError('Log in again.', { extensions: { code: 'UNAUTHENTICATED' } });
          return feed.subscribe(user.id);
        },
        resolve: (event: ReferenceEvent) => event,
      },
    },
    ReferenceEvent: {
      at: (event: ReferenceEvent) => new Date(event.at),
    },
  };
}
