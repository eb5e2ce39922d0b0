import { resolve } from 'node:path';
import { createReferenceApp } from './app';

const DAY = 24 * 3600;

/**
 * `npm start`: the Fred & Ginger app on PORT (4000), data in DATABASE_URL (a SQLite file here by default);
 * with REDIS_URL, sessions, realtime tickets and live events in that Redis.
 */
async function main(): Promise<void> {
  const port = Number(process.env.PORT || 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number (got ${process.env.PORT}).`);
  const reference = await createReferenceApp({
    databaseUrl: process.env.DATABASE_URL || `sqlite:${resolve('reference-request.sqlite')}`,
    port,
    linkBaseUrl: process.env.LINK_BASE_URL || undefined,
    sessionSecret: process.env.SESSION_SECRET || undefined,
    // Set for several instances: shared sessions, realtime tickets and live events.
    redisUrl: process.env.REDIS_URL || undefined,
    redisKeyPrefix: process.env.REDIS_KEY_PREFIX || undefined,
  });
  const url = await reference.start();
  console.log(
    `Reference request example listening on ${url} (GraphQL at ${url}/graphql, subscriptions at ${url.replace(/^http/, 'ws')}/graphql, ` +
      `health at ${url}/healthz; sessions in ${reference.redis ? 'Redis' : 'the database'})`,
  );

  // Cleanup runs here, not with the `visitor-pass cleanup` CLI: only in-process does the
  // `expired` listener delete the guestbook entries of the guests that go.
  const cleanUp = () =>
    reference.pass.cleanup({ olderThanSeconds: 30 * DAY }).then(
      ({ passes, guests, logs }) => {
        if (passes + guests + logs > 0) console.log(`Cleanup: deleted ${passes} visitor passes, ${guests} guests and ${logs} log rows.`);
      },
      (error) => console.error('Cleanup failed:', error),
    );
  void cleanUp();
  const cleanupTimer = setInterval(cleanUp, DAY * 1000);
  cleanupTimer.unref();

  let stopping = false;
  const shutDown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    clearInterval(cleanupTimer);
    console.log(`${signal}: shutting down`);
    reference.stop().then(
      () => console.log('Stopped.'),
      (error) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', shutDown);
  process.on('SIGINT', shutDown);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
