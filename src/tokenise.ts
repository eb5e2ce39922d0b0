/**
 * Adding and removing the token in a URL's query string, working on the raw
 * text so every other parameter (repeated ones, odd encodings, the fragment)
 * comes out exactly as it went in.
 */

interface UrlParts {
  head: string;
  params: string[];
  fragment: string;
}

function splitUrl(url: string): UrlParts {
  const hashAt = url.indexOf('#');
  const fragment = hashAt === -1 ? '' : url.slice(hashAt);
  const beforeHash = hashAt === -1 ? url : url.slice(0, hashAt);
  const queryAt = beforeHash.indexOf('?');
  if (queryAt === -1) return { head: beforeHash, params: [], fragment };
  const query = beforeHash.slice(queryAt + 1);
  return { head: beforeHash.slice(0, queryAt), params: query === '' ? [] : query.split('&'), fragment };
}

function joinUrl({ head, params, fragment }: UrlParts): string {
  return head + (params.length ? `?${params.join('&')}` : '') + fragment;
}

/** A query-string component as a form decoder reads it; malformed escapes stay as written. */
function decode(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

function paramName(param: string): string {
  const eq = param.indexOf('=');
  return decode(eq === -1 ? param : param.slice(0, eq));
}

function paramValue(param: string): string {
  const eq = param.indexOf('=');
  return decode(eq === -1 ? '' : param.slice(eq + 1));
}

/** `url` with `key=value` as its last query parameter, any earlier `key` removed. */
export function setQueryParam(url: string, key: string, value: string): string {
  const parts = splitUrl(url);
  const params = parts.params.filter((param) => paramName(param) !== key);
  params.push(`${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
  return joinUrl({ ...parts, params });
}

/** The invitation link: `url` with the token as its `key` parameter. */
export const tokenise = setQueryParam;

/** `url` without any `key` parameter: what redirects and logs see. */
export function untokenise(url: string, key: string): string {
  const parts = splitUrl(url);
  return joinUrl({ ...parts, params: parts.params.filter((param) => paramName(param) !== key) });
}

/** Every value given for `key` in `url`'s query string, in order. */
export function readTokenParams(url: string, key: string): string[] {
  return splitUrl(url)
    .params.filter((param) => paramName(param) === key)
    .map(paramValue);
}
