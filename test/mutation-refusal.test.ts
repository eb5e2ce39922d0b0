import type { TestDatabase } from './support/databases';
import { gql, type TestApp, openTestApp, closeTestApp } from './support/app';
import { visitorAgent } from './support/visitor-agent';

let db: TestDatabase;
let app: TestApp;
beforeEach(async () => ({ db, app } = await openTestApp('sqlite')));
afterEach(() => closeTestApp(app, db));

/** The same operation written in every way a root field can be reached. */
const TOUCH_AND_SAVE = {
  'plain fields': 'mutation { touch saveDraft(text: "draft") }',
  'an alias': 'mutation { touch sneaky: saveDraft(text: "draft") }',
  'a named fragment': 'mutation { touch ...Save } fragment Save on Mutation { saveDraft(text: "draft") }',
  'an inline fragment': 'mutation { touch ... on Mutation { saveDraft(text: "draft") } }',
  'nested fragments': 'mutation { ...Outer } fragment Outer on Mutation { touch ... on Mutation { ...Save } } fragment Save on Mutation { saveDraft(text: "draft") }',
};

describe('a denied root mutation field refuses the whole operation before any resolver runs', () => {
  test.each(Object.entries(TOUCH_AND_SAVE))('anonymous, through %s: 401 VISITOR_REQUIRED, no data, nothing ran', async (_way, mutation) => {
    const response = await gql(app.agent(), mutation);
    expect(response.status).toBe(401);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors.map((error: any) => error.extensions.code)).toEqual(['VISITOR_REQUIRED']);
    expect(app.state).toEqual({ touches: 0, drafts: [] });
  });

  test.each(Object.entries(TOUCH_AND_SAVE))('a visitor with another scope, through %s: 403 VISITOR_SCOPE_DENIED, nothing ran', async (_way, mutation) => {
    const visitor = await visitorAgent(app, 'OTHER');
    const response = await gql(visitor, mutation);
    expect(response.status).toBe(403);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors.map((error: any) => error.extensions.code)).toEqual(['VISITOR_SCOPE_DENIED']);
    expect(app.state).toEqual({ touches: 0, drafts: [] });
  });

  test('the protected field first and the open one after is refused just the same', async () => {
    const response = await gql(app.agent(), 'mutation { saveDraft(text: "draft") touch }');
    expect(response.status).toBe(401);
    expect(app.state).toEqual({ touches: 0, drafts: [] });
  });

  test('@skip(if: true) or @include(if: false) on the protected field lets the rest run', async () => {
    const skipped = await gql(app.agent(), 'mutation { touch saveDraft(text: "draft") @skip(if: true) }');
    expect(skipped.status).toBe(200);
    expect(skipped.body).toEqual({ data: { touch: 1 } });

    const excluded = await gql(app.agent(), 'mutation($save: Boolean!) { touch ...Save @include(if: $save) } fragment Save on Mutation { saveDraft(text: "draft") }', {
      save: false,
    });
    expect(excluded.body).toEqual({ data: { touch: 2 } });
    expect(app.state).toEqual({ touches: 2, drafts: [] });
  });

  test('@skip driven by a variable that is false still refuses', async () => {
    const response = await gql(app.agent(), 'mutation($skip: Boolean!) { touch saveDraft(text: "draft") @skip(if: $skip) }', { skip: false });
    expect(response.status).toBe(401);
    expect(app.state).toEqual({ touches: 0, drafts: [] });
  });

  test('a visitor with the right scope runs both fields', async () => {
    const visitor = await visitorAgent(app, 'REFERENCE_REQUEST');
    const response = await gql(visitor, TOUCH_AND_SAVE['a named fragment']);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { touch: 1, saveDraft: 'draft' } });
    expect(app.state).toEqual({ touches: 1, drafts: ['draft'] });
  });
});
