import type { Request } from 'express';
import { VISITOR_PASS_ERRORS, type Visitor, type VisitorPassErrorCode } from '../../src';
import type { ReferenceModels } from './data';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/** Why a link did not let the visitor in, in words for the visitor. */
const REASONS: Partial<Record<VisitorPassErrorCode, string>> = {
  VISITOR_PASS_EXPIRED: 'This link has expired. Ask the person who sent it for a new one.',
  VISITOR_PASS_REVOKED: 'This link is no longer active: the request was completed or withdrawn.',
  VISITOR_PASS_USED_UP: 'This link has already been used as many times as it allows.',
  VISITOR_PASS_NOT_FOUND: 'We could not find an invitation for this link. Check that it was copied in full.',
  VISITOR_TOKEN_MALFORMED: 'This link looks damaged. Check that it was copied in full.',
  VISITOR_PASS_UNAVAILABLE: 'We cannot check invitations right now. Please try again in a moment.',
};

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body>
${body}
</body>
</html>
`;
}

async function requestPage(visitor: Visitor, models: ReferenceModels): Promise<string> {
  const requester = visitor.invitedBy === null ? null : await models.User.findByPk(visitor.invitedBy);
  const message = (visitor.context as { message?: unknown } | null)?.message;
  return layout(
    'Reference request',
    `<h1>Hello ${escapeHtml(visitor.fullName)}</h1>
<p>${escapeHtml(requester?.name ?? 'Someone')} asked you for a reference.</p>
${typeof message === 'string' ? `<blockquote>${escapeHtml(message)}</blockquote>` : ''}
<p>Write it at <code>/graphql</code> with <code>saveReferenceDraft</code> and <code>submitReference</code>; submitting ends your access.</p>`,
  );
}

/** The page a link opens: the request for its visitor, or why there is none. */
export async function renderReferencePage(req: Request, models: ReferenceModels): Promise<{ status: number; html: string }> {
  if (req.visitor) return { status: 200, html: await requestPage(req.visitor, models) };
  const error = req.visitorPassError;
  if (error) {
    const reason = REASONS[error.code] ?? 'This link cannot be used.';
    return {
      status: VISITOR_PASS_ERRORS[error.code].status,
      html: layout('Reference request', `<h1>Sorry</h1>\n<p class="reason" data-code="${escapeHtml(error.code)}">${escapeHtml(reason)}</p>`),
    };
  }
  return {
    status: 401,
    html: layout('Reference request', '<h1>Reference request</h1>\n<p>This page is for invited visitors: open the link from your invitation email.</p>'),
  };
}
