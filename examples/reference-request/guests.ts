import { GraphQLError } from 'graphql';
import { UniqueConstraintError } from 'sequelize';
import type { Visitor, VisitorPass, VisitorPassOptions } from '../../src';
import { moveGuestbookEntries, type ReferenceModels } from './data';
import { hashPassword } from './passwords';
import type { ReferenceContext } from './schema';

const MAX_EMAIL = 254;
const MAX_NAME = 150;
const MIN_PASSWORD = 8;
const EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

export interface SignUpInput {
  email: string;
  name: string;
  password: string;
}

/** BAD_USER_INPUT naming the input field at fault, as `convertVisitor` passes it through. */
function badSignUp(field: keyof SignUpInput | 'input', message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field, http: { status: 400 } } });
}

/** `convertVisitor(input: { email, name, password })`, checked: email lower-cased, name trimmed. */
export function checkSignUp(input: unknown): SignUpInput {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw badSignUp('input', 'input must be an object: { email, name, password }.');
  }
  const { email, name, password } = input as Record<string, unknown>;
  const normalisedEmail = typeof email === 'string' ? email.trim().toLowerCase() : '';
  if (normalisedEmail.length > MAX_EMAIL || !EMAIL_SHAPE.test(normalisedEmail)) {
    throw badSignUp('email', 'email must be an email address.');
  }
  const trimmedName = typeof name === 'string' ? name.trim() : '';
  if (trimmedName === '' || trimmedName.length > MAX_NAME) {
    throw badSignUp('name', `name must be 1 to ${MAX_NAME} characters.`);
  }
  if (typeof password !== 'string' || password.length < MIN_PASSWORD) {
    throw badSignUp('password', `password must be at least ${MIN_PASSWORD} characters.`);
  }
  return { email: normalisedEmail, name: trimmedName, password };
}

const taken = () => badSignUp('email', 'An account with this email already exists: log in instead.');

type GuestHooks = Pick<NonNullable<VisitorPassOptions<ReferenceContext>['guests']>, 'convert' | 'login'>;

/**
 * The sign-up behind the plugin's `convertVisitor`: `convert` creates the
 * user and moves the visitor's guestbook entries to them in one transaction;
 * `login` signs the new user in (the plugin already rotated the session id).
 */
export function guestHooks(models: ReferenceModels): GuestHooks {
  return {
    async convert(visitor: Visitor, input: unknown): Promise<number> {
      const { email, name, password } = checkSignUp(input);
      if (await models.User.findOne({ where: { email } })) throw taken();
      // Hashed before the transaction: scrypt takes a while, the transaction should not.
      const passwordHash = await hashPassword(password);
      try {
        return await models.User.sequelize!.transaction(async (transaction) => {
          const user = await models.User.create({ email, name, isStaff: false, passwordHash }, { transaction });
          await moveGuestbookEntries(models, visitor.id, user, transaction);
          return user.id;
        });
      } catch (error) {
        // Someone registered the address since the check above.
        if (error instanceof UniqueConstraintError) throw taken();
        throw error;
      }
    },

    async login(context: ReferenceContext, userId: string): Promise<void> {
      const user = await models.User.findByPk(Number(userId));
      if (!user) throw new Error(`reference-request: the new user ${userId} is gone.`);
      context.req.session.userId = user.id;
      context.req.user = user;
      context.user = user;
    },
  };
}

/**
 * What happens to guestbook entries when a pass ends other than by sign-up:
 * a visitor or guest logging into an existing account (`merged`, awaited by
 * `pass.mergeVisitorInto` in the login resolver) hands them over; an expired
 * guest's are deleted before `pass.cleanup()` deletes the guest.
 */
export function listenForGuests(pass: VisitorPass<ReferenceContext>, models: ReferenceModels): void {
  pass.events.on('merged', async ({ visitor, userId }) => {
    const user = await models.User.findByPk(Number(userId));
    if (!user) throw new Error(`reference-request: cannot merge into user ${userId}: no such user.`);
    await moveGuestbookEntries(models, visitor.id, user);
  });

  pass.events.on('expired', async ({ visitors }) => {
    // Converted or merged guests already handed their entries over; invited visitors' entries stay, like their references.
    const ids = visitors.filter((visitor) => visitor.kind === 'GUEST' && visitor.convertedAt === null).map((visitor) => visitor.id);
    if (ids.length > 0) await models.GuestbookEntry.destroy({ where: { visitorId: ids } });
  });
}
