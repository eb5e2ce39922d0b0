import { EventEmitter } from 'node:events';
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
}

export type VisitorPassEventName = keyof VisitorPassEvents;

/** A typed EventEmitter. Listeners run synchronously: an `invited` listener that throws fails the invitation. */
export class VisitorPassEmitter extends EventEmitter {
  override on<E extends VisitorPassEventName>(event: E, listener: (payload: VisitorPassEvents[E]) => void): this {
    return super.on(event, listener);
  }

  override once<E extends VisitorPassEventName>(event: E, listener: (payload: VisitorPassEvents[E]) => void): this {
    return super.once(event, listener);
  }

  override off<E extends VisitorPassEventName>(event: E, listener: (payload: VisitorPassEvents[E]) => void): this {
    return super.off(event, listener);
  }

  override emit<E extends VisitorPassEventName>(event: E, payload: VisitorPassEvents[E]): boolean {
    return super.emit(event, payload);
  }
}
