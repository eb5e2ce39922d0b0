import type request from 'supertest';
import { invite, openLink, type TestApp } from './app';

/** A new browser holding a redeemed visitor pass with `scope` (invited by a fresh host user). */
export async function visitorAgent(app: TestApp, scope: string): Promise<request.Agent> {
  const invitation = await invite(app.agent(), { scope });
  const visitor = app.agent();
  const opened = await openLink(visitor, invitation.link);
  if (opened.status !== 303) throw new Error(`redeeming the ${scope} link answered ${opened.status}`);
  return visitor;
}

/** A new browser with a host user logged in (no visitor pass). */
export async function hostUserAgent(app: TestApp, user: { id: string; isStaff?: boolean }): Promise<request.Agent> {
  const agent = app.agent();
  await agent.post('/login').send(user).expect(200);
  return agent;
}
