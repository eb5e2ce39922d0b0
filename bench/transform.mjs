// Micro-figure: time pass.transform takes on a generated schema of 5,000 fields (median of 20),
// next to the docs' DIY directive and graphql-shield's applyMiddleware on the same schema. Prints JSON.
import { performance } from 'node:perf_hooks';
import { require, loadPackage, median } from './shared.mjs';

const { makeExecutableSchema } = require('@graphql-tools/schema');
const { MapperKind, getDirective, mapSchema } = require('@graphql-tools/utils');
const { defaultFieldResolver } = require('graphql');
const { shield, rule } = require('graphql-shield');
const { applyMiddleware } = require('graphql-middleware');
const { createVisitorPass } = loadPackage();

const TYPES = 100;
const FIELDS_PER_TYPE = 49; // 100 × 49 object fields + 100 Query fields = 5,000 fields
const RUNS = Number(process.argv[2] ?? 20);

// Every 10th type is @visitor as a whole; on the others every 5th field is.
let sdl = 'type Query {\n';
for (let t = 0; t < TYPES; t += 1) sdl += `  t${t}: T${t}${t % 7 === 0 ? ' @visitor(scope: "S")' : ''}\n`;
sdl += '}\n';
const permissions = { Query: {} };
const isVisitor = rule({ cache: 'contextual' })((_p, _a, ctx) => ctx.visitor?.scope === 'S');
for (let t = 0; t < TYPES; t += 1) {
  const typeLevel = t % 10 === 0;
  if (t % 7 === 0) permissions.Query[`t${t}`] = isVisitor;
  if (typeLevel) permissions[`T${t}`] = isVisitor;
  else permissions[`T${t}`] = {};
  sdl += `type T${t}${typeLevel ? ' @visitor(scope: "S")' : ''} {\n`;
  for (let f = 0; f < FIELDS_PER_TYPE; f += 1) {
    const fieldLevel = !typeLevel && f % 5 === 0;
    if (fieldLevel) permissions[`T${t}`][`f${f}`] = isVisitor;
    sdl += `  f${f}: String${fieldLevel ? ' @visitor(scope: "S")' : ''}\n`;
  }
  sdl += '}\n';
}

const pass = createVisitorPass({ databaseUrl: 'sqlite::memory:', linkBaseUrl: 'http://127.0.0.1/reference' });
const build = () => makeExecutableSchema({ typeDefs: [pass.typeDefs, sdl], resolvers: [pass.resolvers] });
const fieldCount = (schema) =>
  Object.values(schema.getTypeMap())
    .filter((type) => !type.name.startsWith('__') && typeof type.getFields === 'function' && !('ofType' in type) && type.constructor.name === 'GraphQLObjectType')
    .reduce((n, type) => n + Object.keys(type.getFields()).length, 0);

function diy(schema) {
  const typeArgs = {};
  return mapSchema(schema, {
    [MapperKind.TYPE]: (type) => {
      const d = getDirective(schema, type, 'visitor')?.[0];
      if (d) typeArgs[type.name] = d;
      return undefined;
    },
    [MapperKind.OBJECT_FIELD]: (fieldConfig, _name, typeName) => {
      const d = getDirective(schema, fieldConfig, 'visitor')?.[0] ?? typeArgs[typeName];
      if (!d) return undefined;
      const { resolve = defaultFieldResolver } = fieldConfig;
      fieldConfig.resolve = (s, a, c, i) => resolve(s, a, c, i);
      return fieldConfig;
    },
  });
}

function time(label, fn) {
  const schema = build();
  for (let i = 0; i < 2; i += 1) fn(schema); // warm-up, not counted
  const runs = [];
  for (let i = 0; i < RUNS; i += 1) {
    const start = performance.now();
    fn(schema);
    runs.push(performance.now() - start);
  }
  return { label, medianMs: median(runs), minMs: Math.min(...runs), maxMs: Math.max(...runs), runs: RUNS };
}

const hostFields = TYPES * FIELDS_PER_TYPE + TYPES;
const results = {
  hostFields,
  schemaObjectFields: fieldCount(build()),
  visitorPass: time('pass.transform', (schema) => pass.transform(schema)),
  diyDirective: time('DIY mapSchema directive', diy),
  graphqlShield: time('graphql-shield applyMiddleware', (schema) => applyMiddleware(schema, shield(permissions))),
};
await pass.close();
process.stdout.write(`${JSON.stringify(results)}\n`);
