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

function nodeRedisConnection(client: NodeRedisClient, owned: boolean, onError: (error: Error) => void): RedisConnection {
  const subscribers: NodeRedisClient[] = [];
  return {
    command: (args) => client.sendCommand(args),
    async subscribe(channel, onMessage) {
      const subscriber = client.duplicate({ disableOfflineQueue: false });
      subscriber.on('error', onError);
      subscribers.push(subscriber);
      await subscriber.connect();
      await subscriber.subscribe(channel, (message) => onMessage(String(message)));
    },
    async close() {
      const all = owned ? [client, ...subscribers] : subscribers;
      await Promise.all(all.map((each) => (each.isOpen ? each.close().catch(() => each.destroy()) : undefined)));
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
    client.connect().catch(onError);
    return nodeRedisConnection(client, true, onError);
  }
  if (isIoRedis(redis)) return ioRedisConnection(redis, onError);
  return nodeRedisConnection(redis as unknown as NodeRedisClient, false, onError);
}
