/** A mail the app would send; there is no SMTP here. */
export interface InvitationMail {
  to: string;
  subject: string;
  text: string;
}

export interface OutboxMail extends InvitationMail {
  id: number;
  at: Date;
  /** The link the mail carries (with its token): only the recipient should ever see it. */
  link: string;
  /** The pass the mail is about. */
  visitorId: string;
}

/**
 * The development outbox: the mails the `invited` and `reissued` events
 * produced, newest first, shown at `/dev/outbox` instead of being sent.
 * In memory, the last `limit` mails only.
 */
export class Outbox {
  private readonly mails: OutboxMail[] = [];
  private nextId = 1;

  constructor(private readonly limit = 50) {}

  add(mail: Omit<OutboxMail, 'id' | 'at'>): OutboxMail {
    const stored = { ...mail, id: this.nextId++, at: new Date() };
    this.mails.unshift(stored);
    this.mails.length = Math.min(this.mails.length, this.limit);
    return stored;
  }

  list(): readonly OutboxMail[] {
    return this.mails;
  }
}
