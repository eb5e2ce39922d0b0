import { z } from 'zod';
import { VisitorPassError } from '../errors';
import type { InviteVisitorInput } from '../options';

const count = (what: string) => z.number().int(`${what} must be a whole number`).nonnegative(`${what} must not be negative`);

const MAX_CONTEXT_BYTES = 16 * 1024;

const inviteSchema = z.object({
  firstName: z.string().trim().max(150, 'firstName must be at most 150 characters').nullish(),
  lastName: z.string().trim().max(150, 'lastName must be at most 150 characters').nullish(),
  email: z.string().trim().max(254, 'email is too long').pipe(z.email('email must be an email address')),
  scope: z.string().trim().min(1, 'scope must not be empty').max(100, 'scope must be at most 100 characters'),
  context: z
    .unknown()
    .refine((value) => value === undefined || JSON.stringify(value).length <= MAX_CONTEXT_BYTES, 'context must be at most 16 KB of JSON')
    .optional(),
  expiresIn: count('expiresIn').nullish(),
  sessionExpiry: count('sessionExpiry').nullish(),
  maxUses: count('maxUses').nullish(),
  url: z.string().max(2048, 'url is too long').nullish(),
});

export type CheckedInvite = z.infer<typeof inviteSchema>;

/** The invite input, trimmed and checked; the first problem becomes BAD_USER_INPUT naming the field. */
export function checkInviteInput(input: InviteVisitorInput): CheckedInvite {
  const parsed = inviteSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new VisitorPassError('BAD_USER_INPUT', issue.message, { field: issue.path.map(String).join('.') });
}

/** The page a link opens: an absolute http(s) URL, or a path on the linkBaseUrl's site. */
export function resolvePageUrl(url: string | null | undefined, linkBaseUrl: string): string {
  if (url === null || url === undefined || url === '') return linkBaseUrl;
  if (url.startsWith('/') && !url.startsWith('//')) return new URL(linkBaseUrl).origin + url;
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return url;
  } catch {
    // falls through to the error below
  }
  throw new VisitorPassError('BAD_USER_INPUT', 'url must be an http(s) URL or a path starting with "/"', { field: 'url' });
}

/** A whole number of seconds ≥ 0, or BAD_USER_INPUT naming `field`. */
export function checkSeconds(value: number | null | undefined, field: string): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value) || value < 0) {
    throw new VisitorPassError('BAD_USER_INPUT', `${field} must be a whole number of seconds, not negative`, { field });
  }
  return value;
}
