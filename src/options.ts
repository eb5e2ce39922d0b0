import type { Request } from 'express';
import { Sequelize } from 'sequelize';
import { z } from 'zod';
import type { Visitor } from './data/models';
import { VisitorPassOptionsError } from './errors';
import { isLinkPreview } from './request/link-preview';

/** The host's logged-in user, as far as this package cares: something with an id. */
export interface VisitorPassUser {
  id: string | number;
  [key: string]: unknown;
}

/** A named bypass for `@visitor(bypass: "name")`: true lets the caller in. Throwing means no. */
export type BypassFunction<TContext = any> = (context: TContext) => boolean | Promise<boolean>;

export interface InviteVisitorInput {
  firstName?: string | null;
  lastName?: string | null;
  email: string;
  scope: string;
  context?: unknown;
  expiresIn?: number | null;
  sessionExpiry?: number | null;
  maxUses?: number | null;
  url?: string | null;
}

/** A guest's name: a string (shown whole) or its parts. */
export type GuestName = string | { firstName: string; lastName?: string };

/** Built-in guest names: `numbered` gives "Guest 0427", `uuid` gives "Guest <uuid>". */
export type GuestNameGenerator<TContext = any> = 'numbered' | 'uuid' | ((context: TContext) => GuestName | Promise<GuestName>);

export interface GuestOptions<TContext = any> {
  /** false: `@allowGuest` lets anonymous callers through with no guest at all. Default true. */
  enabled?: boolean;
  /** Scope every guest gets. Default `GUEST`. */
  scope?: string;
  /** Seconds a guest lasts after `expireFrom`. Default 30 days. */
  maxAge?: number;
  /** Count `maxAge` from the guest's last request (`lastSeen`, default) or from its creation (`created`). */
  expireFrom?: 'lastSeen' | 'created';
  /** Guests created per client address (IPv6: per /56) in any hour; null = no limit. Default 30. */
  maxPerAddressPerHour?: number | null;
  /** Must answer exactly true before a guest is created (e.g. a CAPTCHA check); throwing means no. */
  verify?: (context: TContext) => boolean | Promise<boolean>;
  /** How guests are named. Default `numbered`. */
  nameGenerator?: GuestNameGenerator<TContext>;
  /** Requests that never get a guest. Default: the `isLinkPreview` option (isbot, preview agents, HEAD). */
  isBot?: (req: Request) => boolean;
  /** Creates the real account for `convertVisitor` and returns its id; throw a GraphQLError to refuse the input. */
  convert?: (visitor: Visitor, input: unknown, context: TContext) => string | number | Promise<string | number>;
  /** Signs the converted person in as `userId` (after the session id was rotated). */
  login?: (context: TContext, userId: string) => void | Promise<void>;
  /** Where a visitor or guest can sign up: `extensions.convertUrl` of REGISTRATION_REQUIRED. */
  convertUrl?: string;
}

/** Where a Redis server is: host, port, database, password and timeouts. */
export interface RedisConnectionOptions {
  host?: string;
  port?: number;
  db?: number;
  username?: string;
  password?: string;
  /** Milliseconds to wait for a connection. Default 2000. */
  connectTimeout?: number;
}

/** A connected client of `redis` (node-redis 4+) or `ioredis`, owned by the host. */
export type RedisClientLike = { sendCommand: (...args: any[]) => unknown; duplicate: () => unknown } | { call: (...args: any[]) => unknown; duplicate: () => unknown };

export interface TicketOptions {
  /** Seconds a ticket can be consumed. Default 10. */
  ttlSeconds?: number;
  /** Keep tickets in Redis (several instances): a URL, connection options, or a client of yours. Default: this process's memory. */
  redis?: string | RedisConnectionOptions | RedisClientLike;
  /** Prefix of every Redis key and channel. Default `visitor-pass:`. */
  keyPrefix?: string;
  /** Milliseconds a Redis command may take before the caller gets VISITOR_PASS_UNAVAILABLE. Default 2000. */
  commandTimeout?: number;
  /** Path of the JSON ticket endpoint `pass.ticketHandler()` serves. Default `/visitor-pass/ticket`. */
  path?: string;
}

export interface VisitorPassOptions<TContext = any> {
  /** A Sequelize instance to keep the tables in. Takes precedence over `databaseUrl`. */
  sequelize?: Sequelize;
  /** `sqlite:<path>`, `postgres://…`, `mysql://…` or `mariadb://…`. Default: the SQLite file `visitor-pass.sqlite`. */
  databaseUrl?: string;
  /** Session key the visitor is stashed under. Env `VISITOR_SESSION_KEY`; default `visitor:session`. */
  sessionKey?: string;
  /** Seconds a redeemed session lasts; 0 = until the browser closes. Env `VISITOR_SESSION_EXPIRY`; default 0. */
  sessionExpiry?: number;
  /** Query-string parameter carrying the token. Env `VISITOR_QUERYSTRING_KEY`; default `vuid`. */
  querystringKey?: string;
  /** Seconds a link can be redeemed. Default 7 days. */
  tokenExpiry?: number;
  /** Server-side cap on any visitor session, in seconds, whatever the cookie says. Default 12 hours. */
  maxSessionAge?: number;
  /** Page the invitation links open (the link handler serves it). Required. */
  linkBaseUrl: string;
  /** Named bypass functions for `@visitor(bypass:)`; passing one also lets a caller manage every pass. */
  bypass?: Record<string, BypassFunction<TContext>>;
  /** Who may call `inviteVisitor`. Default: the context has a truthy `user`. */
  canInvite?: (context: TContext, input: InviteVisitorInput) => boolean | Promise<boolean>;
  /** How to find the host's logged-in user on a request (keeps the cookie lifetime). Default: `req.user`. */
  getUser?: (req: Request) => unknown;
  /** Is this request a link preview or scanner that must never redeem? Default: isbot plus known preview agents. */
  isLinkPreview?: (req: Request) => boolean;
  /** Write an ACCESS log row per operation of a visitor. Default true. */
  logAccess?: boolean;
  /** Where to log in: `extensions.loginUrl` of LOGIN_REQUIRED. */
  loginUrl?: string;
  /** Guests: anonymous callers given a visitor of kind GUEST by `@allowGuest`. */
  guests?: GuestOptions<TContext>;
  /** Realtime tickets: single-use, short-lived, for WebSocket subscriptions and other async services. */
  tickets?: TicketOptions;
}

type HostHooks = 'verify' | 'convert' | 'login' | 'convertUrl';

/** Guest options after defaults: only the host's hooks and URL stay optional. */
export type ResolvedGuestOptions = Required<Omit<GuestOptions, HostHooks>> & Pick<GuestOptions, HostHooks>;

/** The options after defaults and environment fallbacks: only the truly optional stay optional. */
/** Ticket options after defaults: Redis stays optional (memory otherwise). */
export type ResolvedTicketOptions = Required<Omit<TicketOptions, 'redis'>> & Pick<TicketOptions, 'redis'>;

export type ResolvedOptions = Required<Omit<VisitorPassOptions, 'sequelize' | 'isLinkPreview' | 'loginUrl' | 'guests' | 'tickets'>> &
  Pick<VisitorPassOptions, 'sequelize' | 'isLinkPreview' | 'loginUrl'> & { guests: ResolvedGuestOptions; tickets: ResolvedTicketOptions };

export const DEFAULT_DATABASE_URL = 'sqlite:visitor-pass.sqlite';

const seconds = z.number({ error: 'must be a number of seconds' }).int('must be a whole number of seconds').nonnegative('must not be negative');
const positiveSeconds = seconds.positive('must be more than 0');
const fn = z.custom<(...args: any[]) => unknown>((value) => typeof value === 'function', 'must be a function');

const httpUrl = z.string({ error: 'is required: an absolute http(s) URL' }).refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be an absolute http(s) URL');

const urlOrPath = z.string().min(1, 'must not be empty');

const guestsSchema = z.object({
  enabled: z.boolean(),
  scope: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  maxAge: positiveSeconds,
  expireFrom: z.enum(['lastSeen', 'created'], { error: 'must be "lastSeen" or "created"' }),
  maxPerAddressPerHour: z.number().int('must be a whole number').positive('must be more than 0 (null for no limit)').nullable(),
  verify: fn.optional(),
  nameGenerator: z.union([z.enum(['numbered', 'uuid']), fn], { error: 'must be "numbered", "uuid" or a function' }),
  isBot: fn,
  convert: fn.optional(),
  login: fn.optional(),
  convertUrl: urlOrPath.optional(),
});

const milliseconds = z.number({ error: 'must be a number of milliseconds' }).int('must be a whole number').positive('must be more than 0');

const isRedisClient = (value: unknown) =>
  typeof value === 'object' && value !== null && typeof (value as { duplicate?: unknown }).duplicate === 'function';

const ticketsSchema = z.object({
  ttlSeconds: positiveSeconds,
  redis: z
    .union(
      [
        z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
        z.custom<RedisClientLike>(isRedisClient),
        z.object({
          host: z.string().min(1).optional(),
          port: z.number().int().min(1).max(65535).optional(),
          db: z.number().int().nonnegative().optional(),
          username: z.string().optional(),
          password: z.string().optional(),
          connectTimeout: milliseconds.optional(),
        }).strict(),
      ],
      { error: 'must be a redis:// URL, { host, port, db, password, connectTimeout } or a redis/ioredis client' },
    )
    .optional(),
  keyPrefix: z.string().min(1, 'must not be empty'),
  commandTimeout: milliseconds,
  path: z.string().regex(/^\//, 'must be a path starting with "/"'),
});

const optionsSchema = z.object({
  sequelize: z.custom<Sequelize>((value) => value instanceof Sequelize, 'must be a Sequelize instance').optional(),
  databaseUrl: z.string().min(1, 'must not be empty'),
  sessionKey: z.string().trim().min(1, 'must not be empty'),
  sessionExpiry: seconds,
  querystringKey: z
    .string()
    .min(1, 'must not be empty')
    .regex(/^[A-Za-z0-9_.-]+$/, 'may hold only letters, digits, "_", "-" and "."'),
  tokenExpiry: positiveSeconds,
  maxSessionAge: positiveSeconds,
  linkBaseUrl: httpUrl,
  bypass: z.record(z.string().min(1, 'names must not be empty'), fn),
  canInvite: fn,
  getUser: fn,
  isLinkPreview: fn.optional(),
  logAccess: z.boolean(),
  loginUrl: urlOrPath.optional(),
  guests: guestsSchema,
  tickets: ticketsSchema,
});

function fromEnv(name: string, parse: (raw: string) => unknown = (raw) => raw): unknown {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  return parse(raw);
}

const envNumber = (raw: string) => (/^-?\d+$/.test(raw.trim()) ? Number(raw) : raw);

const ENV_NAMES: Record<string, string> = {
  sessionKey: 'VISITOR_SESSION_KEY',
  sessionExpiry: 'VISITOR_SESSION_EXPIRY',
  querystringKey: 'VISITOR_QUERYSTRING_KEY',
};

function resolveGuestOptions(guests: GuestOptions, linkPreview: VisitorPassOptions['isLinkPreview']) {
  return {
    enabled: guests.enabled ?? true,
    scope: guests.scope ?? 'GUEST',
    maxAge: guests.maxAge ?? 30 * 24 * 3600,
    expireFrom: guests.expireFrom ?? 'lastSeen',
    maxPerAddressPerHour: guests.maxPerAddressPerHour === undefined ? 30 : guests.maxPerAddressPerHour,
    verify: guests.verify,
    nameGenerator: guests.nameGenerator ?? 'numbered',
    isBot: guests.isBot ?? linkPreview ?? isLinkPreview,
    convert: guests.convert,
    login: guests.login,
    convertUrl: guests.convertUrl,
  };
}

/** Defaults, environment fallbacks and validation; throws naming the first bad option. */
export function resolveOptions(options: VisitorPassOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new VisitorPassOptionsError('createVisitorPass needs an options object (at least `linkBaseUrl`).');
  }
  for (const group of ['guests', 'tickets'] as const) {
    const value = options[group];
    if (value !== undefined && (value === null || typeof value !== 'object')) {
      throw new VisitorPassOptionsError(`option \`${group}\` must be an object of ${group === 'guests' ? 'guest' : 'ticket'} options.`);
    }
  }
  const input = {
    sequelize: options.sequelize,
    databaseUrl: options.databaseUrl ?? DEFAULT_DATABASE_URL,
    sessionKey: options.sessionKey ?? fromEnv('VISITOR_SESSION_KEY') ?? 'visitor:session',
    sessionExpiry: options.sessionExpiry ?? fromEnv('VISITOR_SESSION_EXPIRY', envNumber) ?? 0,
    querystringKey: options.querystringKey ?? fromEnv('VISITOR_QUERYSTRING_KEY') ?? 'vuid',
    tokenExpiry: options.tokenExpiry ?? 7 * 24 * 3600,
    maxSessionAge: options.maxSessionAge ?? 12 * 3600,
    linkBaseUrl: options.linkBaseUrl,
    bypass: options.bypass ?? {},
    canInvite: options.canInvite ?? ((context: { user?: unknown } | undefined) => Boolean(context?.user)),
    getUser: options.getUser ?? ((req: Request & { user?: unknown }) => req.user),
    isLinkPreview: options.isLinkPreview,
    logAccess: options.logAccess ?? true,
    loginUrl: options.loginUrl,
    guests: resolveGuestOptions(options.guests ?? {}, options.isLinkPreview),
    tickets: {
      ttlSeconds: options.tickets?.ttlSeconds ?? 10,
      redis: options.tickets?.redis,
      keyPrefix: options.tickets?.keyPrefix ?? 'visitor-pass:',
      commandTimeout: options.tickets?.commandTimeout ?? 2000,
      path: options.tickets?.path ?? '/visitor-pass/ticket',
    },
  };
  const parsed = optionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue.path.map(String).join('.');
    const top = String(issue.path[0]);
    const env = ENV_NAMES[top] && (options as any)[top] === undefined ? ` (from env ${ENV_NAMES[top]})` : '';
    const value = (input as any)[top];
    const got = issue.path.length === 1 && ['string', 'number', 'boolean'].includes(typeof value) ? ` (got ${JSON.stringify(value)})` : '';
    throw new VisitorPassOptionsError(`option \`${name}\`${env} ${issue.message}${got}.`);
  }
  return parsed.data as ResolvedOptions;
}
