import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type request from 'supertest';
import WebSocket, { WebSocketServer } from 'ws';
import type { RealtimeCaller } from '../../src';
import { gql, type TestApp } from './app';

/**
 * A host schema for WebSocket tests: subscriptions that go on every 50 ms
 * until the client stops them, so a socket stays open.
 */
export const realtimeTypeDefs = /* GraphQL */ `
  type Query {
    publicInfo: String
    secret: String @visitor(scope: "REFERENCE_REQUEST")
    whoami: String
  }
  type Mutation {
    touch: Int!
  }
  type Subscription {
    ticks: Int @visitor(scope: "REFERENCE_REQUEST")
    staffTicks: Int @visitor(scope: "REFERENCE_REQUEST", bypass: "staff")
    "Who the subscription's context holds, once."
    whoami: String
  }
`;

interface RealtimeContext {
  visitor?: { fullName: string; scope: string } | null;
  isVisitor?: boolean;
  user?: { id: string } | null;
}

const who = (context: RealtimeContext) =>
  context.visitor ? `visitor:${context.visitor.fullName}:${context.visitor.scope}` : context.user ? `user:${context.user.id}` : 'anonymous';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 1, 2, 3, … every 50 ms, until the subscription is stopped. */
async function* counting(field: string) {
  for (let n = 1; ; n += 1) {
    yield { [field]: n };
    await sleep(50);
  }
}

export function realtimeResolvers() {
  let touches = 0;
  return {
    Query: {
      publicInfo: () => 'public',
      secret: () => 'secret',
      whoami: (_: unknown, __: unknown, context: RealtimeContext) => who(context),
    },
    Mutation: { touch: () => ++touches },
    Subscription: {
      ticks: { subscribe: () => counting('ticks') },
      staffTicks: { subscribe: () => counting('staffTicks') },
      whoami: {
        subscribe: async function* (_: unknown, __: unknown, context: RealtimeContext) {
          yield { whoami: who(context) };
        },
      },
    },
  };
}

/** The host part of a WebSocket operation's context: the user behind the ticket (ids starting with `staff` are staff). */
export function hostContextOf(caller: RealtimeCaller) {
  return { user: caller.userId ? { id: caller.userId, isStaff: caller.userId.startsWith('staff') } : null };
}

export const ISSUE_TICKET = /* GraphQL */ `
  mutation {
    issueRealtimeTicket {
      ticket
      expiresAt
    }
  }
`;

/** A ticket for the caller of `agent`, through the GraphQL mutation. */
export async function graphqlTicket(agent: request.Agent): Promise<string> {
  const response = await gql(agent, ISSUE_TICKET);
  if (response.body.errors) throw new Error(`no ticket: ${JSON.stringify(response.body.errors)}`);
  return response.body.data.issueRealtimeTicket.ticket;
}

/** A ticket for the caller of `agent`, through the JSON endpoint. */
export async function endpointTicket(agent: request.Agent, path = '/visitor-pass/ticket'): Promise<string> {
  const response = await agent.post(path).set('content-type', 'application/json').send({});
  if (response.status !== 200) throw new Error(`no ticket: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.ticket;
}

export interface Closed {
  code: number;
  reason: string;
  /** Date.now() when the client saw the close. */
  at: number;
}

/** What a subscription received: its `next` payloads, then an error or the completion. */
export interface Feed {
  values: ExecutionResult[];
  error: unknown;
  completed: boolean;
  stop(): void;
}

export interface WsClient {
  client: Client;
  /** Resolves once the server acknowledged the connection (the ticket was accepted). */
  connected: Promise<void>;
  /** Resolves when the socket closed, with the server's code and reason. */
  closed: Promise<Closed>;
  /** The first of the two: 'connected', or how the socket was closed. */
  outcome(): Promise<'connected' | Closed>;
  /** Whether the socket closed yet. */
  isClosed(): boolean;
  subscribe(query: string): Feed;
  dispose(): Promise<void>;
}

export interface RealtimeServer {
  url: string;
  http: Server;
  wss: WebSocketServer;
  /**
   * A graphql-ws client sending `ticket` as `connectionParams.ticket`
   * (none: no ticket at all). It connects at once and never retries, so a
   * refused ticket shows as one close.
   */
  connect(ticket: string | null): WsClient;
  close(): Promise<void>;
}

/**
 * The test app's Express app on an HTTP server on a free port, with
 * graphql-ws on `/graphql` using `pass.graphqlWs()`, as a host wires it.
 */
export async function listenRealtime(app: TestApp): Promise<RealtimeServer> {
  const http = createServer(app.app);
  const wss = new WebSocketServer({ server: http, path: '/graphql' });
  const disposable = useServer({ schema: app.schema, ...app.pass.graphqlWs({ context: (caller) => hostContextOf(caller) }) }, wss);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
  const clients: WsClient[] = [];

  return {
    url,
    http,
    wss,
    connect(ticket) {
      const client = wsClient(url, ticket);
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((client) => client.dispose()));
      for (const socket of wss.clients) socket.terminate();
      await disposable.dispose();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function wsClient(url: string, ticket: string | null): WsClient {
  let onConnected!: () => void;
  let onClosed!: (closed: Closed) => void;
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  const closed = new Promise<Closed>((resolve) => (onClosed = resolve));
  let isClosed = false;
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined,
    connectionParams: ticket === null ? {} : { ticket },
    on: {
      connected: () => onConnected(),
      closed: (event) => {
        isClosed = true;
        const { code, reason } = event as { code: number; reason: string | Buffer };
        onClosed({ code, reason: String(reason), at: Date.now() });
      },
    },
  });
  return {
    client,
    connected,
    closed,
    outcome: () => Promise.race([connected.then(() => 'connected' as const), closed]),
    isClosed: () => isClosed,
    subscribe(query) {
      const feed: Feed = { values: [], error: undefined, completed: false, stop: () => undefined };
      feed.stop = client.subscribe(
        { query },
        {
          next: (value) => void feed.values.push(value as ExecutionResult),
          error: (error) => void (feed.error = error),
          complete: () => void (feed.completed = true),
        },
      );
      return feed;
    },
    async dispose() {
      await client.dispose();
    },
  };
}

/** The error codes a subscription got: in `next` results, and in an `error` message (an array of errors). */
export function feedCodes(feed: Feed): string[] {
  const fromValues = feed.values.flatMap((value) => (value.errors ?? []).map((error) => String(error.extensions?.code)));
  const fromError = Array.isArray(feed.error) ? feed.error.map((error: { extensions?: { code?: string } }) => String(error.extensions?.code)) : [];
  return [...fromValues, ...fromError];
}

/** Polls `condition` every 10 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Resolves with `promise`, or rejects saying `what` did not happen within `timeoutMs`. */
export function within<T>(promise: Promise<T>, what: string, timeoutMs = 3000): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Waits until `feed` got `count` more values than it has now, i.e. the subscription is live. */
export async function moreValues(feed: Feed, count = 2, timeoutMs = 3000): Promise<void> {
  const target = feed.values.length + count;
  await waitUntil(() => feed.values.length >= target, `${count} more values of a subscription`, timeoutMs);
}

export { sleep };
