import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';

export const ROOT = resolve(__dirname, '..', '..');
export const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const MAIN = join(ROOT, 'dist', 'examples', 'reference-request', 'main.js');

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

/** The newest modification time (ms) under `dir`, for .ts files. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.graphql')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * `dist/` as `npm start` runs it: rebuilt (`npm run build`) unless it is
 * newer than every source of src/, schema/ and examples/.
 */
export function buildOnce(): void {
  const sources = Math.max(...['src', 'schema', 'examples'].map((dir) => newestSource(join(ROOT, dir))));
  if (existsSync(MAIN) && statSync(MAIN).mtimeMs > sources && statSync(join(ROOT, 'dist', 'src', 'index.js')).mtimeMs > sources) return;
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
}

export interface ExampleProcess {
  name: string;
  base: string;
  port: number;
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then waits for the exit; resolves to the exit code (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
}

/** Waits until GET /healthz answers 200, or the process exits, or `timeoutMs` pass. */
export async function waitForHealthy(base: string, isAlive: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive()) throw new Error(`${base}: the process exited before it was healthy`);
    try {
      const response = await fetch(`${base}/healthz`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${base}: not healthy after ${timeoutMs} ms`);
    await new Promise((wait) => setTimeout(wait, 100));
  }
}

/** `node dist/examples/reference-request/main.js` with `env` on `port` (default: a free one), once healthy. */
export async function startExampleProcess(name: string, env: Record<string, string>, port?: number): Promise<ExampleProcess> {
  port ??= await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((resolveExit) =>
    child.once('exit', (code) => {
      exited = code;
      resolveExit(code);
    }),
  );
  const base = `http://localhost:${port}`;
  const processHandle: ExampleProcess = {
    name,
    base,
    port,
    child,
    output: () => output,
    async stop(graceMs = 10_000) {
      if (exited !== undefined) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  try {
    await waitForHealthy(base, () => exited === undefined);
  } catch (error) {
    await processHandle.stop(1000);
    throw new Error(`${name}: ${(error as Error).message}\n${output}`);
  }
  return processHandle;
}

/**
 * One browser: a cookie jar for `localhost` whatever the port (browsers do
 * not scope cookies by port), a browser User-Agent, redirects not followed.
 */
export class Browser {
  private readonly cookies = new Map<string, string>();

  constructor(readonly userAgent = BROWSER) {}

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async fetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...init.headers };
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader();
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair, ...attributes] = cookie.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const expired = attributes.some((attribute) => {
        const [key, value = ''] = attribute.trim().split('=');
        return (key.toLowerCase() === 'max-age' && Number(value) <= 0) || (key.toLowerCase() === 'expires' && Date.parse(value) <= Date.now());
      });
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(at + 1).trim());
    }
    return response;
  }

  /** POST /graphql on `base`; the JSON body and status. */
  async gql(base: string, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: any }> {
    const response = await this.fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: await response.json() };
  }

  /** POST /visitor-pass/ticket on `base`: the ticket (throws on anything but 200). */
  async ticket(base: string): Promise<string> {
    const response = await this.fetch(`${base}/visitor-pass/ticket`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const body = (await response.json()) as { ticket: string };
    if (response.status !== 200) throw new Error(`ticket on ${base}: ${response.status} ${JSON.stringify(body)}`);
    return body.ticket;
  }
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** Date.now() when the close arrived. */
  at: number;
}

type Message = { type: string; id?: string; payload?: any };

/**
 * A raw graphql-transport-ws connection (what graphql-ws's client speaks),
 * to see exactly how the server answers: `connection_ack`, or a close with
 * its code and reason.
 */
export class GraphqlSocket {
  readonly ws: WebSocket;
  /** 'ack' once admitted, or how the socket closed before that. */
  readonly admitted: Promise<'ack' | CloseInfo>;
  readonly closed: Promise<CloseInfo>;
  private readonly messages: Message[] = [];
  private readonly waiters: Array<() => void> = [];

  constructor(url: string, connectionParams: Record<string, unknown>) {
    this.ws = new WebSocket(url, 'graphql-transport-ws');
    this.closed = new Promise((resolveClosed) => {
      this.ws.once('close', (code, reason) => resolveClosed({ code, reason: reason.toString(), at: Date.now() }));
    });
    this.admitted = new Promise((resolveAdmitted) => {
      this.closed.then(resolveAdmitted);
      this.ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as Message;
        if (message.type === 'connection_ack') resolveAdmitted('ack');
        else if (message.type === 'ping') this.send({ type: 'pong' });
        else {
          this.messages.push(message);
          this.waiters.splice(0).forEach((wake) => wake());
        }
      });
    });
    this.ws.once('open', () => this.send({ type: 'connection_init', payload: connectionParams }));
    this.ws.on('error', () => undefined);
  }

  send(message: Message): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>): void {
    this.send({ id, type: 'subscribe', payload: { query, variables } });
  }

  /** The next message for operation `id` (next, error or complete); rejects after `timeoutMs`. */
  async next(id: string, timeoutMs = 5000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.messages.findIndex((message) => message.id === id);
      if (at >= 0) return this.messages.splice(at, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message for operation ${id} within ${timeoutMs} ms`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }
}

/** ws://host:port/graphql for an http:// base. */
export const wsUrlOf = (base: string) => `${base.replace(/^http/, 'ws')}/graphql`;

/** Polls `condition` every 20 ms until it holds; throws after `timeoutMs`. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not met within ${timeoutMs} ms`);
    await new Promise((wait) => setTimeout(wait, 20));
  }
}
