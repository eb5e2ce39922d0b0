import type { Request } from 'express';
import { VISITOR_PASS_ERRORS, type VisitorPassErrorCode } from '../../src';
import type { OutboxMail } from './outbox';

/**
 * The example's HTML: server-rendered pages, every value escaped, no script,
 * no external asset (one small stylesheet at /app.css).
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/** Why a link did not let the visitor in, in words for the visitor. */
export const REASONS: Partial<Record<VisitorPassErrorCode, string>> = {
  VISITOR_PASS_EXPIRED: 'This link has expired. Ask the person who sent it for a new one.',
  VISITOR_PASS_REVOKED: 'This link is no longer active: the request was completed or withdrawn.',
  VISITOR_PASS_USED_UP: 'This link has already been used as many times as it allows.',
  VISITOR_PASS_NOT_FOUND: 'We could not find an invitation for this link. Check that it was copied in full.',
  VISITOR_TOKEN_MALFORMED: 'This link looks damaged. Check that it was copied in full.',
  VISITOR_PASS_UNAVAILABLE: 'We cannot check invitations right now. Please try again in a moment.',
};

/** Short headings for the reason pages. */
const REASON_TITLES: Partial<Record<VisitorPassErrorCode, string>> = {
  VISITOR_PASS_EXPIRED: 'Link expired',
  VISITOR_PASS_REVOKED: 'Link no longer active',
  VISITOR_PASS_USED_UP: 'Link already used',
  VISITOR_PASS_NOT_FOUND: 'Invitation not found',
  VISITOR_TOKEN_MALFORMED: 'Damaged link',
  VISITOR_PASS_UNAVAILABLE: 'Please try again',
};

export const STYLESHEET = `
:root { color-scheme: light; --ink: #1b1b1f; --muted: #4a4a55; --line: #c9c9d3; --bg: #fbfbfd; --accent: #0b4fa8; --accent-ink: #fff;
  --ok-bg: #e6f4ea; --ok-ink: #0d4d1f; --warn-bg: #fdecea; --warn-ink: #8a1c12; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible, summary:focus-visible {
  outline: 3px solid #f2a900; outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 2; }
header.site { background: #1f2a44; color: #fff; padding: .75rem 1.25rem; display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; }
header.site a, header.site .who { color: #fff; }
header.site .brand { font-weight: 700; text-decoration: none; margin-right: auto; }
header.site nav ul { list-style: none; display: flex; gap: 1rem; margin: 0; padding: 0; flex-wrap: wrap; align-items: center; }
header.site form { margin: 0; }
header.site button { background: transparent; color: #fff; border: 1px solid #fff; padding: .2rem .6rem; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.8rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.3rem; margin-top: 2rem; }
label { display: block; font-weight: 600; margin: .9rem 0 .25rem; }
.hint { color: var(--muted); font-size: .9rem; margin: .15rem 0 0; }
input[type=text], input[type=email], input[type=password], textarea, select {
  width: 100%; max-width: 36rem; padding: .5rem .6rem; font: inherit; color: var(--ink); background: #fff; border: 1px solid #767680; border-radius: 4px; }
textarea { min-height: 10rem; }
fieldset { border: 1px solid var(--line); border-radius: 6px; max-width: 36rem; margin: 1rem 0; }
fieldset label { display: inline-block; font-weight: 400; margin: .25rem 1rem .25rem 0; }
legend { font-weight: 600; }
button, .button { display: inline-block; font: inherit; font-weight: 600; padding: .5rem 1rem; border-radius: 4px; border: 2px solid var(--accent);
  background: var(--accent); color: var(--accent-ink); cursor: pointer; text-decoration: none; }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
button.danger { background: #fff; color: var(--warn-ink); border-color: var(--warn-ink); }
.actions { display: flex; gap: .75rem; flex-wrap: wrap; margin-top: 1.25rem; align-items: center; }
.flash { background: var(--ok-bg); color: var(--ok-ink); border-left: 4px solid var(--ok-ink); padding: .75rem 1rem; }
.error, .reason { background: var(--warn-bg); color: var(--warn-ink); border-left: 4px solid var(--warn-ink); padding: .75rem 1rem; }
blockquote { margin: 1rem 0; padding: .5rem 1rem; border-left: 4px solid var(--line); background: #fff; white-space: pre-wrap; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1rem 1.25rem; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: .95rem; }
caption { text-align: left; font-weight: 600; padding: .5rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .45rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef0f5; }
td form { display: inline; }
td button { padding: .2rem .6rem; font-size: .9rem; }
.agent { max-width: 22rem; overflow-wrap: anywhere; font-size: .85rem; }
.status { font-weight: 700; }
.status-active { color: var(--ok-ink); } .status-revoked, .status-expired, .status-used-up { color: var(--warn-ink); } .status-completed { color: #1f2a44; }
ol.steps { list-style: none; display: flex; gap: .5rem; padding: 0; margin: 0 0 1rem; flex-wrap: wrap; }
ol.steps li { padding: .25rem .75rem; border: 1px solid var(--line); border-radius: 999px; color: var(--muted); background: #fff; }
ol.steps li[aria-current=step] { border-color: var(--accent); color: var(--accent); font-weight: 700; }
.text { white-space: pre-wrap; }
code { overflow-wrap: anywhere; }
`;

/** What the page frame shows of who is looking. */
export interface Chrome {
  user?: { name: string; isStaff: boolean } | null;
  /** The session's CSRF token, for the log-out form. */
  csrf?: string;
  /** The development outbox is on. */
  outbox?: boolean;
}

function header(chrome: Chrome): string {
  const items: string[] = [];
  if (chrome.user) {
    items.push('<li><a href="/home">My requests</a></li>');
    if (chrome.user.isStaff) items.push('<li><a href="/staff">All passes</a></li>');
  }
  if (chrome.outbox) items.push('<li><a href="/dev/outbox">Outbox (dev)</a></li>');
  if (chrome.user) {
    items.push(`<li><span class="who">Signed in as ${escapeHtml(chrome.user.name)}</span></li>`);
    items.push(
      `<li><form method="post" action="/logout">${csrfField(chrome.csrf)}<button type="submit">Log out</button></form></li>`,
    );
  } else if (chrome.user === null) {
    // Pages for users offer to log in; a visitor's pages (no chrome) show her none of this.
    items.push('<li><a href="/login">Log in</a></li>');
  }
  return `<header class="site"><a class="brand" href="/">References</a><nav aria-label="Main"><ul>${items.join('')}</ul></nav></header>`;
}

export function layout(title: string, body: string, chrome: Chrome = {}): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/app.css"></head>
<body>
<a class="skip" href="#main">Skip to content</a>
${header(chrome)}
<main id="main">
${body}
</main>
</body>
</html>
`;
}

export function csrfField(token: string | undefined): string {
  return token ? `<input type="hidden" name="_csrf" value="${escapeHtml(token)}">` : '';
}

function flashBlock(flash: string | null | undefined): string {
  return flash ? `<p class="flash" role="status">${escapeHtml(flash)}</p>` : '';
}

function errorBlock(error: string | null | undefined): string {
  return error ? `<p class="error" role="alert" id="form-error">${escapeHtml(error)}</p>` : '';
}

/** `2025-06-01 14:03 UTC` in a <time>. */
export function when(value: string | Date | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return `<time datetime="${date.toISOString()}">${date.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
}

// ---------------------------------------------------------------- visitors

/** The reason page: why a link or a visitor session does not let her in. */
export function reasonPage(code: VisitorPassErrorCode): { status: number; html: string } {
  const reason = REASONS[code] ?? 'This link cannot be used.';
  return {
    status: VISITOR_PASS_ERRORS[code]?.status ?? 400,
    html: layout(
      REASON_TITLES[code] ?? 'Reference request',
      `<h1>Sorry</h1>
<h2>${escapeHtml(REASON_TITLES[code] ?? 'This link cannot be used')}</h2>
<p class="reason" data-code="${escapeHtml(code)}">${escapeHtml(reason)}</p>
${code === 'VISITOR_PASS_REVOKED' || code === 'VISITOR_PASS_EXPIRED' ? '<p>A draft you saved is kept with the request: if you get a new link, you can pick it up again.</p>' : ''}`,
    ),
  };
}

/** No visitor in this session (never invited here, the browser was closed, or her access ended). */
export function notVisitorPage(): { status: number; html: string } {
  return {
    status: 401,
    html: layout(
      'Reference request',
      '<h1>Reference request</h1>\n<p>This page is for invited visitors: open the link from your invitation email.</p>\n<p>If you already submitted your reference, your access has ended: thank you.</p>',
    ),
  };
}

export interface ReferenceRequestView {
  visitorName: string;
  message: string | null;
  requestedBy: { name: string } | null;
  draft: { text: string; status: string } | null;
}

const STEPS = ['Write', 'Review', 'Submit'] as const;

function steps(current: (typeof STEPS)[number]): string {
  return `<ol class="steps" aria-label="Steps">${STEPS.map(
    (step, i) => `<li${step === current ? ' aria-current="step"' : ''}>${i + 1}. ${step}</li>`,
  ).join('')}</ol>`;
}

export function landingPage(request: ReferenceRequestView): string {
  const requester = request.requestedBy?.name ?? 'Someone';
  const resume = request.draft?.text ? '<p>You saved a draft last time: you can pick up where you left off.</p>' : '';
  return layout(
    'Reference request',
    `<h1>Hello ${escapeHtml(request.visitorName)}</h1>
<p>${escapeHtml(requester)} asked you for a reference.</p>
${request.message !== null ? `<blockquote>${escapeHtml(request.message)}</blockquote>` : ''}
<p>It takes three short steps: write it (your draft is saved), review it and give a rating, then submit.
Once you submit, this invitation ends and the link stops working.</p>
${resume}
<p class="actions"><a class="button" href="/reference/write">${request.draft?.text ? 'Continue your reference' : 'Write your reference'}</a></p>`,
  );
}

export function writePage(request: ReferenceRequestView, csrf: string, options: { text?: string; error?: string | null; flash?: string | null } = {}): string {
  const text = options.text ?? request.draft?.text ?? '';
  return layout(
    'Write your reference',
    `${steps('Write')}
<h1>Your reference for ${escapeHtml(request.requestedBy?.name ?? 'them')}</h1>
${flashBlock(options.flash)}${errorBlock(options.error)}
<form method="post" action="/reference/write">
${csrfField(csrf)}
<label for="text">Your reference</label>
<textarea id="text" name="text" maxlength="5000" aria-describedby="text-hint${options.error ? ' form-error' : ''}"${options.error ? ' aria-invalid="true"' : ''}>${escapeHtml(text)}</textarea>
<p class="hint" id="text-hint">Up to 5000 characters. Saving keeps a draft you can come back to.</p>
<div class="actions">
<button type="submit" name="next" value="review">Save and review</button>
<button type="submit" name="next" value="stay" class="secondary">Save draft</button>
</div>
</form>`,
  );
}

export function reviewPage(request: ReferenceRequestView, csrf: string, options: { error?: string | null } = {}): string {
  const ratings = [1, 2, 3, 4, 5]
    .map((n) => `<label><input type="radio" name="rating" value="${n}" required> ${n}${n === 1 ? ' (poor)' : n === 5 ? ' (excellent)' : ''}</label>`)
    .join('\n');
  return layout(
    'Review your reference',
    `${steps('Review')}
<h1>Review your reference</h1>
${errorBlock(options.error)}
<p>This is the draft you saved. ${escapeHtml(request.requestedBy?.name ?? 'They')} will read it exactly like this.</p>
<blockquote class="text" id="draft-text">${escapeHtml(request.draft?.text ?? '')}</blockquote>
<p><a href="/reference/write">Edit the text</a></p>
<form method="post" action="/reference/submit">
${csrfField(csrf)}
<fieldset>
<legend>Your rating (1 to 5)</legend>
${ratings}
</fieldset>
<p class="hint">Submitting sends the reference and ends your access to this page.</p>
<div class="actions"><button type="submit">Submit reference</button></div>
</form>`,
  );
}

export function thanksPage(thanks: { visitorName: string; requesterName: string }): string {
  return layout(
    'Thank you',
    `${steps('Submit')}
<h1>Thank you, ${escapeHtml(thanks.visitorName)}</h1>
<p class="flash" role="status">Your reference was sent to ${escapeHtml(thanks.requesterName)}.</p>
<p>Your access has ended: the invitation link no longer works, and you can close this page.</p>`,
  );
}

// ---------------------------------------------------------------- users

export function loginPage(csrf: string, options: { email?: string; error?: string | null; flash?: string | null } = {}, chrome: Chrome = {}): string {
  return layout(
    'Log in',
    `<h1>Log in</h1>
${flashBlock(options.flash)}${errorBlock(options.error)}
<form method="post" action="/login">
${csrfField(csrf)}
<label for="email">Email</label>
<input type="email" id="email" name="email" autocomplete="username" required value="${escapeHtml(options.email ?? '')}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="actions"><button type="submit">Log in</button></div>
</form>
<p class="hint">Seeded users: fred@example.com / fred, staff@example.com / staff.</p>`,
    chrome,
  );
}

export interface PassView {
  id: string;
  fullName: string;
  email: string | null;
  isActive: boolean;
  isValid: boolean;
  useCount: number;
  maxUses: number | null;
  sessionExpiry: number;
  expiresAt: string | null;
  lastSeenAt: string | null;
  createdAt: string;
  referenceStatus: 'DRAFT' | 'SUBMITTED' | null;
  invitedByName?: string | null;
}

/** Completed, revoked, expired, used up or active: what a person would call the pass's state. */
export function passStatus(pass: PassView, now = new Date()): { key: string; label: string } {
  if (!pass.isActive) return pass.referenceStatus === 'SUBMITTED' ? { key: 'completed', label: 'Completed' } : { key: 'revoked', label: 'Revoked' };
  if (pass.expiresAt && new Date(pass.expiresAt) <= now) return { key: 'expired', label: 'Expired' };
  if (pass.maxUses !== null && pass.useCount >= pass.maxUses) return { key: 'used-up', label: 'Used up' };
  return { key: 'active', label: 'Active' };
}

function uses(pass: PassView): string {
  return pass.maxUses === null ? `${pass.useCount} (no limit)` : `${pass.useCount} of ${pass.maxUses}`;
}

function sessionLength(seconds: number): string {
  if (seconds === 0) return 'until the browser closes';
  if (seconds % 86400 === 0) return `${seconds / 86400} day${seconds === 86400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  return `${seconds} s`;
}

function passActions(pass: PassView, csrf: string, back: string): string {
  const backField = `<input type="hidden" name="back" value="${escapeHtml(back)}">`;
  const revoke = pass.isActive
    ? `<form method="post" action="/passes/${escapeHtml(pass.id)}/revoke">${csrfField(csrf)}${backField}<button type="submit" class="danger" aria-label="Revoke the pass of ${escapeHtml(pass.fullName)}">Revoke</button></form> `
    : '';
  const reissue = pass.referenceStatus === 'SUBMITTED'
    ? ''
    : `<form method="post" action="/passes/${escapeHtml(pass.id)}/reissue">${csrfField(csrf)}${backField}<button type="submit" class="secondary" aria-label="Reissue the link of ${escapeHtml(pass.fullName)}">Reissue link</button></form>`;
  return revoke + reissue;
}

function passRows(passes: PassView[], csrf: string, back: string, withInviter: boolean): string {
  if (passes.length === 0) return `<tr><td colspan="${withInviter ? 8 : 7}">No invitations yet.</td></tr>`;
  return passes
    .map((pass) => {
      const status = passStatus(pass);
      return `<tr data-pass="${escapeHtml(pass.id)}">
<td><a href="/passes/${escapeHtml(pass.id)}">${escapeHtml(pass.fullName)}</a><br><span class="hint">${escapeHtml(pass.email)}</span></td>
${withInviter ? `<td>${escapeHtml(pass.invitedByName ?? '—')}</td>` : ''}
<td><span class="status status-${status.key}">${status.label}</span></td>
<td>${uses(pass)}</td>
<td>${when(pass.lastSeenAt)}</td>
<td>${when(pass.expiresAt)}</td>
<td>${escapeHtml(sessionLength(pass.sessionExpiry))}</td>
<td>${passActions(pass, csrf, back)}</td>
</tr>`;
    })
    .join('\n');
}

function passTable(caption: string, passes: PassView[], csrf: string, back: string, withInviter = false): string {
  return `<table>
<caption>${escapeHtml(caption)}</caption>
<thead><tr><th scope="col">Visitor</th>${withInviter ? '<th scope="col">Invited by</th>' : ''}<th scope="col">Status</th><th scope="col">Uses</th><th scope="col">Last seen</th><th scope="col">Link expires</th><th scope="col">Session lasts</th><th scope="col">Actions</th></tr></thead>
<tbody>
${passRows(passes, csrf, back, withInviter)}
</tbody>
</table>`;
}

export interface InviteValues {
  firstName?: string;
  lastName?: string;
  email?: string;
  message?: string;
  maxUses?: string;
  sessionExpiry?: string;
}

const MAX_USES_CHOICES: [string, string][] = [
  ['1', 'Once'],
  ['3', 'Up to 3 times'],
  ['', 'Any number of times'],
];
const SESSION_CHOICES: [string, string][] = [
  ['0', 'Until she closes the browser'],
  ['3600', 'For 1 hour, even if the browser is closed'],
  ['86400', 'For 1 day, even if the browser is closed'],
];

function select(id: string, label: string, hint: string, choices: [string, string][], value: string): string {
  return `<label for="${id}">${escapeHtml(label)}</label>
<select id="${id}" name="${id}" aria-describedby="${id}-hint">${choices
    .map(([v, text]) => `<option value="${escapeHtml(v)}"${v === value ? ' selected' : ''}>${escapeHtml(text)}</option>`)
    .join('')}</select>
<p class="hint" id="${id}-hint">${escapeHtml(hint)}</p>`;
}

export interface ReferenceView {
  text: string;
  rating: number | null;
  visitorName: string;
  createdAt: string;
}

export function homePage(
  chrome: Chrome & { user: { name: string; isStaff: boolean }; csrf: string },
  data: { passes: PassView[]; references: ReferenceView[]; flash?: string | null; error?: string | null; errorField?: string | null; values?: InviteValues },
): string {
  const v = data.values ?? {};
  const field = (id: keyof InviteValues, label: string, type: string, autocomplete: string) =>
    `<label for="${id}">${escapeHtml(label)}</label>
<input type="${type}" id="${id}" name="${id}" autocomplete="${autocomplete}"${id === 'email' ? ' required' : ''}${data.errorField === id ? ' aria-invalid="true" aria-describedby="form-error"' : ''} value="${escapeHtml(v[id] ?? '')}">`;
  const references = data.references.length
    ? data.references
        .map(
          (r) => `<article class="card reference">
<h3>From ${escapeHtml(r.visitorName)} <span class="hint">· rating ${r.rating ?? '—'} of 5 · ${when(r.createdAt)}</span></h3>
<p class="text">${escapeHtml(r.text)}</p>
</article>`,
        )
        .join('\n')
    : '<p>No references yet: they appear here once submitted.</p>';
  return layout(
    'My reference requests',
    `<h1>Hello ${escapeHtml(chrome.user.name)}</h1>
${flashBlock(data.flash)}
<h2>References you received</h2>
${references}
<h2>Ask someone for a reference</h2>
${errorBlock(data.error)}
<form method="post" action="/invitations" class="card">
${csrfField(chrome.csrf)}
${field('firstName', 'First name', 'text', 'off')}
${field('lastName', 'Last name', 'text', 'off')}
${field('email', 'Email', 'email', 'off')}
<label for="message">Message</label>
<textarea id="message" name="message" maxlength="2000" aria-describedby="message-hint">${escapeHtml(v.message ?? '')}</textarea>
<p class="hint" id="message-hint">Shown to them when they open the link.</p>
${select('maxUses', 'The link can be opened', 'A link opened in another browser counts as a use.', MAX_USES_CHOICES, v.maxUses ?? '3')}
${select('sessionExpiry', 'Once opened, their access lasts', 'Closing the browser ends a visit that lasts until the browser closes.', SESSION_CHOICES, v.sessionExpiry ?? '0')}
<div class="actions"><button type="submit">Send the request</button></div>
</form>
<h2>Requests you sent</h2>
${passTable('Your invitations', data.passes, chrome.csrf, '/home')}`,
    chrome,
  );
}

export interface VisitView {
  createdAt: string;
  event: string;
  reason: string | null;
  httpMethod: string | null;
  path: string | null;
  remoteAddr: string | null;
  userAgent: string | null;
  statusCode: number | null;
}

export function passPage(chrome: Chrome & { csrf: string }, pass: PassView & { visits: VisitView[] }, flash?: string | null): string {
  const status = passStatus(pass);
  const rows = pass.visits.length
    ? pass.visits
        .map(
          (visit) => `<tr>
<td>${when(visit.createdAt)}</td>
<td><span class="event">${escapeHtml(visit.event)}</span>${visit.reason ? ` <span class="hint">${escapeHtml(visit.reason)}</span>` : ''}</td>
<td>${escapeHtml([visit.httpMethod, visit.path].filter(Boolean).join(' ') || '—')}</td>
<td>${escapeHtml(visit.remoteAddr ?? '—')}</td>
<td class="agent">${escapeHtml(visit.userAgent ?? '—')}</td>
</tr>`,
        )
        .join('\n')
    : '<tr><td colspan="5">No visits yet: the link has not been opened.</td></tr>';
  return layout(
    `Pass of ${pass.fullName}`,
    `<p><a href="${chrome.user?.isStaff ? '/staff' : '/home'}">← Back</a></p>
<h1>${escapeHtml(pass.fullName)}</h1>
${flashBlock(flash)}
<dl class="card">
<dt>Email</dt><dd>${escapeHtml(pass.email)}</dd>
<dt>Status</dt><dd><span class="status status-${status.key}">${status.label}</span></dd>
<dt>Uses</dt><dd>${uses(pass)}</dd>
<dt>Last seen</dt><dd>${when(pass.lastSeenAt)}</dd>
<dt>Link expires</dt><dd>${when(pass.expiresAt)}</dd>
<dt>Session lasts</dt><dd>${escapeHtml(sessionLength(pass.sessionExpiry))}</dd>
</dl>
<div class="actions">${passActions(pass, chrome.csrf, `/passes/${pass.id}`)}</div>
<h2>Visits</h2>
<table>
<caption>What happened to this pass, newest first (tokens are never recorded)</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Request</th><th scope="col">Address</th><th scope="col">Browser</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`,
    chrome,
  );
}

export function staffPage(chrome: Chrome & { csrf: string }, passes: PassView[], flash?: string | null): string {
  return layout(
    'All passes',
    `<h1>All visitor passes</h1>
${flashBlock(flash)}
<p>Revoking ends the link and every session holding it at its next request. Reissuing mails a new link (the old one stops working) and resets its uses.</p>
${passTable('Every invitation, newest first', passes, chrome.csrf, '/staff', true)}`,
    chrome,
  );
}

export function outboxPage(mails: readonly OutboxMail[], chrome: Chrome): string {
  const items = mails.length
    ? mails
        .map(
          (mail) => `<article class="card mail" data-visitor="${escapeHtml(mail.visitorId)}">
<h2>${escapeHtml(mail.subject)}</h2>
<p><strong>To:</strong> ${escapeHtml(mail.to)} · ${when(mail.at)}</p>
<p class="text">${escapeHtml(mail.text)}</p>
<p><a class="mail-link" href="${escapeHtml(mail.link)}">${escapeHtml(mail.link)}</a></p>
</article>`,
        )
        .join('\n')
    : '<p>No mail yet.</p>';
  return layout(
    'Outbox (development)',
    `<h1>Outbox</h1>
<p>Development only: these mails were not sent (there is no SMTP here). Each link carries its token: only its recipient should open it.</p>
${items}`,
    chrome,
  );
}

export function messagePage(title: string, message: string, chrome: Chrome = {}): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>\n<p><a href="/">Go to the start page</a></p>`, chrome);
}

/** The `/reference` page for a request without a visitor: why there is none. */
export function referenceProblem(req: Request): { status: number; html: string } {
  const error = req.visitorPassError;
  return error ? reasonPage(error.code) : notVisitorPage();
}
