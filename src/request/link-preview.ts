import type { Request } from 'express';
import { isbot } from 'isbot';

/**
 * Link unfurlers and mail scanners open links before (or instead of) the
 * person they were sent to; isbot's list misses some of them.
 */
const PREVIEW_AGENTS =
  /slackbot|slack-imgproxy|facebookexternalhit|facebot|twitterbot|linkedinbot|discordbot|whatsapp|telegrambot|googlebot|bingbot|bingpreview|skypeuripreview|microsoft office|ms-office|outlook|safelinks|microsoftpreview|applebot|redditbot|pinterest|embedly|iframely|mattermost|vkshare|w3c_validator|yahoo! slurp|duckduckbot|baiduspider|zoominfo|proofpoint|mimecast|barracuda|symantec|scanner|preview/i;

/** True for HEAD requests and known bots, link previews and scanners: they never redeem a link. */
export function isLinkPreview(req: Request): boolean {
  if (req.method === 'HEAD') return true;
  const agent = req.get('user-agent') ?? '';
  return isbot(agent) || PREVIEW_AGENTS.test(agent);
}
