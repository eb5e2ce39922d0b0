import { EventEmitter, on } from 'node:events';
import type { createClient } from 'redis';

/** A node-redis client, as `createClient()` makes it. */
export type RedisClient = ReturnType<typeof createClient>;

export type ReferenceEventKind = 'OPENED' | 'DRAFT_SAVED' | 'SUBMITTED';

/** What Fred sees live about a reference he asked for. */
export interface ReferenceEvent {
  /** The user who asked (the pass's inviter): only they receive it. */
  requesterId: number;
  visitorId: string;
  visitorName: string;
  event: ReferenceEventKind;
  /** ISO time, so the event crosses Redis unchanged. */
  at: string;
}

/**
 * The live feed behind `Subscription.referenceEvents`: events are published
 * where they happen (the link opened, a draft saved, the reference
 * submitted) and delivered to the requester's subscriptions. In one process
 * an EventEmitter carries them; with Redis, every instance publishes to one
 * channel and each delivers to its own subscribers, so Fred connected to A
 * hears Ginger working on B.
 */
export interface ReferenceFeed {
  /** Fire and forget: a lost event costs a live update, never the request that caused it. */
  publish(event: ReferenceEvent): void;
  /** The requester's events from now on, until the subscription's `return()`. */
  subscribe(requesterId: number): AsyncIterableIterator<ReferenceEvent>;
  /** How many subscriptions of the requester this instance holds now (what a test waits for before acting). */
  listening(requesterId: number): number;
  close(): Promise<void>;
}

const channelOf = (requesterId: number) => `requester:${requesterId}`;

/** The requester's events off the emitter; `return()` removes the listener at once, even while waiting. */
function eventsOf(emitter: EventEmitter, requesterId: number): AsyncIterableIterator<ReferenceEvent> {
  const arguments_ = on(emitter, channelOf(requesterId)) as AsyncIterableIterator<[ReferenceEvent]>;
  const iterator: AsyncIterableIterator<ReferenceEvent> = {
    async next() {
      const next = await arguments_.next();
      return next.done ? { done: true, value: undefined } : { done: false, value: next.value[0] };
    },
    async return() {
      await arguments_.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

function deliver(emitter: EventEmitter, event: ReferenceEvent): void {
  emitter.emit(channelOf(event.requesterId), event);
}

/** One process: the events stay in it. */
export function memoryFeed(): ReferenceFeed {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish: (event) => deliver(emitter, event),
    subscribe: (requesterId) => eventsOf(emitter, requesterId),
    listening: (requesterId) => emitter.listenerCount(channelOf(requesterId)),
    async close() {
      emitter.removeAllListeners();
    },
  };
}

function parseEvent(message: string): ReferenceEvent | null {
  try {
    const event = JSON.parse(message) as ReferenceEvent;
    return Number.isInteger(event?.requesterId) && typeof event.visitorName === 'string' ? event : null;
  } catch {
    return null;
  }
}

/**
 * Several instances: PUBLISH on `channel` of the shared Redis; a subscriber
 * connection of its own (a subscribed connection can do nothing else) hands
 * what arrives, this instance's own events included, to local subscribers.
 */
export async function redisFeed(client: RedisClient, channel: string, onError: (error: Error) => void): Promise<ReferenceFeed> {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const subscriber = client.duplicate();
  subscriber.on('error', onError);
  await subscriber.connect();
  await subscriber.subscribe(channel, (message) => {
    const event = parseEvent(String(message));
    if (event) deliver(emitter, event);
  });
  return {
    publish(event) {
      client.publish(channel, JSON.stringify(event)).catch(onError);
    },
    subscribe: (requesterId) => eventsOf(emitter, requesterId),
    listening: (requesterId) => emitter.listenerCount(channelOf(requesterId)),
    async close() {
      emitter.removeAllListeners();
      await subscriber.close().catch(() => subscriber.destroy());
    },
  };
}
