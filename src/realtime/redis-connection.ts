import { createClient } from 'redis';
import type { RedisClientLike, RedisConnectionOptions } from '../options';

/** The few Redis operations tickets need, over node-redis or ioredis alike. */
export interface RedisConnection {
  /** One raw command, e.g. `['GETDEL', key]`. */
  command(args: string[]): Promise<unknown>;
  /** Listens on `channel` over a connection of its own (a subscribed connection can do nothing else). */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<void>;
  /** Closes the connections this package opened; a client of the host's stays open. */
  close(): Promise<void>;
}

type NodeRedisClient = ReturnType<typeof createClient>;
type IoRedisClient = {
  call: (command: string, ...args: string[]) => Promise<unknown>;
  duplicate: () => IoRedisClient;
  subscribe: (channel: string) => Promise<unknown>;
  on: (event: string, listener: (...args: any[]) => void) => unknown;
  quit: () => Promise<unknown>;
};

function isIoRedis(client: RedisClientLike): client is RedisClientLike & IoRedisClient {
  return typeof (client as { call?: unknown }).call === 'function';
}

/** Commands fail at once while disconnected (no offline queue): a caller gets 503, not a hang. */
function ownClient(redis: string | RedisConnectionOptions): NodeRedisClient {
  if (typeof redis === 'string') return createClient({ url: redis, disableOfflineQueue: true, socket: { connectTimeout: 2000 } });
  return createClient({
    disableOfflineQueue: true,
    database: redis.db,
    username: redis.username,
    password: redis.password,
    socket: { host: redis.host ?? '127.0.0.1', port: redis.port ?? 6379, connectTimeout: redis.connectTimeout ?? 2000 },
  });
}

const CLOSE_WAIT_MS = 2000;

/**
 * Closes a client. One still connecting is let finish first (for a while):
 * stopped mid-way, its connection would still open afterwards and stay.
 */
async function shut(client: NodeRedisClient, connected: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
  await Promise.race([connected.catch(() => undefined), waited]);
  clearTimeout(timer);
  if (client.isReady) await client.close().catch(() => client.destroy());
  else if (client.isOpen) client.destroy();
}

/**
 * `connecting`: the first connection of a client this package opened.
 * Commands wait for it (a pass serves before Redis has answered once);
 * after it, commands fail at once while Redis is away.
 */
function nodeRedisConnection(client: NodeRedisClient, connecting: Promise<void> | null, onError: (error: Error) => void): RedisConnection {
  const subscribers: Array<{ subscriber: NodeRedisClient; connected: Promise<unknown> }> = [];
  return {
    async command(args) {
      if (connecting && !client.isReady) await connecting;
      return client.sendCommand(args);
    },
    async subscribe(channel, onMessage) {
      const subscriber = client.duplicate({ disableOfflineQueue: false });
      subscriber.on('error', onError);
      const connected = subscriber.connect();
      subscribers.push({ subscriber, connected });
      await connected;
      await subscriber.subscribe(channel, (message) => onMessage(String(message)));
    },
    async close() {
      const own = connecting ? [shut(client, connecting)] : [];
      await Promise.all([...own, ...subscribers.map(({ subscriber, connected }) => shut(subscriber, connected))]);
    },
  };
}

function ioRedisConnection(client: IoRedisClient, onError: (error: Error) => void): RedisConnection {
  const subscribers: IoRedisClient[] = [];
  return {
    command: ([name, ...args]) => client.call(name, ...args),
    async subscribe(channel, onMessage) {
      const subscriber = client.duplicate();
      subscriber.on('error', onError);
      subscribers.push(subscriber);
      subscriber.on('message', (from: string, message: string) => {
        if (from === channel) onMessage(message);
      });
      await subscriber.subscribe(channel);
    },
    async close() {
      await Promise.all(subscribers.map((subscriber) => subscriber.quit().catch(() => undefined)));
    },
  };
}

/**
 * A connection from the `tickets.redis` option: a URL or options open a
 * client of this package's own (reconnecting in the background after a
 * Redis restart); a client of the host's is used as it is.
 */
export function connectRedis(redis: string | RedisConnectionOptions | RedisClientLike, onError: (error: Error) => void): RedisConnection {
  if (typeof redis === 'string' || !('duplicate' in redis)) {
    const client = ownClient(redis);
    client.on('error', onError);
    const connecting = client.connect().then(
      () => undefined,
      (error: Error) => onError(error),
    );
    return nodeRedisConnection(client, connecting, onError);
  }
  if (isIoRedis(redis)) return ioRedisConnection(redis, onError);
  return nodeRedisConnection(redis as unknown as NodeRedisClient, null, onError);
}
