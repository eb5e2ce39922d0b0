import type { Request } from 'express';
import { GraphQLError } from 'graphql';
import { rotateSession, type Visitor, type VisitorPass, type VisitorPassContext } from '../../src';
import type { Reference, ReferenceModels, User } from './data';
import { DECOY_HASH, verifyPassword } from './passwords';

export const REFERENCE_SCOPE = 'REFERENCE_REQUEST';
const MAX_TEXT = 5000;

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

  type Query {
    me: User
    "The request the calling visitor was invited for; null for a bypassing staff member."
    referenceRequest: ReferenceRequest @visitor(scope: "${REFERENCE_SCOPE}", bypass: "staff")
    "Submitted references written for the logged-in user, newest first."
    references: [Reference!]!
  }

  type Mutation {
    "The user, or null for a wrong email or password."
    login(email: String!, password: String!): User
    logout: Boolean!
    saveReferenceDraft(text: String!): Reference! @visitor(scope: "${REFERENCE_SCOPE}")
    "The last step: stores the reference and ends the visitor's access."
    submitReference(text: String!, rating: Int!): Reference! @visitor(scope: "${REFERENCE_SCOPE}")
  }
`;

export type ReferenceContext = VisitorPassContext & { user: User | null; req: Request };

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
}

function checkText(text: string, { required }: { required: boolean }): string {
  if (required && text.trim() === '') throw badInput('text must not be empty.');
  if (text.length > MAX_TEXT) throw badInput(`text must be at most ${MAX_TEXT} characters.`);
  return text;
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

export function createReferenceResolvers(models: ReferenceModels, pass: VisitorPass<ReferenceContext>) {
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
      references: async (_: unknown, __: unknown, { user }: ReferenceContext) => {
        if (!user) {
          throw new GraphQLError('Log in to see your references.', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
        }
        return models.Reference.findAll({
          where: { requesterId: user.id, status: 'SUBMITTED' },
          order: [['createdAt', 'DESC'], ['id', 'DESC']],
        });
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
      saveReferenceDraft: (_: unknown, { text }: { text: string }, { visitor }: ReferenceContext) =>
        writeReference(visitor!, { text: checkText(text, { required: false }), rating: null, status: 'DRAFT' }),
      submitReference: async (_: unknown, { text, rating }: { text: string; rating: number }, context: ReferenceContext) => {
        const visitor = context.visitor!;
        const reference = await writeReference(visitor, {
          text: checkText(text, { required: true }),
          rating: checkRating(rating),
          status: 'SUBMITTED',
        });
        await pass.endVisitorSession(context, { deactivate: true });
        return reference;
      },
    },
  };
}
