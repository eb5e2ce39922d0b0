import type { Request } from 'express';
import type {} from 'express-session';

/** What the session holds for a visitor: never the token, only the pass id and when it was redeemed. */
export interface VisitorStash {
  visitorId: string;
  redeemedAt: number;
  /** A guest's cookie was last given a new lifetime then (ms). */
  renewedAt?: number;
}

type SessionRecord = Record<string, unknown>;

export function assertSession(req: Request): void {
  if (!req.session) {
    throw new Error(
      'graphql-visitor-pass: req.session is missing. Mount express-session before expressMiddleware() and pass.linkHandler().',
    );
  }
}

export function readStash(req: Request, sessionKey: string): VisitorStash | null {
  const value = (req.session as unknown as SessionRecord)[sessionKey] as Partial<VisitorStash> | undefined;
  if (!value || typeof value.visitorId !== 'string' || typeof value.redeemedAt !== 'number') return null;
  const renewedAt = typeof value.renewedAt === 'number' ? value.renewedAt : undefined;
  return { visitorId: value.visitorId, redeemedAt: value.redeemedAt, renewedAt };
}

export function writeStash(req: Request, sessionKey: string, stash: VisitorStash): void {
  (req.session as unknown as SessionRecord)[sessionKey] = stash;
}

export function clearStash(req: Request, sessionKey: string): void {
  delete (req.session as unknown as SessionRecord)[sessionKey];
}

/**
 * A new session id with the session's data kept. Whenever who the caller is
 * changes (a redemption, the end of a visit, the host's own login or logout)
 * the old id must stop working, against session fixation.
 */
export async function rotateSession(req: Request): Promise<void> {
  const kept: SessionRecord = {};
  for (const [key, value] of Object.entries(req.session as unknown as SessionRecord)) {
    if (key !== 'cookie') kept[key] = value;
  }
  await new Promise<void>((resolve, reject) => req.session.regenerate((error) => (error ? reject(error) : resolve())));
  Object.assign(req.session, kept);
}

/** 0 → a browser-session cookie (no Expires); otherwise it lasts `seconds`. */
export function setSessionLifetime(req: Request, seconds: number): void {
  req.session.cookie.maxAge = seconds > 0 ? seconds * 1000 : (null as unknown as number);
}
