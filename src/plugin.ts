import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
import { isObjectType, type GraphQLSchema } from 'graphql';
import { requestOf, type VisitorPassContext } from './context';
import { guardMutation } from './directive/mutation-guard';
import type { FieldCheck } from './directive/field-check';
import { RULES_EXTENSION, rulesForField } from './directive/field-rules';
import { VISITOR_PASS_ERRORS } from './errors';
import { requestFacts } from './logs/request-facts';
import type { Runtime } from './runtime';

/** Throws when a field governed by a directive has no guard: the schema skipped `pass.transform`. */
function assertTransformed(schema: GraphQLSchema, bypassNames: ReadonlySet<string>): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const [name, field] of Object.entries(type.getFields())) {
      if (field.extensions?.[RULES_EXTENSION]) continue;
      const rules = rulesForField(schema, type, name, field, bypassNames);
      if (rules) {
        const directive = rules.visitor ? '@visitor' : rules.allowGuest ? '@allowGuest' : '@registeredUser';
        throw new Error(
          `graphql-visitor-pass: the schema uses ${directive} (on ${type.name}.${name}) but was not transformed. ` +
            'Build it with pass.transform(makeExecutableSchema(...)) before giving it to ApolloServer.',
        );
      }
    }
  }
}

/**
 * A denied field inside a result that still has data answers 200, as the
 * GraphQL-over-HTTP spec asks (clients drop the data of a 4xx); a response
 * refused as a whole keeps the status of its error code.
 */
function keepPartialResultsOk(response: GraphQLResponse): void {
  if (response.body.kind !== 'single') return;
  const { data, errors } = response.body.singleResult;
  if (data === null || data === undefined || !errors?.length) return;
  if (errors.every((error) => typeof error.extensions?.code === 'string' && error.extensions.code in VISITOR_PASS_ERRORS)) {
    response.http.status = 200;
  }
}

/**
 * When this request found the caller's visitor session over (revoked,
 * expired, unverifiable), the response says so in
 * `extensions.visitorPass.sessionEnded`, so a client can tell the person
 * even if the operation touched no guarded field.
 */
function announceEndedSession(response: GraphQLResponse, code: string | undefined): void {
  if (!code || response.body.kind !== 'single') return;
  const result = response.body.singleResult;
  result.extensions = { ...result.extensions, visitorPass: { sessionEnded: code } };
}

/**
 * `pass.plugin`: refuses to start on an untransformed schema, refuses a
 * mutation before any resolver runs when one of its root fields is denied,
 * tells the client when its visitor session ended, logs one ACCESS row per
 * visitor operation (or only the last-seen time, with `logAccess: false`),
 * and drains the log on stop.
 */
export function createPlugin(runtime: Runtime, check: FieldCheck, bypassNames: ReadonlySet<string>): ApolloServerPlugin<any> {
  return {
    async serverWillStart({ schema }) {
      if (schema) assertTransformed(schema, bypassNames);
      return {
        async serverWillStop() {
          await runtime.accessLog.flush();
        },
      };
    },
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          if (!requestOf(contextValue)) {
            throw new Error('graphql-visitor-pass: the Apollo context lacks pass.context(); spread it into your context function.');
          }
          if (!operation) return;
          const verdict = await guardMutation(schema, document, operation, request.variables ?? {}, contextValue, check);
          if (verdict) throw verdict;
        },
        async willSendResponse({ contextValue, response, operationName }) {
          keepPartialResultsOk(response);
          const request = requestOf(contextValue);
          if (request) announceEndedSession(response, request.state.sessionError?.code);
          const visitor = (contextValue as VisitorPassContext).visitor ?? request?.state.visitor;
          if (!request?.req || !visitor) return;
          if (!runtime.options.logAccess) return runtime.accessLog.touch(visitor.id);
          runtime.accessLog.record({
            visitorId: visitor.id,
            reason: operationName ?? null,
            statusCode: response.http.status ?? 200,
            ...requestFacts(request.req, runtime.options.querystringKey),
          });
        },
      };
    },
  };
}
