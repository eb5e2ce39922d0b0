import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { createClient } from 'redis';
import type { TicketOptions, VisitorPass } from '../../src';

/**
 * The Redis the realtime suites share, e.g. redis://127.0.0.1:6379. CI sets
 * it; without it the Redis suites are skipped (with a one-line notice), as
 * PostgreSQL and MySQL are in databases.ts.
 */
export const REDIS_URL = process.env.VISITOR_PASS_TEST_REDIS_URL;

export function requireRedisUrl(): string {
  if (!REDIS_URL) throw new Error('VISITOR_PASS_TEST_REDIS_URL is not set');
  return REDIS_URL;
}

/** One line in the output saying a suite did not run against Redis. */
export function noticeWithoutRedis(suite: string): void {
  if (!REDIS_URL) console.log(`${suite}: Redis cases skipped (VISITOR_PASS_TEST_REDIS_URL is not set)`);
}

/** `describe` when a Redis URL is set, `describe.skip` (and a notice) otherwise. */
export function describeWithRedis(suite: string): jest.Describe {
  noticeWithoutRedis(suite);
  return REDIS_URL ? describe : describe.skip;
}

/** A key prefix no other suite (or run) uses, so suites can share one Redis in parallel. */
export function uniquePrefix(suite: string): string {
  return `vp-test:${suite}:${randomBytes(4).toString('hex')}:`;
}

/**
 * How `tickets.redis` is given: the in-process memory store (no Redis), a
 * URL, connection options, or a connected client of the host's.
 */
export type TicketStoreKind = 'memory' | 'redis URL' | 'redis options' | 'node-redis client' | 'ioredis client';

/** Memory always; every Redis way of configuring it when the Redis URL is set. */
export const ticketStoreKinds: TicketStoreKind[] = [
  'memory',
  ...(REDIS_URL ? (['redis URL', 'redis options', 'node-redis client', 'ioredis client'] as const) : []),
];

/** Memory always; Redis (by URL) when the Redis URL is set. */
export const basicTicketStoreKinds: TicketStoreKind[] = ['memory', ...(REDIS_URL ? (['redis URL'] as const) : [])];

export interface TicketStoreSetup {
  /** The `tickets.redis` option, undefined for memory. */
  redis: TicketOptions['redis'];
  /** Closes what the test opened (a host client); the pass closes its own. */
  close(): Promise<void>;
}

export async function ticketStoreSetup(kind: TicketStoreKind): Promise<TicketStoreSetup> {
  const none = async () => undefined;
  switch (kind) {
    case 'memory':
      return { redis: undefined, close: none };
    case 'redis URL':
      return { redis: requireRedisUrl(), close: none };
    case 'redis options': {
      const url = new URL(requireRedisUrl());
      return { redis: { host: url.hostname, port: Number(url.port || 6379) }, close: none };
    }
    case 'node-redis client': {
      const client = await redisClient();
      return { redis: client as unknown as TicketOptions['redis'], close: async () => void (await client.close()) };
    }
    case 'ioredis client': {
      const client = new Redis(requireRedisUrl(), { maxRetriesPerRequest: 1 });
      await client.ping();
      return { redis: client as unknown as TicketOptions['redis'], close: async () => void (await client.quit()) };
    }
  }
}

/** A connected node-redis client, for looking into Redis from a test. */
export async function redisClient(url = requireRedisUrl()) {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export type TestRedisClient = Awaited<ReturnType<typeof redisClient>>;

/** Deletes every key under `prefix` (a suite's clean-up). */
export async function deleteKeys(client: TestRedisClient, prefix: string): Promise<void> {
  const keys = await client.keys(`${prefix}*`);
  if (keys.length > 0) await client.del(keys);
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** True when a Redis server answers PING on `port` within `timeoutMs`. */
export function answersPing(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      answer += data.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}

export interface RedisServer {
  port: number;
  url: string;
  child: ChildProcess;
  /** Kills the server (SIGKILL by default: a crash) and waits until it exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `redis-server` on `port` (a free one by default) with no
 * persistence, and waits until it answers PING. Rejects, with a message
 * saying so, when `redis-server` is not on PATH.
 */
export async function startRedisServer(port?: number): Promise<RedisServer> {
  const listenOn = port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(listenOn), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (data) => (output += data.toString()));
  child.stderr?.on('data', (data) => (output += data.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === 'ENOENT' ? 'redis-server is not on PATH: the Redis fault suite needs it' : `redis-server failed: ${error.message}`)),
    );
    child.once('exit', (code, signal) => reject(new Error(`redis-server exited (${code ?? signal}) before answering PING:\n${output}`)));
  });
  failed.catch(() => undefined);

  const ready = (async () => {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await answersPing(listenOn)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`redis-server on port ${listenOn} did not answer PING within 10 s:\n${output}`);
  })();
  try {
    await Promise.race([ready, failed]);
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw error;
  }

  return {
    port: listenOn,
    url: `redis://127.0.0.1:${listenOn}`,
    child,
    async stop(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

/**
 * Waits until `pass` answers a ticket look-up without VISITOR_PASS_UNAVAILABLE:
 * a pass opening its own Redis client connects in the background, and
 * commands fail until it has (see realtime-redis-faults.test.ts).
 */
export async function untilTicketsAnswer(pass: VisitorPass, timeoutMs = 5000): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await pass.tickets.consume(randomBytes(32).toString('base64url'));
      return Date.now() - started;
    } catch (error) {
      if (Date.now() - started > timeoutMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
