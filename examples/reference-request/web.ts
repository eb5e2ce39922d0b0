import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApolloServer } from '@apollo/server';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { VisitorPass, VisitorPassErrorCode } from '../../src';
import { VISITOR_PASS_ERRORS } from '../../src';
import type { Outbox } from './outbox';
import {
  homePage,
  landingPage,
  loginPage,
  messagePage,
  notVisitorPage,
  outboxPage,
  passPage,
  reasonPage,
  referenceProblem,
  reviewPage,
  STYLESHEET,
  staffPage,
  thanksPage,
  writePage,
  type Chrome,
  type InviteValues,
  type PassView,
  type ReferenceRequestView,
  type ReferenceView,
  type VisitView,
} from './page';
import { REFERENCE_SCOPE, type ReferenceContext } from './schema';

/**
 * The example as a web app: server-rendered pages and forms that POST, then
 * redirect (Post/Redirect/Get). Every route runs the app's own GraphQL schema
 * in-process (`apollo.executeOperation` with this request's context), so a
 * page goes through exactly what `POST /graphql` does: the directives, the
 * plugin's mutation guard and its access log.
 */

declare module 'express-session' {
  interface SessionData {
    /** Per-session token every form carries (`_csrf`). */
    csrfToken?: string;
    /** A one-time message for the next page (Post/Redirect/Get). */
    flash?: string;
    /** What the thank-you page says, after the visitor's access ended. */
    thanks?: { visitorName: string; requesterName: string };
  }
}

export interface WebAppDeps {
  pass: VisitorPass<ReferenceContext>;
  apollo: ApolloServer<ReferenceContext>;
  /** The development outbox; null hides `/dev/outbox`. */
  outbox: Outbox | null;
  /** The database (or Redis) failed: a 503 page instead of a 500. */
  isUnavailable: (error: unknown) => boolean;
}

interface GraphqlError {
  message: string;
  extensions?: { code?: string; field?: string };
}
interface Result<T> {
  data: T | null;
  errors: GraphqlError[];
}

const PAGE_HEADERS = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
};

function send(res: Response, status: number, html: string): void {
  res.status(status).set(PAGE_HEADERS).type('html').send(html);
}

/** Where a revoke or reissue form may send the browser back to: our own pages only. */
function safeBack(value: unknown): string {
  return typeof value === 'string' && /^\/(home|staff|passes\/[\w-]{1,64})$/.test(value) ? value : '/home';
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function isPassCode(code: string | undefined): code is VisitorPassErrorCode {
  return code !== undefined && code in VISITOR_PASS_ERRORS;
}

const PASS_FIELDS = 'id fullName email isActive isValid useCount maxUses sessionExpiry expiresAt lastSeenAt createdAt referenceStatus';
const REQUEST_QUERY = 'query ReferenceRequest { referenceRequest { visitorName message requestedBy { name } draft { text status } } }';

/**
 * express-session saves a changed session when the response ends, but sends
 * the headers (and most of the body) first. A browser follows a 303 as soon
 * as it has the headers, so its next request can arrive before the session
 * (a login, a redeemed visitor, a flash) is in the store. Every redirect here,
 * the link handler's included, waits for the save.
 */
const saveBeforeRedirect: RequestHandler = (req, res, next) => {
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = ((...args: unknown[]) => {
    // A new, empty session (an anonymous GET /) is not worth a row: express-session would not save it either.
    if (!req.session || Object.keys(req.session).every((key) => key === 'cookie')) return redirect(...args);
    req.session.save((error) => (error ? next(error) : redirect(...args)));
  }) as typeof res.redirect;
  next();
};

export function webRoutes({ pass, apollo, outbox, isUnavailable }: WebAppDeps): express.Router {
  const router = express.Router();
  router.use(saveBeforeRedirect);
  const form = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 20 });
  const link = pass.linkHandler();

  /** One context per HTTP request, as `/graphql` builds it: several operations of one page share it. */
  async function contextOf(req: Request, res: Response): Promise<ReferenceContext> {
    if (!res.locals.graphqlContext) res.locals.graphqlContext = { user: req.user ?? null, req, ...(await pass.context({ req, res })) };
    return res.locals.graphqlContext as ReferenceContext;
  }

  async function run<T>(req: Request, res: Response, query: string, variables: Record<string, unknown> = {}): Promise<Result<T>> {
    const response = await apollo.executeOperation({ query, variables }, { contextValue: await contextOf(req, res) });
    if (response.body.kind !== 'single') throw new Error('reference-request: an incremental GraphQL response was not expected here.');
    const { data, errors } = response.body.singleResult;
    return { data: (data as T | null | undefined) ?? null, errors: (errors ?? []) as GraphqlError[] };
  }

  function csrfToken(req: Request): string {
    req.session.csrfToken ??= randomBytes(32).toString('base64url');
    return req.session.csrfToken;
  }

  const checkCsrf: RequestHandler = (req, res, next) => {
    const expected = req.session.csrfToken;
    const given = str((req.body as Record<string, unknown> | undefined)?._csrf);
    if (expected && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))) return next();
    send(res, 403, messagePage('This form has expired', 'Your session ended or the page was open for too long. Go back, reload the page and try again.'));
  };

  function takeFlash(req: Request): string | null {
    const flash = req.session.flash ?? null;
    if (flash !== null) delete req.session.flash;
    return flash;
  }

  function chromeOf(req: Request): Chrome {
    return { user: req.user ? { name: req.user.name, isStaff: req.user.isStaff } : null, csrf: csrfToken(req), outbox: outbox !== null };
  }

  /** The first error's page: a pass code gets its reason page; the rest a plain message. */
  function answerError(res: Response, req: Request, error: GraphqlError): void {
    const code = error.extensions?.code;
    if (code === 'LOGIN_REQUIRED' || code === 'INVITE_FORBIDDEN' || code === 'REGISTRATION_REQUIRED') return res.redirect(303, '/login');
    if (code === 'VISITOR_REQUIRED') {
      const page = notVisitorPage();
      return send(res, page.status, page.html);
    }
    if (isPassCode(code) && code !== 'VISITOR_SCOPE_DENIED') {
      const page = reasonPage(code);
      return send(res, page.status, page.html);
    }
    send(res, code === 'FORBIDDEN' ? 403 : 400, messagePage('That did not work', error.message, chromeOf(req)));
  }

  const requireUser: RequestHandler = (req, res, next) => {
    if (req.user) return next();
    res.redirect(303, '/login');
  };

  /** Her pages: a visitor of the reference scope; anyone else learns why not (revoked, expired…) or that the page is for visitors. */
  const requireVisitor: RequestHandler[] = [
    link,
    (req, res, next) => {
      if (req.visitor?.scope === REFERENCE_SCOPE) return next();
      const page = referenceProblem(req);
      send(res, page.status, page.html);
    },
  ];

  router.get('/app.css', (_req, res) => {
    res.set({ 'Cache-Control': 'public, max-age=300', 'X-Content-Type-Options': 'nosniff' }).type('css').send(STYLESHEET);
  });

  router.get('/', link, (req, res) => {
    if (req.visitor?.scope === REFERENCE_SCOPE) return res.redirect(303, '/reference');
    res.redirect(303, req.user ? (req.user.isStaff ? '/staff' : '/home') : '/login');
  });

  // ------------------------------------------------------------ log in / out

  router.get('/login', (req, res) => {
    if (req.user) return res.redirect(303, req.user.isStaff ? '/staff' : '/home');
    send(res, 200, loginPage(csrfToken(req), { flash: takeFlash(req) }, chromeOf(req)));
  });

  router.post('/login', form, checkCsrf, async (req, res) => {
    const email = str(req.body.email).slice(0, 254);
    const result = await run<{ login: { isStaff: boolean } | null }>(req, res, 'mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { isStaff } }', {
      email,
      password: str(req.body.password).slice(0, 200),
    });
    if (result.errors.length) return answerError(res, req, result.errors[0]);
    if (!result.data?.login) return send(res, 401, loginPage(csrfToken(req), { email, error: 'Wrong email or password.' }, chromeOf(req)));
    res.redirect(303, result.data.login.isStaff ? '/staff' : '/home');
  });

  router.post('/logout', form, checkCsrf, async (req, res) => {
    await run(req, res, 'mutation Logout { logout }');
    req.session.flash = 'You are logged out.';
    res.redirect(303, '/login');
  });

  // ------------------------------------------------------------ Fred

  async function renderHome(req: Request, res: Response, status: number, extra: { error?: string | null; errorField?: string | null; values?: InviteValues } = {}) {
    const result = await run<{ references: ReferenceView[]; visitorPasses: PassView[] }>(
      req,
      res,
      `query Home { references { text rating visitorName createdAt } visitorPasses { ${PASS_FIELDS} } }`,
    );
    if (result.errors.length) return answerError(res, req, result.errors[0]);
    const chrome = chromeOf(req) as Chrome & { user: { name: string; isStaff: boolean }; csrf: string };
    send(res, status, homePage(chrome, { references: result.data!.references, passes: result.data!.visitorPasses, ...extra, flash: takeFlash(req) }));
  }

  router.get('/home', requireUser, async (req, res) => {
    await pass.flushLogs(); // last-seen times are written in batches: show the latest
    await renderHome(req, res, 200);
  });

  router.post('/invitations', requireUser, form, checkCsrf, async (req, res) => {
    const values: InviteValues = {
      firstName: str(req.body.firstName).trim(),
      lastName: str(req.body.lastName).trim(),
      email: str(req.body.email).trim(),
      message: str(req.body.message).trim(),
      maxUses: str(req.body.maxUses),
      sessionExpiry: str(req.body.sessionExpiry),
    };
    const maxUses = values.maxUses === '' ? null : Number(values.maxUses);
    const sessionExpiry = Number(values.sessionExpiry || 0);
    const result = await run<{ inviteVisitor: { visitor: { fullName: string; email: string } } }>(
      req,
      res,
      `mutation Invite($input: InviteVisitorInput!) { inviteVisitor(input: $input) { visitor { fullName email } } }`,
      {
        input: {
          firstName: values.firstName,
          lastName: values.lastName,
          email: values.email,
          scope: REFERENCE_SCOPE,
          context: values.message ? { message: values.message } : null,
          maxUses,
          sessionExpiry,
        },
      },
    );
    const error = result.errors[0];
    if (error?.extensions?.code === 'BAD_USER_INPUT') {
      return renderHome(req, res, 400, { error: error.message, errorField: error.extensions.field ?? null, values });
    }
    if (error) return answerError(res, req, error);
    const { fullName, email } = result.data!.inviteVisitor.visitor;
    req.session.flash = `Your request was sent to ${fullName} <${email}>.${outbox ? ' (Development: the mail is in the outbox, not sent.)' : ''}`;
    res.redirect(303, '/home');
  });

  router.get('/passes/:id', requireUser, async (req, res) => {
    await pass.flushLogs();
    const result = await run<{ visitorPass: (PassView & { visits: VisitView[] }) | null }>(
      req,
      res,
      `query Pass($id: ID!) { visitorPass(id: $id) { ${PASS_FIELDS} visits(limit: 100) { createdAt event reason httpMethod path remoteAddr userAgent statusCode } } }`,
      { id: req.params.id },
    );
    if (result.errors.length) return answerError(res, req, result.errors[0]);
    if (!result.data?.visitorPass) return send(res, 404, messagePage('No such pass', 'There is no pass with this id that you may see.', chromeOf(req)));
    send(res, 200, passPage(chromeOf(req) as Chrome & { csrf: string }, result.data.visitorPass, takeFlash(req)));
  });

  router.post('/passes/:id/revoke', requireUser, form, checkCsrf, async (req, res) => {
    const result = await run<{ revokeVisitorPass: { fullName: string } }>(req, res, 'mutation Revoke($id: ID!) { revokeVisitorPass(id: $id) { fullName } }', {
      id: req.params.id,
    });
    if (result.errors.length) return answerError(res, req, result.errors[0]);
    req.session.flash = `The pass of ${result.data!.revokeVisitorPass.fullName} is revoked: the link and any open session stopped working.`;
    res.redirect(303, safeBack(req.body.back));
  });

  router.post('/passes/:id/reissue', requireUser, form, checkCsrf, async (req, res) => {
    const result = await run<{ reissueVisitorPass: { visitor: { fullName: string } } }>(
      req,
      res,
      'mutation Reissue($id: ID!) { reissueVisitorPass(id: $id) { visitor { fullName } } }',
      { id: req.params.id },
    );
    if (result.errors.length) return answerError(res, req, result.errors[0]);
    req.session.flash = `A new link was mailed to ${result.data!.reissueVisitorPass.visitor.fullName}; the old one no longer works.${outbox ? ' (Development: see the outbox.)' : ''}`;
    res.redirect(303, safeBack(req.body.back));
  });

  // ------------------------------------------------------------ staff

  router.get('/staff', requireUser, async (req, res) => {
    if (!req.user!.isStaff) return send(res, 403, messagePage('Staff only', 'This page is for staff.', chromeOf(req)));
    await pass.flushLogs();
    const result = await run<{ visitorPasses: (PassView & { invitedByUser: { name: string } | null })[] }>(
      req,
      res,
      `query AllPasses { visitorPasses(all: true, limit: 200) { ${PASS_FIELDS} invitedByUser { name } } }`,
    );
    if (result.errors.length) return answerError(res, req, result.errors[0]);
    const passes = result.data!.visitorPasses.map((p) => ({ ...p, invitedByName: p.invitedByUser?.name ?? null }));
    send(res, 200, staffPage(chromeOf(req) as Chrome & { csrf: string }, passes, takeFlash(req)));
  });

  // ------------------------------------------------------------ the outbox

  if (outbox) {
    router.get('/dev/outbox', (req, res) => {
      // The links carry tokens: never cached, never sent on as a Referer.
      send(res.set('Referrer-Policy', 'no-referrer'), 200, outboxPage(outbox.list(), chromeOf(req)));
    });
  }

  // ------------------------------------------------------------ Ginger

  async function referenceRequest(req: Request, res: Response): Promise<ReferenceRequestView | null> {
    const result = await run<{ referenceRequest: ReferenceRequestView | null }>(req, res, REQUEST_QUERY);
    if (result.errors.length) {
      answerError(res, req, result.errors[0]);
      return null;
    }
    if (!result.data?.referenceRequest) {
      const page = notVisitorPage();
      send(res, page.status, page.html);
      return null;
    }
    return result.data.referenceRequest;
  }

  // The page the link opens: the link handler redeems `?vuid=` and redirects without it (303).
  router.get('/reference', link, async (req, res) => {
    if (req.visitor?.scope !== REFERENCE_SCOPE) {
      const page = referenceProblem(req);
      return send(res, page.status, page.html);
    }
    const request = await referenceRequest(req, res);
    if (request) send(res, 200, landingPage(request));
  });

  router.get('/reference/write', ...requireVisitor, async (req, res) => {
    const request = await referenceRequest(req, res);
    if (request) send(res, 200, writePage(request, csrfToken(req), { flash: takeFlash(req) }));
  });

  router.post('/reference/write', form, checkCsrf, ...requireVisitor, async (req, res) => {
    const text = str(req.body.text);
    const saved = await run(req, res, 'mutation SaveDraft($text: String!) { saveReferenceDraft(text: $text) { id } }', { text });
    const error = saved.errors[0];
    if (error?.extensions?.code === 'BAD_USER_INPUT') {
      const request = await referenceRequest(req, res);
      if (request) send(res, 400, writePage(request, csrfToken(req), { text, error: error.message }));
      return;
    }
    if (error) return answerError(res, req, error);
    if (req.body.next === 'review') {
      if (text.trim() === '') {
        req.session.flash = 'Draft saved. Write something before you review it.';
        return res.redirect(303, '/reference/write');
      }
      return res.redirect(303, '/reference/review');
    }
    req.session.flash = 'Draft saved.';
    res.redirect(303, '/reference/write');
  });

  router.get('/reference/review', ...requireVisitor, async (req, res) => {
    const request = await referenceRequest(req, res);
    if (!request) return;
    if (!request.draft?.text.trim()) return res.redirect(303, '/reference/write');
    send(res, 200, reviewPage(request, csrfToken(req)));
  });

  router.post('/reference/submit', form, checkCsrf, ...requireVisitor, async (req, res) => {
    const request = await referenceRequest(req, res);
    if (!request) return;
    if (!request.draft?.text.trim()) return res.redirect(303, '/reference/write');
    const rating = Number(str(req.body.rating));
    if (!Number.isInteger(rating) || rating < 1 || rating > 5) {
      return send(res, 400, reviewPage(request, csrfToken(req), { error: 'Choose a rating from 1 to 5.' }));
    }
    // The saved draft is what she reviewed: that is what goes to Fred.
    const submitted = await run(req, res, 'mutation Submit($text: String!, $rating: Int!) { submitReference(text: $text, rating: $rating) { id } }', {
      text: request.draft.text,
      rating,
    });
    const error = submitted.errors[0];
    if (error?.extensions?.code === 'BAD_USER_INPUT') return send(res, 400, reviewPage(request, csrfToken(req), { error: error.message }));
    if (error) return answerError(res, req, error);
    // submitReference ended her visitor session (and deactivated the pass): only the thank-you note stays.
    req.session.thanks = { visitorName: request.visitorName, requesterName: request.requestedBy?.name ?? 'them' };
    res.redirect(303, '/reference/thanks');
  });

  router.get('/reference/thanks', link, (req, res) => {
    const thanks = req.session.thanks;
    if (!thanks) {
      const page = referenceProblem(req);
      return send(res, page.status, page.html);
    }
    delete req.session.thanks;
    send(res, 200, thanksPage(thanks));
  });

  /** A page that failed: a page back, never a stack trace or JSON. */
  const pageErrors: ErrorRequestHandler = (error, req, res, next) => {
    if (res.headersSent || req.path === '/graphql' || req.path.startsWith('/visitor-pass/')) return next(error);
    const status = (error as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return send(res, status, messagePage('That did not work', 'The form could not be read. Go back and try again.'));
    }
    if (isUnavailable(error)) {
      console.error(`reference-request: ${req.method} ${req.path} failed:`, (error as Error).message);
      const page = reasonPage('VISITOR_PASS_UNAVAILABLE');
      return send(res, 503, page.html);
    }
    console.error(`reference-request: ${req.method} ${req.path} failed:`, error);
    send(res, 500, messagePage('Something went wrong', 'Please try again in a moment.'));
  };
  router.use(pageErrors);
  return router;
}
