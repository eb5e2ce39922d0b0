// Cleanup at scale on PostgreSQL: N expired passes with 3N log rows (plus N/100 live passes that
// must survive), then pass.cleanup() — what `visitor-pass cleanup` runs — timed statement by
// statement through Sequelize's logging hook (benchmark: true), RSS sampled every 50 ms. Prints JSON.
// usage: node bench/cleanup.mjs <N> [batchSize]
import { performance } from 'node:perf_hooks';
import { require, loadPackage, PG_URL, pgDatabaseUrl } from './shared.mjs';

const { Client } = require('pg');
const { Sequelize } = require('sequelize');
const { createVisitorPass } = loadPackage();

const N = Number(process.argv[2] ?? 20000);
const BATCH = process.argv[3] ? Number(process.argv[3]) : undefined;
const DB = 'visitor_pass_bench_cleanup';
const log = (line) => process.stderr.write(`[cleanup] ${line}\n`);

const admin = new Client({ connectionString: PG_URL });
await admin.connect();
await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
await admin.query(`CREATE DATABASE ${DB}`);
await admin.end();

let statementCount = 0;
const byKind = {};
let longest = { ms: 0, sql: '' };
let recording = false;
const sequelize = new Sequelize(pgDatabaseUrl(DB), {
  benchmark: true,
  // Aggregated as they come: keeping the SQL strings (or slices of them, which V8 backs with the whole
  // 20 kB string) would grow this process's own heap and spoil the RSS figure.
  logging: (sql, ms) => {
    if (!recording) return;
    statementCount += 1;
    const kind = /^Executed \(default\): (SELECT count|SELECT|DELETE FROM "visitor_pass_logs"|DELETE FROM "visitor_pass_visitors")/.exec(sql)?.[1] ?? 'other';
    const entry = (byKind[kind] ??= { count: 0, maxMs: 0, totalMs: 0 });
    entry.count += 1;
    entry.totalMs += ms;
    entry.maxMs = Math.max(entry.maxMs, ms);
    if (ms > longest.ms) longest = { ms, sql: Buffer.from(sql.slice(0, 200)).toString() };
  },
});
const pass = createVisitorPass({ sequelize, linkBaseUrl: 'http://127.0.0.1/reference' });
await pass.migrate();

const t0 = performance.now();
// Expired 60 days ago, never seen: all go with --older-than 30d.
await sequelize.query(`
  INSERT INTO visitor_pass_visitors (id, kind, "firstName", "lastName", email, scope, "tokenHash", url, "expiresAt",
    "sessionExpiry", "isActive", "useCount", "createdAt", "updatedAt")
  SELECT gen_random_uuid(), 'INVITED', 'Visitor', 'No ' || g, 'v' || g || '@example.com', 'BENCH',
    md5(g::text) || md5('t' || g::text), 'http://127.0.0.1/reference', now() - interval '60 days',
    0, true, 1, now() - interval '67 days', now() - interval '67 days'
  FROM generate_series(1, ${N}) AS g`);
// Live passes that must survive.
const live = Math.max(1, Math.floor(N / 100));
await sequelize.query(`
  INSERT INTO visitor_pass_visitors (id, kind, "firstName", "lastName", email, scope, "tokenHash", "expiresAt",
    "sessionExpiry", "isActive", "useCount", "createdAt", "updatedAt")
  SELECT gen_random_uuid(), 'INVITED', 'Live', 'No ' || g, 'live' || g || '@example.com', 'BENCH',
    md5('live' || g::text) || md5('l' || g::text), now() + interval '7 days', 0, true, 0, now(), now()
  FROM generate_series(1, ${live}) AS g`);
// Three log rows per pass (REDEEMED, ACCESS, ACCESS).
await sequelize.query(`
  INSERT INTO visitor_pass_logs ("visitorId", event, "httpMethod", path, "remoteAddr", "userAgent", "statusCode", "createdAt")
  SELECT v.id, e.event, 'POST', '/graphql', '127.0.0.1', 'Mozilla/5.0 (bench)', 200, v."createdAt" + interval '1 hour'
  FROM visitor_pass_visitors v CROSS JOIN (VALUES ('REDEEMED'), ('ACCESS'), ('ACCESS')) AS e(event)`);
await sequelize.query('ANALYZE visitor_pass_visitors; ANALYZE visitor_pass_logs');
const setupSeconds = (performance.now() - t0) / 1000;
log(`inserted ${N} expired + ${live} live passes and ${3 * (N + live)} log rows in ${setupSeconds.toFixed(1)} s`);

global.gc?.();
const rss = [];
const heap = [];
const sample = () => {
  const usage = process.memoryUsage();
  rss.push(usage.rss);
  heap.push(usage.heapUsed);
};
sample();
const sampler = setInterval(sample, 50);
let firstBatchRss = null;
let batches = 0;
recording = true;
const start = performance.now();
const result = await pass.cleanup({
  olderThanSeconds: 30 * 24 * 3600,
  batchSize: BATCH,
  onProgress: () => {
    batches += 1;
    if (batches === 2) firstBatchRss = process.memoryUsage().rss; // after the count and the first batch
  },
});
const seconds = (performance.now() - start) / 1000;
recording = false;
clearInterval(sampler);
sample();

global.gc?.();
const heapAfterGc = process.memoryUsage().heapUsed;
const [[{ passes: passesLeft }]] = await sequelize.query('SELECT count(*)::int AS passes FROM visitor_pass_visitors');
const [[{ logs: logsLeft }]] = await sequelize.query('SELECT count(*)::int AS logs FROM visitor_pass_logs');
await pass.close();
await sequelize.close();
const drop = new Client({ connectionString: PG_URL });
await drop.connect();
await drop.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
await drop.end();

const summary = byKind;
const MB = 1024 * 1024;
process.stdout.write(
  `${JSON.stringify({
    expiredPasses: N,
    logRows: 3 * N,
    livePasses: live,
    batchSize: BATCH ?? 500,
    setupSeconds,
    result,
    seconds,
    rowsPerSecond: (result.passes + result.guests + result.logs) / seconds,
    passesPerSecond: (result.passes + result.guests) / seconds,
    statements: statementCount,
    longestStatementMs: longest.ms,
    longestStatement: longest.sql.replace(/^Executed \(default\): /, '').slice(0, 160),
    byKind: summary,
    rssStartMB: rss[0] / MB,
    rssAfterFirstBatchMB: (firstBatchRss ?? rss[0]) / MB,
    rssPeakMB: Math.max(...rss) / MB,
    rssEndMB: rss[rss.length - 1] / MB,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    heapStartMB: heap[0] / MB,
    heapPeakMB: Math.max(...heap) / MB,
    heapAfterGcMB: heapAfterGc / MB,
    survivors: { passes: passesLeft, logs: logsLeft, expectedPasses: live, expectedLogs: 3 * live },
  })}\n`,
);
