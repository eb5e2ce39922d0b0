import { EventEmitter } from 'node:events';
import type { Request } from 'express';
import type { Visitor } from './data/models';
import type { VisitorPassErrorCode } from './errors';

/** What each event of `pass.events` carries. */
export interface VisitorPassEvents {
  /** A pass was created: send `link` to `visitor.email`. */
  invited: { visitor: Visitor; link: string; invitedBy: string | null };
  /** A link (or `redeemVisitorPass`) let a visitor in. */
  redeemed: { visitor: Visitor };
  /** A visitor session ended (`endVisitorSession` or the host's `pass.endVisitorSession`). */
  ended: { visitor: Visitor; deactivated: boolean };
  /** A pass was deactivated by its inviter or a bypassing caller. */
  revoked: { visitor: Visitor; revokedBy: string | null };
  /** A redemption of a known pass was refused. */
  denied: { visitor: Visitor; code: VisitorPassErrorCode };
  /** A pass got a new token and link; the old token no longer works. */
  reissued: { visitor: Visitor; link: string };
  /** The database failed; the caller got VISITOR_PASS_UNAVAILABLE. */
  unavailable: { error: Error };
  /** `@allowGuest` gave an anonymous caller a guest. */
  guestCreated: { visitor: Visitor; request: Request };
  /** `convertVisitor` turned a visitor or guest into the host user `userId`. */
  converted: { visitor: Visitor; userId: string };
  /**
   * A visitor or guest logged into the existing account `userId`
   * (`pass.mergeVisitorInto`): move their data now. Awaited before the pass
   * ends; a listener that rejects stops the merge and the pass stays.
   */
  merged: { visitor: Visitor; userId: string };
  /**
   * `pass.cleanup()` is about to delete these passes and guests: delete what
   * the host keeps for them. Awaited before each batch; a listener that
   * rejects stops the cleanup and the batch stays.
   */
  expired: { visitors: Visitor[] };
}

/** Events whose listeners may return a promise that is awaited (`emitAndWait`). */
export type AwaitedEventName = 'merged' | 'expired';

export type VisitorPassEventName = keyof VisitorPassEvents;

/** Only `merged` and `expired` await what a listener returns. */
type Listener<E extends VisitorPassEventName> = (payload: VisitorPassEvents[E]) => unknown;

/**
 * A typed EventEmitter. Listeners run synchronously: an `invited` listener
 * that throws fails the invitation. `merged` and `expired` listeners may be
 * async; they are awaited in order of registration.
 */
export class VisitorPassEmitter extends EventEmitter {
  override on<E extends VisitorPassEventName>(event: E, listener: Listener<E>): this {
    return super.on(event, listener);
  }

  override once<E extends VisitorPassEventName>(event: E, listener: Listener<E>): this {
    return super.once(event, listener);
  }

  override off<E extends VisitorPassEventName>(event: E, listener: Listener<E>): this {
    return super.off(event, listener);
  }

  /** Calls each listener and waits for it before the next; the first rejection propagates. */
  async emitAndWait<E extends AwaitedEventName>(event: E, payload: VisitorPassEvents[E]): Promise<void> {
    for (const listener of this.rawListeners(event) as Array<Listener<E>>) {
      await listener(payload);
    }
  }

  override emit<E extends VisitorPassEventName>(event: E, payload: VisitorPassEvents[E]): boolean {
    return super.emit(event, payload);
  }
}
