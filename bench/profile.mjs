// node bench/profile.mjs [variant] [scenario a|b|c] [seconds]  (after npm run build)
// Runs one server variant under --cpu-prof, drives one scenario with autocannon, and prints the
// functions with the most self time (the .cpuprofile is kept for a flame-graph viewer, e.g. speedscope).
import { fork } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { ROOT, require, loadPackage, SCENARIOS, SCOPE, sessionCookie } from './shared.mjs';

const autocannon = require('autocannon');
const [variant = 'visitor-pass', scenarioId = 'a', seconds = '10'] = process.argv.slice(2);
const scenario = SCENARIOS.find((s) => s.id === scenarioId);
const work = join(os.tmpdir(), 'graphql-visitor-pass-profile');
const profiles = join(os.tmpdir(), 'graphql-visitor-pass-profiles');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
mkdirSync(profiles, { recursive: true });

const file = join(work, 'db.sqlite');
const { createVisitorPass } = loadPackage();
const pass = createVisitorPass({ databaseUrl: `sqlite:${file}`, linkBaseUrl: 'http://127.0.0.1/reference' });
await pass.migrate();
const visitor = await pass.models.Visitor.create({ firstName: 'Ginger', email: 'g@example.com', scope: SCOPE, expiresAt: new Date(Date.now() + 864e5), useCount: 1 });
await pass.close();
copyFileSync(file, join(work, 'db2.sqlite'));

const before = new Set(readdirSync(profiles));
const child = fork(join(ROOT, 'bench', 'server.mjs'), [], {
  env: { ...process.env, VARIANT: variant, DATABASE_URL: `sqlite:${file}`, VISITOR_ID: visitor.id },
  execArgv: ['--cpu-prof', `--cpu-prof-dir=${profiles}`],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const port = await new Promise((resolve) => child.on('message', (m) => m.ready && resolve(m.port)));
const result = await autocannon({
  url: `http://127.0.0.1:${port}/graphql`,
  method: 'POST',
  connections: 10,
  duration: Number(seconds),
  headers: { 'content-type': 'application/json', cookie: sessionCookie() },
  body: JSON.stringify({ query: scenario.query }),
});
child.send({ cmd: 'stop', id: 1 });
await new Promise((resolve) => child.on('exit', resolve));

const name = readdirSync(profiles).find((f) => !before.has(f) && f.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(join(profiles, name), 'utf8'));
const self = new Map();
const dt = new Map();
for (let i = 0; i < profile.samples.length; i += 1) dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
let total = 0;
for (const node of profile.nodes) {
  const us = dt.get(node.id) ?? 0;
  total += us;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${relative(ROOT, url.replace('file://', ''))}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`;
  self.set(key, (self.get(key) ?? 0) + us);
}
// Self time grouped by package too: what share goes where.
const byPackage = new Map();
for (const [key, us] of self) {
  const where = key.split(' ')[1] ?? '';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ?? (where.startsWith('dist/') ? 'graphql-visitor-pass (dist)' : where.startsWith('bench/') ? 'bench' : where ? 'node internals' : '(native / idle / gc)');
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
}
const pct = (us) => `${((us / total) * 100).toFixed(1)} %`;
console.log(`${variant}, scenario ${scenario.title}: ${Math.round(result.requests.total / result.duration)} req/s under the profiler; profile: ${join(profiles, name)}`);
console.log('\nself time by package:');
for (const [pkg, us] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${pct(us).padStart(7)}  ${pkg}`);
console.log('\ntop functions by self time:');
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${pct(us).padStart(7)}  ${key}`);
rmSync(work, { recursive: true, force: true });
