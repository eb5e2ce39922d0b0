// What every benchmark process shares: the host schema, its data, the session and the queries.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const require = createRequire(join(ROOT, 'package.json'));

/** The package under test, as users get it: the build in dist/. */
export function loadPackage() {
  return require(join(ROOT, 'dist', 'src', 'index.js'));
}

/** schema/visitor-pass.graphql: every variant serves it, so every variant has the same schema. */
export const passTypeDefs = readFileSync(join(ROOT, 'schema', 'visitor-pass.graphql'), 'utf8');

export const SCOPE = 'BENCH';
export const LIST_SIZE = 1000;

/** The host's SDL. `Item` is a @visitor type; `PublicItem` is the same shape without it. */
export const hostTypeDefs = /* GraphQL */ `
  type Query {
    hello: String
    secret: String @visitor(scope: "${SCOPE}")
    items: [Item!]!
    publicItems: [PublicItem!]!
  }
  type Item @visitor(scope: "${SCOPE}") {
    id: ID!
    name: String
    price: Float
    stock: Int
    available: Boolean
  }
  type PublicItem {
    id: ID!
    name: String
    price: Float
    stock: Int
    available: Boolean
  }
`;

const ITEMS = Array.from({ length: LIST_SIZE }, (_, i) => ({
  id: String(i + 1),
  name: `Item ${i + 1}`,
  price: (i % 97) + 0.5,
  stock: i % 13,
  available: i % 2 === 0,
}));

/** The host's resolvers: plain synchronous data, the same in every variant. */
export function hostResolvers() {
  return {
    Query: {
      hello: () => 'world',
      secret: () => 'the secret',
      items: () => ITEMS,
      publicItems: () => ITEMS,
    },
  };
}

export const SCENARIOS = [
  { id: 'a', title: '(a) one protected field', query: '{ secret }', check: (data) => data?.secret === 'the secret' },
  {
    id: 'b',
    title: '(b) 1,000 @visitor objects × 5 fields',
    query: '{ items { id name price stock available } }',
    check: (data) => data?.items?.length === LIST_SIZE && data.items[999].name === 'Item 1000',
  },
  {
    id: 'c',
    title: '(c) no protected field (1,000 unprotected objects × 5 fields)',
    query: '{ publicItems { id name price stock available } }',
    check: (data) => data?.publicItems?.length === LIST_SIZE,
  },
];

export const VARIANTS = ['bare', 'visitor-pass', 'diy-directive', 'graphql-shield'];

/** express-session: the same options in every variant, a MemoryStore seeded with the same session. */
export const SESSION_SECRET = 'bench-secret';
export const SESSION_ID = 'bench-session-0001';
export const SESSION_KEY = 'visitor:session';
export const COOKIE_NAME = 'connect.sid';

/** The cookie express-session expects for SESSION_ID (cookie-signature's format: s:<id>.<base64 hmac without =>). */
export function sessionCookie() {
  const signature = createHmac('sha256', SESSION_SECRET).update(SESSION_ID).digest('base64').replace(/=+$/, '');
  return `${COOKIE_NAME}=${encodeURIComponent(`s:${SESSION_ID}.${signature}`)}`;
}

/** The session a redeemed visitor has: the pass id and when it was redeemed (what the pass stashes). */
export function visitorSession(visitorId, redeemedAt) {
  return {
    cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' },
    [SESSION_KEY]: { visitorId, redeemedAt },
  };
}

export const PG_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** postgres://…/<name> on the same server as PG_URL. */
export function pgDatabaseUrl(name) {
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export const median = (values) => {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
