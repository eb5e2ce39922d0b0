import { createTestDatabase, type TestDatabase } from './support/databases';
import { gql, invite, openLink, startTestApp, type TestApp } from './support/app';

let db: TestDatabase;
let app: TestApp;
beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  app = await startTestApp({ database: db });
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

test('smoke: invite, open, query, end', async () => {
  const fred = app.agent();
  const invitation = await invite(fred, {});
  expect(invitation.link).toMatch(/^http:\/\/localhost:4000\/reference\?vuid=/);
  const ginger = app.agent();
  const opened = await openLink(ginger, invitation.link);
  expect(opened.status).toBe(303);
  expect(opened.headers.location).toBe('/reference');
  const page = await ginger.get('/reference');
  expect(page.body).toEqual({ visitor: 'Ginger Rogers', error: null });
  const secret = await gql(ginger, '{ secret whoami document { title summary } }');
  console.log(JSON.stringify(secret.body), secret.status);
  const anon = await gql(app.agent(), '{ secret publicInfo }');
  console.log(JSON.stringify(anon.body), anon.status);
  const mut = await gql(app.agent(), 'mutation { touch saveDraft(text: "x") }');
  console.log(JSON.stringify(mut.body), mut.status, app.state.touches);
  const end = await gql(ginger, 'mutation { endVisitorSession }');
  console.log(JSON.stringify(end.body));
  const after = await gql(ginger, '{ secret }');
  console.log(JSON.stringify(after.body));
});
