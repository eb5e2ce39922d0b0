import type { VisitorPassEmitter } from '../events';
import type { TicketStore } from './ticket-store';

/** What the registry needs of a socket: `ws`'s WebSocket fits. */
export interface ClosableSocket {
  close(code?: number, reason?: string): void;
}

/** The longest delay `setTimeout` takes (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** graphql-ws's "Forbidden": the client should not reconnect with the same credentials. */
export const FORBIDDEN = 4403;

interface OpenSocket {
  visitorId: string;
  socket: ClosableSocket;
  sessionHash: string | null;
  timer: NodeJS.Timeout | null;
}

interface SessionsEnded {
  visitorId: string;
  /** Only the sockets of this session; null for every session of the pass. */
  sessionHash: string | null;
  reason: string;
}

/**
 * The WebSockets open per visitor on this instance. When a pass is revoked
 * or a visitor session ends, the news goes through the ticket store's
 * channel (Redis pub/sub with several instances), and every instance closes
 * that visitor's sockets. This instance closes its own at once, even when
 * the channel is down.
 */
export class OpenSockets {
  private readonly byVisitor = new Map<string, Set<OpenSocket>>();
  private readonly bySocket = new Map<ClosableSocket, OpenSocket>();
  private readonly channel: string;

  constructor(
    private readonly store: TicketStore,
    keyPrefix: string,
    private readonly events: VisitorPassEmitter,
  ) {
    this.channel = `${keyPrefix}sessions-ended`;
  }

  /** Starts listening for other instances' news; a failure is reported, sockets then close on their next subscribe. */
  listen(): void {
    this.store
      .listen(this.channel, (message) => {
        const ended = parseEnded(message);
        if (ended) this.close(ended);
      })
      .catch((error: Error) => this.events.emit('unavailable', { error }));
  }

  /** Registers a visitor's socket; it is closed at `closeAt` (ms), when its session runs out. */
  add(visitorId: string, sessionHash: string | null, socket: ClosableSocket, closeAt: number): void {
    const entry: OpenSocket = { visitorId, socket, sessionHash, timer: null };
    const arm = () => {
      const wait = closeAt - Date.now();
      if (wait <= 0) return this.closeOne(entry, 'VISITOR_PASS_EXPIRED');
      // A timer waits at most ~24.8 days (longer ones fire at once): a guest's 30 days takes two.
      entry.timer = setTimeout(arm, Math.min(wait, MAX_TIMER_MS));
      entry.timer.unref();
    };
    let sockets = this.byVisitor.get(visitorId);
    if (!sockets) this.byVisitor.set(visitorId, (sockets = new Set()));
    sockets.add(entry);
    this.bySocket.set(socket, entry);
    arm();
  }

  remove(socket: ClosableSocket): void {
    const entry = this.bySocket.get(socket);
    if (entry) this.forget(entry);
  }

  /** A visitor's sessions ended (`sessionHash` null: all of them): close their sockets here and everywhere. */
  end(visitorId: string, sessionHash: string | null, reason: string): void {
    const ended: SessionsEnded = { visitorId, sessionHash, reason };
    this.close(ended);
    this.store.publish(this.channel, JSON.stringify(ended)).catch((error: Error) => this.events.emit('unavailable', { error }));
  }

  /** On shutdown: 1001 "going away", so clients reconnect elsewhere. */
  closeAll(): void {
    for (const entry of this.bySocket.values()) this.closeOne(entry, 'SERVER_STOPPING', 1001);
  }

  private close({ visitorId, sessionHash, reason }: SessionsEnded): void {
    for (const entry of this.byVisitor.get(visitorId) ?? []) {
      if (sessionHash === null || entry.sessionHash === sessionHash) this.closeOne(entry, reason);
    }
  }

  private closeOne(entry: OpenSocket, reason: string, code = FORBIDDEN): void {
    this.forget(entry);
    entry.socket.close(code, reason);
  }

  private forget(entry: OpenSocket): void {
    if (entry.timer) clearTimeout(entry.timer);
    this.bySocket.delete(entry.socket);
    const sockets = this.byVisitor.get(entry.visitorId);
    sockets?.delete(entry);
    if (sockets?.size === 0) this.byVisitor.delete(entry.visitorId);
  }
}

function parseEnded(message: string): SessionsEnded | null {
  try {
    const ended = JSON.parse(message) as SessionsEnded;
    return typeof ended?.visitorId === 'string' && typeof ended.reason === 'string' ? ended : null;
  } catch {
    return null;
  }
}
