import { EventEmitter } from 'node:events';
import type { RedisConnection } from './redis-connection';

/**
 * Where tickets live, keyed by a hash of the ticket: created with their
 * expiry in one step, and taken (read and deleted) in one step, so a ticket
 * is consumed exactly once however many callers race for it. It also
 * carries the news that a visitor's sessions ended to every instance.
 */
export interface TicketStore {
  /** Stores `value` under `key` for `ttlSeconds`, unless the key exists; false when it did. */
  put(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** The value, deleted in the same step; null when absent or expired. */
  take(key: string): Promise<string | null>;
  /** Tells every instance (this one too) on `channel`. */
  publish(channel: string, message: string): Promise<void>;
  listen(channel: string, onMessage: (message: string) => void): Promise<void>;
  close(): Promise<void>;
}

const SWEEP_EVERY_MS = 30_000;

/** One process: a Map with expiry times, swept now and then; the channel is an EventEmitter. */
export class MemoryTicketStore implements TicketStore {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  private readonly channels = new EventEmitter();
  private readonly sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS).unref();

  async put(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const existing = this.entries.get(key);
    if (existing && existing.expiresAt > Date.now()) return false;
    this.entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
    return true;
  }

  async take(key: string): Promise<string | null> {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    return entry && entry.expiresAt > Date.now() ? entry.value : null;
  }

  async publish(channel: string, message: string): Promise<void> {
    this.channels.emit(channel, message);
  }

  async listen(channel: string, onMessage: (message: string) => void): Promise<void> {
    this.channels.on(channel, onMessage);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.channels.removeAllListeners();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

/** Several instances: `SET … EX … NX`, `GETDEL` and pub/sub on a shared Redis. */
export class RedisTicketStore implements TicketStore {
  constructor(private readonly redis: RedisConnection) {}

  async put(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.command(['SET', key, value, 'EX', String(ttlSeconds), 'NX'])) !== null;
  }

  async take(key: string): Promise<string | null> {
    const value = await this.redis.command(['GETDEL', key]);
    return value === null || value === undefined ? null : String(value);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.redis.command(['PUBLISH', channel, message]);
  }

  listen(channel: string, onMessage: (message: string) => void): Promise<void> {
    return this.redis.subscribe(channel, onMessage);
  }

  close(): Promise<void> {
    return this.redis.close();
  }
}
