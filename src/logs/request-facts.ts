import type { Request } from 'express';
import { untokenise } from '../tokenise';

/** What a log row records about a request, with the token taken out of every URL. */
export interface RequestFacts {
  httpMethod: string | null;
  path: string | null;
  remoteAddr: string | null;
  userAgent: string | null;
  referer: string | null;
}

const clip = (value: string | undefined, max: number) => (value ? value.slice(0, max) : null);

/** For work done without a request (the CLI). */
export const NO_REQUEST: RequestFacts = { httpMethod: null, path: null, remoteAddr: null, userAgent: null, referer: null };

export function requestFacts(req: Request, querystringKey: string): RequestFacts {
  const referer = req.get('referer');
  return {
    httpMethod: req.method,
    path: clip(untokenise(req.originalUrl ?? req.url, querystringKey), 2048),
    // req.ip honours Express's `trust proxy` setting; raw forwarding headers are never read.
    remoteAddr: clip(req.ip, 64),
    userAgent: clip(req.get('user-agent'), 512),
    referer: referer ? clip(untokenise(referer, querystringKey), 2048) : null,
  };
}
