import type { Request } from 'express';
import { GraphQLError } from 'graphql';
import { Op, UniqueConstraintError } from 'sequelize';
import { httpRequestOf, type VisitorPassRequest } from '../context';
import type { Visitor } from '../data/models';
import { VisitorPassError } from '../errors';
import { KeyedQueue } from '../keyed-queue';
import type { VisitorPasses } from '../request/visitor-passes';
import type { Runtime } from '../runtime';
import { clientAddressOf } from './client-address';
import { generateGuestName, uuidGuestName, type GeneratedGuestName } from './guest-names';

/** Names tried before falling back to a UUID name (a numbered name space can fill up). */
const NAME_ATTEMPTS = 5;
const HOUR = 3600 * 1000;

/**
 * `@allowGuest`: gives an anonymous caller a guest (a visitor of kind GUEST)
 * on the spot, at most one per request, within the per-address limit.
 */
export class Guests {
  private readonly pending = new WeakMap<VisitorPassRequest['state'], Promise<void>>();
  private readonly perAddress = new KeyedQueue();

  constructor(
    private readonly runtime: Runtime,
    private readonly passes: VisitorPasses,
  ) {}

  /**
   * Nothing (synchronously) when the caller needs no guest: already a visitor
   * or host user, a bot or preview, or guests are off. Otherwise a promise
   * that settles once the context holds the new guest.
   */
  admit(context: any): void | Promise<void> {
    if (context?.visitor) return;
    const request = httpRequestOf(context);
    const { guests } = this.runtime.options;
    if (!request || request.state.hostUser || !guests.enabled) return;
    if (this.isBot(request.req)) return;
    let pending = this.pending.get(request.state);
    if (!pending) {
      pending = this.create(context, request);
      this.pending.set(request.state, pending);
    }
    return pending;
  }

  /** A check that throws counts as a bot: no guest rather than an unbounded one. */
  private isBot(req: Request): boolean {
    try {
      return Boolean(this.runtime.options.guests.isBot(req));
    } catch {
      return true;
    }
  }

  private async create(context: any, { req, state }: VisitorPassRequest & { req: Request }): Promise<void> {
    await this.verify(context);
    const address = clientAddressOf(req);
    const { maxPerAddressPerHour, maxAge } = this.runtime.options.guests;
    const guest = await this.perAddress.run(address ?? '', async () => {
      const created = await this.insert(context, address);
      if (maxPerAddressPerHour !== null && (await this.rankOf(created)) > maxPerAddressPerHour) {
        await this.runtime.store(() => created.destroy());
        throw new VisitorPassError('GUEST_RATE_LIMITED');
      }
      return created;
    });
    await this.runtime.log(guest.id, 'CREATED', req);
    await this.passes.stash(req, guest, maxAge, state.hostUser);
    context.visitor = guest;
    context.isVisitor = true;
    this.runtime.events.emit('guestCreated', { visitor: guest, request: req });
  }

  /** The host's `guests.verify` (e.g. a CAPTCHA): its own GraphQL errors pass through, anything else but `true` refuses. */
  private async verify(context: unknown): Promise<void> {
    const { verify } = this.runtime.options.guests;
    if (!verify) return;
    let answer: unknown;
    try {
      answer = await verify(context);
    } catch (error) {
      if (error instanceof GraphQLError) throw error;
      answer = false;
    }
    if (answer !== true) throw new VisitorPassError('GUEST_VERIFICATION_FAILED');
  }

  /**
   * Where the new guest stands among this hour's guests from its address,
   * ordered by creation time, then id. Inserting first and counting after
   * keeps the limit across instances sharing the database: of guests racing
   * from one address, only the first `maxPerAddressPerHour` in that order
   * stay, whichever instance sees them. Within a process creations from one
   * address also run one at a time.
   */
  private rankOf(guest: Visitor): Promise<number> {
    const since = new Date(guest.createdAt.getTime() - HOUR);
    return this.runtime.store(() =>
      this.runtime.models.Visitor.count({
        where: {
          kind: 'GUEST',
          createdFrom: guest.createdFrom,
          createdAt: { [Op.gt]: since },
          [Op.or]: [{ createdAt: { [Op.lt]: guest.createdAt } }, { createdAt: guest.createdAt, id: { [Op.lte]: guest.id } }],
        },
      }),
    );
  }

  /** Inserts the guest, trying new names while the generated one is taken. */
  private async insert(context: unknown, address: string | null): Promise<Visitor> {
    const { scope, nameGenerator, maxAge } = this.runtime.options.guests;
    for (let attempt = 1; ; attempt++) {
      const name: GeneratedGuestName = attempt > NAME_ATTEMPTS ? uuidGuestName() : await generateGuestName(nameGenerator, context);
      const now = new Date();
      const guest = await this.runtime.store(() =>
        this.runtime.models.Visitor.create({
          kind: 'GUEST',
          ...name,
          email: null,
          scope,
          context: null,
          tokenHash: null,
          invitedBy: null,
          url: null,
          expiresAt: null,
          sessionExpiry: maxAge,
          maxUses: null,
          redeemedAt: now,
          lastSeenAt: now,
          revokedAt: null,
          createdFrom: address,
        }).catch((error: unknown) => {
          if (error instanceof UniqueConstraintError) return null;
          throw error;
        }),
      );
      if (guest) return guest;
    }
  }
}
