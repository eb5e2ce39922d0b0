// npm run bench [-- --quick] [--cleanup-size N] [--no-cleanup]
// Each server variant runs in its own process; autocannon drives them from this one, on loopback,
// interleaved (A B C D A B C D …) after a warm-up; medians of the rounds are reported.
import { fork, execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ROOT,
  require,
  loadPackage,
  SCENARIOS,
  VARIANTS,
  SCOPE,
  sessionCookie,
  PG_URL,
  pgDatabaseUrl,
  median,
} from './shared.mjs';
import { renderChart } from './chart.mjs';

const autocannon = require('autocannon');
const { Client } = require('pg');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const QUICK = flag('--quick');
const CONFIG = QUICK
  ? { mode: 'quick', rounds: 3, duration: 1, warmup: 0.5, connections: 10, redeemRounds: 2, redeemAmount: 1000, cleanupSize: 20000 }
  : { mode: 'full', rounds: 5, duration: 4, warmup: 2, connections: 10, redeemRounds: 3, redeemAmount: 2000, cleanupSize: 1000000 };
CONFIG.cleanupSize = option('--cleanup-size', CONFIG.cleanupSize);
CONFIG.cleanup = !flag('--no-cleanup');

const WORK = join(os.tmpdir(), 'graphql-visitor-pass-bench');
const RESULTS = join(ROOT, 'bench', 'results');
const REDEEM_PG_DB = 'visitor_pass_bench_redeem';
const say = (line) => process.stderr.write(`${line}\n`);
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;

// ---------------------------------------------------------------------------------------------
// Children
function startServer(variant, env) {
  const child = fork(join(ROOT, 'bench', 'server.mjs'), [], {
    env: { ...process.env, VARIANT: variant, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const pending = new Map();
  const ready = new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${variant} exited with ${code} before listening`)));
    child.on('message', (message) => {
      if (message.ready) resolve(message.port);
      else if (pending.has(message.id)) {
        const { resolve: done, reject: fail } = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) fail(new Error(`${variant}: ${message.error}`));
        else done(message);
      }
    });
  });
  const ask = (cmd, extra = {}) =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      child.send({ cmd, id, ...extra });
    });
  return ready.then((port) => ({ variant, port, url: `http://127.0.0.1:${port}/graphql`, child, ask, stop: () => ask('stop').catch(() => child.kill()) }));
}

async function post(url, body, headers = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

function load(url, { duration, body, headers, connections = CONFIG.connections, amount, requests }) {
  const options = { url, method: 'POST', connections, headers: { 'content-type': 'application/json', ...headers } };
  if (amount) options.amount = amount;
  else options.duration = duration;
  if (body) options.body = body;
  if (requests) options.requests = requests;
  return autocannon(options);
}

const summarise = (result) => ({
  reqPerSec: result.requests.total / result.duration,
  p50: result.latency.p50,
  p99: result.latency.p99,
  errors: result.errors + result.timeouts,
  non2xx: result.non2xx,
});

// ---------------------------------------------------------------------------------------------
// Data
async function prepareSqlite() {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const template = join(WORK, 'template.sqlite');
  const { createVisitorPass } = loadPackage();
  const pass = createVisitorPass({ databaseUrl: `sqlite:${template}`, linkBaseUrl: 'http://127.0.0.1/reference' });
  await pass.migrate();
  const now = new Date();
  const visitor = await pass.models.Visitor.create({
    firstName: 'Ginger',
    lastName: 'Rogers',
    email: 'ginger@example.com',
    scope: SCOPE,
    expiresAt: new Date(now.getTime() + 7 * 24 * 3600 * 1000),
    useCount: 1,
    redeemedAt: now,
    lastSeenAt: now,
  });
  await pass.close();
  const files = {};
  for (const variant of [...VARIANTS, 'redeem']) {
    files[variant] = join(WORK, `${variant}.sqlite`);
    copyFileSync(template, files[variant]);
  }
  return { visitorId: visitor.id, files };
}

async function recreatePg(name) {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
}

// ---------------------------------------------------------------------------------------------
// (a) (b) (c): the HTTP scenarios, interleaved
async function httpScenarios(sqlite) {
  say(`[${elapsed()}] starting ${VARIANTS.join(', ')} (one process each)`);
  const servers = await Promise.all(
    VARIANTS.map((variant) => startServer(variant, { DATABASE_URL: `sqlite:${sqlite.files[variant]}`, VISITOR_ID: sqlite.visitorId })),
  );
  const cookie = sessionCookie();
  try {
    // Every variant must answer every scenario correctly (data, no errors) before it is timed.
    for (const server of servers) {
      for (const scenario of SCENARIOS) {
        const { status, body } = await post(server.url, { query: scenario.query }, { cookie });
        if (status !== 200 || body.errors || !scenario.check(body.data)) {
          throw new Error(`${server.variant} ${scenario.id}: bad answer ${status} ${JSON.stringify(body).slice(0, 300)}`);
        }
      }
    }

    // Database queries and session-store writes per request (visitor-pass), via Sequelize's logging hook.
    const vp = servers.find((s) => s.variant === 'visitor-pass');
    const queries = {};
    for (const [label, headers] of [
      ['visitor', { cookie }],
      ['no visitor', {}],
    ]) {
      await vp.ask('count-start');
      for (let i = 0; i < 10; i += 1) await post(vp.url, { query: SCENARIOS[0].query }, headers);
      const counted = await vp.ask('count-stop');
      queries[label] = {
        requests: 10,
        statementsPerRequest: counted.statements.length / 10,
        sample: counted.statements[0]?.replace(/^Executing \(default\): /, '').slice(0, 140) ?? null,
        accessLogStatementsWhenFlushed: counted.flushed.length,
        storeSetsPerRequest: counted.storeWrites.set / 10,
        storeTouchesPerRequest: counted.storeWrites.touch / 10,
      };
    }

    say(`[${elapsed()}] warm-up ${CONFIG.warmup}s per variant and scenario`);
    for (const scenario of SCENARIOS) {
      for (const server of servers) await load(server.url, { duration: CONFIG.warmup, body: JSON.stringify({ query: scenario.query }), headers: { cookie } });
    }

    const rounds = {};
    for (let round = 1; round <= CONFIG.rounds; round += 1) {
      for (const scenario of SCENARIOS) {
        for (const server of servers) {
          const result = summarise(await load(server.url, { duration: CONFIG.duration, body: JSON.stringify({ query: scenario.query }), headers: { cookie } }));
          if (result.errors || result.non2xx) throw new Error(`${server.variant} ${scenario.id}: ${result.errors} errors, ${result.non2xx} non-2xx`);
          ((rounds[scenario.id] ??= {})[server.variant] ??= []).push(result);
        }
      }
      say(`[${elapsed()}] round ${round}/${CONFIG.rounds} done`);
    }
    return { rounds, queries };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

// ---------------------------------------------------------------------------------------------
// (d) redemptions per second: redeemVisitorPass with fresh, pre-created one-use tokens
async function redemptions(sqlite) {
  const out = {};
  await recreatePg(REDEEM_PG_DB);
  for (const [label, url] of [
    ['SQLite', `sqlite:${sqlite.files.redeem}`],
    ['PostgreSQL', pgDatabaseUrl(REDEEM_PG_DB)],
  ]) {
    say(`[${elapsed()}] (d) redemptions on ${label}`);
    const server = await startServer('visitor-pass', { DATABASE_URL: url });
    const query = 'mutation Redeem($token: String!) { redeemVisitorPass(token: $token) { id scope } }';
    try {
      const runs = [];
      // A first, untimed batch warms the server and the database up.
      for (let round = 0; round <= CONFIG.redeemRounds; round += 1) {
        const amount = round === 0 ? Math.min(500, CONFIG.redeemAmount) : CONFIG.redeemAmount;
        const { tokens } = await server.ask('tokens', { n: amount });
        let next = 0;
        let refused = 0;
        const result = await load(server.url, {
          amount,
          requests: [
            {
              setupRequest: (request) => ({ ...request, body: JSON.stringify({ query, variables: { token: tokens[next++] } }) }),
              onResponse: (status, body) => {
                if (status !== 200 || !String(body).includes('"redeemVisitorPass":{')) refused += 1;
              },
            },
          ],
        });
        const summary = { ...summarise(result), refused };
        if (summary.errors || summary.non2xx || refused) throw new Error(`redemption on ${label}: ${JSON.stringify(summary)}`);
        if (round > 0) runs.push(summary);
      }
      out[label] = runs;
    } finally {
      await server.stop();
    }
  }
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${REDEEM_PG_DB} WITH (FORCE)`);
  await client.end();
  return out;
}

async function runJsonScript(script, args, nodeArgs = []) {
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeArgs, join(ROOT, 'bench', script), ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').pop());
}

// ---------------------------------------------------------------------------------------------
// Report
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (x) => `${x.toFixed(2)}×`;

function medianOf(runs) {
  return {
    reqPerSec: median(runs.map((r) => r.reqPerSec)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    min: Math.min(...runs.map((r) => r.reqPerSec)),
    max: Math.max(...runs.map((r) => r.reqPerSec)),
    rounds: runs.length,
  };
}

function report(all) {
  const lines = [];
  const { http, redeem, transform, cleanup } = all;
  const med = {};
  for (const scenario of SCENARIOS) {
    med[scenario.id] = {};
    for (const variant of VARIANTS) med[scenario.id][variant] = medianOf(http.rounds[scenario.id][variant]);
  }
  lines.push(`### Requests (median of ${CONFIG.rounds} rounds × ${CONFIG.duration} s, ${CONFIG.connections} connections)`, '');
  lines.push('| scenario | variant | req/s | p50 ms | p99 ms | req/s range over rounds | × bare |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const scenario of SCENARIOS) {
    const bare = med[scenario.id].bare.reqPerSec;
    for (const variant of VARIANTS) {
      const m = med[scenario.id][variant];
      lines.push(`| ${scenario.title} | ${variant} | ${fmt(m.reqPerSec)} | ${fmt(m.p50)} | ${fmt(m.p99)} | ${fmt(m.min)}–${fmt(m.max)} | ${ratio(m.reqPerSec / bare)} |`);
    }
  }
  lines.push('', '### visitor-pass against each peer (req/s ratio, > 1 means visitor-pass is faster)', '');
  lines.push('| scenario | vs bare | vs diy-directive | vs graphql-shield |', '| --- | ---: | ---: | ---: |');
  for (const scenario of SCENARIOS) {
    const vp = med[scenario.id]['visitor-pass'].reqPerSec;
    const cells = ['bare', 'diy-directive', 'graphql-shield'].map((peer) => ratio(vp / med[scenario.id][peer].reqPerSec));
    lines.push(`| ${scenario.title} | ${cells.join(' | ')} |`);
  }
  lines.push('', `### (d) Redemptions (redeemVisitorPass, fresh one-use tokens, median of ${CONFIG.redeemRounds} rounds × ${fmt(CONFIG.redeemAmount)} requests)`, '');
  lines.push('| database | redemptions/s | p50 ms | p99 ms | range over rounds |', '| --- | ---: | ---: | ---: | ---: |');
  const redeemMed = {};
  for (const [db, runs] of Object.entries(redeem)) {
    const m = (redeemMed[db] = medianOf(runs));
    lines.push(`| ${db} | ${fmt(m.reqPerSec)} | ${fmt(m.p50)} | ${fmt(m.p99)} | ${fmt(m.min)}–${fmt(m.max)} |`);
  }
  lines.push('', '### Database queries and session-store writes per request (visitor-pass, `{ secret }`, 10 requests)', '');
  lines.push('| caller | SQL statements / request | first statement | store set / request | store touch / request | ACCESS-log statements at the next flush |');
  lines.push('| --- | ---: | --- | ---: | ---: | ---: |');
  for (const [caller, q] of Object.entries(http.queries)) {
    lines.push(`| ${caller} | ${q.statementsPerRequest} | ${q.sample ? `\`${q.sample.replace(/\|/g, '\\|')}…\`` : '—'} | ${q.storeSetsPerRequest} | ${q.storeTouchesPerRequest} | ${q.accessLogStatementsWhenFlushed} |`);
  }
  lines.push('', `### Schema transform (${fmt(transform.hostFields)} host fields, ${fmt(transform.schemaObjectFields)} object fields in all; median of ${transform.visitorPass.runs})`, '');
  lines.push('| transform | median ms | min ms | max ms |', '| --- | ---: | ---: | ---: |');
  for (const t of [transform.visitorPass, transform.diyDirective, transform.graphqlShield]) {
    lines.push(`| ${t.label} | ${fmt(t.medianMs, 1)} | ${fmt(t.minMs, 1)} | ${fmt(t.maxMs, 1)} |`);
  }
  if (cleanup) {
    lines.push('', `### Cleanup on PostgreSQL (${fmt(cleanup.expiredPasses)} expired passes + ${fmt(cleanup.logRows)} log rows; ${fmt(cleanup.livePasses)} live passes kept)`, '');
    lines.push('| figure | value |', '| --- | ---: |');
    lines.push(`| deleted | ${fmt(cleanup.result.passes)} passes, ${fmt(cleanup.result.guests)} guests, ${fmt(cleanup.result.logs)} log rows |`);
    lines.push(`| time | ${fmt(cleanup.seconds, 1)} s (batch size ${cleanup.batchSize}, ${fmt(cleanup.statements)} statements) |`);
    lines.push(`| rows/s (passes + logs) | ${fmt(cleanup.rowsPerSecond)} |`);
    lines.push(`| passes/s | ${fmt(cleanup.passesPerSecond)} |`);
    lines.push(`| longest statement | ${fmt(cleanup.longestStatementMs)} ms: \`${cleanup.longestStatement.slice(0, 70).replace(/\|/g, '\\|')}…\` |`);
    for (const [kind, s] of Object.entries(cleanup.byKind)) {
      lines.push(`| ${kind.replace(/"/g, '')} | ${fmt(s.count)} statements, max ${fmt(s.maxMs)} ms, total ${fmt(s.totalMs / 1000, 1)} s |`);
    }
    lines.push(`| RSS start → after 1st batch → peak → end | ${fmt(cleanup.rssStartMB)} → ${fmt(cleanup.rssAfterFirstBatchMB)} → ${fmt(cleanup.rssPeakMB)} → ${fmt(cleanup.rssEndMB)} MB |`);
    lines.push(`| JS heap used start → peak → after a forced GC at the end | ${fmt(cleanup.heapStartMB)} → ${fmt(cleanup.heapPeakMB)} → ${fmt(cleanup.heapAfterGcMB)} MB |`);
    lines.push(`| survivors (expected) | ${fmt(cleanup.survivors.passes)} passes (${fmt(cleanup.survivors.expectedPasses)}), ${fmt(cleanup.survivors.logs)} logs (${fmt(cleanup.survivors.expectedLogs)}) |`);
  }

  // Targets of issue 5
  const vp = (id) => med[id]['visitor-pass'].reqPerSec;
  const of = (id, variant) => med[id][variant].reqPerSec;
  const targets = [
    ['(a) visitor-pass ≥ 0.95 × bare', vp('a') / of('a', 'bare'), 0.95],
    ['(b) visitor-pass ≥ 0.90 × bare', vp('b') / of('b', 'bare'), 0.9],
    ['(b) visitor-pass ≥ 2 × graphql-shield', vp('b') / of('b', 'graphql-shield'), 2],
    ['(c) visitor-pass ≥ 0.99 × bare', vp('c') / of('c', 'bare'), 0.99],
    ...SCENARIOS.map((s) => [`${s.id === 'a' ? '(a)' : s.id === 'b' ? '(b)' : '(c)'} visitor-pass ≥ diy-directive`, vp(s.id) / of(s.id, 'diy-directive'), 1]),
  ].map(([target, value, goal]) => ({ target, measured: ratio(value), met: value >= goal, by: `${((value / goal - 1) * 100).toFixed(1)} %` }));
  targets.push({
    target: 'at most 1 query per visitor request, 0 without a visitor',
    measured: `${http.queries.visitor.statementsPerRequest} / ${http.queries['no visitor'].statementsPerRequest}`,
    met: http.queries.visitor.statementsPerRequest <= 1 && http.queries['no visitor'].statementsPerRequest === 0,
    by: '—',
  });
  targets.push({
    target: '0 session-store writes for a read-only request',
    measured: `set ${http.queries.visitor.storeSetsPerRequest}, touch ${http.queries.visitor.storeTouchesPerRequest} per request`,
    met: http.queries.visitor.storeSetsPerRequest === 0,
    by: '—',
  });
  targets.push({
    target: 'transform of 5,000 fields < 100 ms',
    measured: `${fmt(transform.visitorPass.medianMs, 1)} ms`,
    met: transform.visitorPass.medianMs < 100,
    by: `${fmt(100 - transform.visitorPass.medianMs, 1)} ms to spare`,
  });
  if (cleanup) {
    targets.push({
      target: `cleanup ≥ 50,000 rows/s (${fmt(cleanup.expiredPasses)} passes)`,
      measured: fmt(cleanup.rowsPerSecond),
      met: cleanup.rowsPerSecond >= 50000,
      by: `${((cleanup.rowsPerSecond / 50000 - 1) * 100).toFixed(1)} %`,
    });
    targets.push({
      target: 'no cleanup statement over 1 s',
      measured: `${fmt(cleanup.longestStatementMs)} ms`,
      met: cleanup.longestStatementMs < 1000,
      by: '—',
    });
    const growth = cleanup.rssPeakMB - cleanup.rssAfterFirstBatchMB;
    targets.push({ target: 'cleanup RSS flat (peak within 32 MB of RSS after the first batch)', measured: `+${fmt(growth, 1)} MB`, met: growth <= 32, by: '—' });
  }
  lines.push('', '### Targets (issue 5)', '', '| target | measured | met | margin |', '| --- | ---: | :---: | ---: |');
  for (const t of targets) lines.push(`| ${t.target} | ${t.measured} | ${t.met ? 'met' : '**not met**'} | ${t.by} |`);
  return { markdown: lines.join('\n'), med, redeemMed, targets };
}

// ---------------------------------------------------------------------------------------------
const machine = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  memoryGB: +(os.totalmem() / 1024 ** 3).toFixed(1),
  platform: `${os.type()} ${os.release()}`,
};
say(`graphql-visitor-pass bench, ${CONFIG.mode} mode: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGB} GB, Node ${machine.node}`);
const sqlite = await prepareSqlite();
const http = await httpScenarios(sqlite);
const redeem = await redemptions(sqlite);
say(`[${elapsed()}] schema transform micro-figures`);
const transform = await runJsonScript('transform.mjs', ['20']);
let cleanup = null;
if (CONFIG.cleanup) {
  say(`[${elapsed()}] cleanup of ${fmt(CONFIG.cleanupSize)} expired passes on PostgreSQL`);
  cleanup = await runJsonScript('cleanup.mjs', [String(CONFIG.cleanupSize)], ['--expose-gc']);
}
rmSync(WORK, { recursive: true, force: true });

const all = { machine, config: CONFIG, http, redeem, transform, cleanup };
const { markdown, med, redeemMed, targets } = report(all);
mkdirSync(RESULTS, { recursive: true });
const header = [
  `## Run of ${machine.date}`,
  '',
  `\`npm run bench${QUICK ? ' -- --quick' : ''}${argv.filter((a) => a !== '--quick').length ? ` ${argv.filter((a) => a !== '--quick').join(' ')}` : ''}\` — ${CONFIG.mode} mode, ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGB} GB RAM, Node ${machine.node}, ${machine.platform}; took ${elapsed()}.`,
  '',
].join('\n');
const suffix = QUICK ? '-quick' : '';
writeFileSync(join(RESULTS, `results${suffix}.json`), `${JSON.stringify({ ...all, medians: med, redeemMedians: redeemMed, targets }, null, 2)}\n`);
writeFileSync(join(RESULTS, `results${suffix}.md`), `${header}\n${markdown}\n`);
await renderChart(med, redeemMed, machine, CONFIG, join(RESULTS, `chart${suffix}.svg`));
process.stdout.write(`\n${header}\n${markdown}\n\nWritten: bench/results/results${suffix}.md, results${suffix}.json, chart${suffix}.svg (${elapsed()})\n`);
