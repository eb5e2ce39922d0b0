import type { Request } from 'express';
import { VisitorPassError } from '../errors';
import type { VisitorPassEmitter } from '../events';
import { userIdOf } from '../operations/manage';
import type { ResolvedTicketOptions } from '../options';
import { readStash } from '../request/session-stash';
import type { VisitorRequestState } from '../request/visitor-passes';
import { createToken, hashToken, isWellFormedToken } from '../token';
import type { TicketStore } from './ticket-store';

/** Who a ticket stands for: what the async side learns when it consumes one. */
export interface RealtimeCaller {
  /** The visitor (or guest) pass id, or null for a host user without one. */
  visitorId: string | null;
  scope: string | null;
  /** The host user's id, or null. */
  userId: string | null;
  /** SHA-256 of the session id the ticket was issued to: never the session id itself. */
  sessionHash: string | null;
  /** When the visitor's session began (ms), to tell a later revocation. */
  redeemedAt: number | null;
  /** When the ticket was issued (ms). */
  issuedAt: number;
}

export interface RealtimeTicket {
  ticket: string;
  expiresAt: Date;
}

/** The session a request belongs to, as tickets and sockets know it: hashed. */
export function sessionHashOf(req: Request): string | null {
  return typeof req.sessionID === 'string' ? hashToken(req.sessionID) : null;
}

function parseCaller(value: string): RealtimeCaller | null {
  try {
    const caller = JSON.parse(value) as RealtimeCaller;
    return typeof caller === 'object' && caller !== null && typeof caller.issuedAt === 'number' ? caller : null;
  } catch {
    return null;
  }
}

/**
 * Single-use, short-lived tickets for connections that cannot read the HTTP
 * session (WebSockets, other services). Only the ticket's hash is a key;
 * a failing or slow store answers VISITOR_PASS_UNAVAILABLE.
 */
export class Tickets {
  constructor(
    private readonly store: TicketStore,
    private readonly options: ResolvedTicketOptions,
    private readonly events: VisitorPassEmitter,
    private readonly sessionKey: string,
  ) {}

  /**
   * A ticket for the caller of this request: a visitor, a host user, or
   * both. A session whose visitor could not be read (database down) is told
   * so, not that it is nobody.
   */
  async issueFor(req: Request, { visitor, sessionError, hostUser }: VisitorRequestState): Promise<RealtimeTicket> {
    const userId = userIdOf({ user: hostUser });
    if (!visitor && userId === null) {
      throw sessionError?.code === 'VISITOR_PASS_UNAVAILABLE' ? sessionError : new VisitorPassError('REALTIME_TICKET_FORBIDDEN');
    }
    return this.issue({
      visitorId: visitor?.id ?? null,
      scope: visitor?.scope ?? null,
      userId,
      sessionHash: sessionHashOf(req),
      redeemedAt: visitor ? (readStash(req, this.sessionKey)?.redeemedAt ?? null) : null,
    });
  }

  async issue(caller: Omit<RealtimeCaller, 'issuedAt'>): Promise<RealtimeTicket> {
    const ticket = createToken();
    const issuedAt = Date.now();
    const value = JSON.stringify({ ...caller, issuedAt });
    const stored = await this.guarded(() => this.store.put(this.keyOf(ticket), value, this.options.ttlSeconds));
    // 256 random bits do not collide; a taken key would mean a broken random source.
    if (!stored) throw new Error('graphql-visitor-pass: a new ticket collided with a stored one.');
    return { ticket, expiresAt: new Date(issuedAt + this.options.ttlSeconds * 1000) };
  }

  /** The ticket's caller, once: null for anything but a live, unused ticket. */
  async consume(ticket: unknown): Promise<RealtimeCaller | null> {
    if (typeof ticket !== 'string' || !isWellFormedToken(ticket)) return null;
    const value = await this.guarded(() => this.store.take(this.keyOf(ticket)));
    return value === null ? null : parseCaller(value);
  }

  private keyOf(ticket: string): string {
    return `${this.options.keyPrefix}ticket:${hashToken(ticket)}`;
  }

  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('The ticket store did not answer in time.')), this.options.commandTimeout);
    });
    try {
      return await Promise.race([work(), timeout]);
    } catch (error) {
      this.events.emit('unavailable', { error: error instanceof Error ? error : new Error(String(error)) });
      throw new VisitorPassError('VISITOR_PASS_UNAVAILABLE');
    } finally {
      clearTimeout(timer);
    }
  }
}
