import { GraphQLError } from 'graphql';

/** Every `extensions.code` this package answers with, and its HTTP status. */
export const VISITOR_PASS_ERRORS = {
  VISITOR_REQUIRED: { status: 401, message: 'This field is only for visitors.' },
  VISITOR_SCOPE_DENIED: { status: 403, message: 'Your visitor pass does not cover this field.' },
  VISITOR_TOKEN_MALFORMED: { status: 400, message: 'The visitor token is malformed.' },
  VISITOR_PASS_NOT_FOUND: { status: 401, message: 'No visitor pass matches.' },
  VISITOR_PASS_EXPIRED: { status: 401, message: 'The visitor pass has expired.' },
  VISITOR_PASS_REVOKED: { status: 401, message: 'The visitor pass has been revoked.' },
  VISITOR_PASS_USED_UP: { status: 403, message: 'The visitor pass has been used up.' },
  INVITE_FORBIDDEN: { status: 403, message: 'You may not manage visitor passes.' },
  BAD_USER_INPUT: { status: 400, message: 'Invalid input.' },
  VISITOR_PASS_UNAVAILABLE: { status: 503, message: 'Visitor passes are unavailable right now; try again later.' },
  GUEST_RATE_LIMITED: { status: 429, message: 'Too many guests from your address; try again later.' },
  GUEST_VERIFICATION_FAILED: { status: 403, message: 'Please confirm you are a person before continuing.' },
  REGISTRATION_REQUIRED: { status: 403, message: 'Create an account to use this.' },
  LOGIN_REQUIRED: { status: 401, message: 'Log in to use this.' },
  NOT_A_VISITOR: { status: 400, message: 'Only a visitor or guest can do this.' },
  REALTIME_TICKET_FORBIDDEN: { status: 401, message: 'Only a visitor or a logged-in user can get a realtime ticket.' },
} as const;

export type VisitorPassErrorCode = keyof typeof VISITOR_PASS_ERRORS;

/** A GraphQL error with a stable `extensions.code` and the matching `extensions.http.status`. */
export class VisitorPassError extends GraphQLError {
  readonly code: VisitorPassErrorCode;

  constructor(code: VisitorPassErrorCode, message?: string, extensions: Record<string, unknown> = {}) {
    const { status, message: fallback } = VISITOR_PASS_ERRORS[code];
    super(message ?? fallback, { extensions: { ...extensions, code, http: { status } } });
    this.name = 'VisitorPassError';
    this.code = code;
  }
}

export function isVisitorPassError(error: unknown): error is VisitorPassError {
  return error instanceof VisitorPassError;
}

/** A bad value for a `createVisitorPass` option, thrown at start-up. */
export class VisitorPassOptionsError extends Error {
  constructor(message: string) {
    super(`graphql-visitor-pass: ${message}`);
    this.name = 'VisitorPassOptionsError';
  }
}
