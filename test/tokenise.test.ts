import fc from 'fast-check';
import { tokenise, untokenise } from '../src';

/** Query-string keys a host may configure (letters, digits, "_", "-", "."). */
const key = fc.constantFrom('vuid', 'token', 'invite.id', 'x-y_z');

/** Tokens as the package makes them: 256 bits, base64url. */
const token = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/);

const head = fc.constantFrom('http://localhost:4000/reference', 'https://example.com/a/b/', '/reference', '/');

/** Raw query text pieces: plain, `+`, percent-encoded (spaces, `&`, `=`, UTF-8), and odd ones a browser still sends. */
const queryText = fc.string({
  unit: fc.constantFrom('a', 'Z', '7', '-', '.', '_', '~', '+', '%20', '%2B', '%26', '%3D', '%23', '%C3%A9', '%', '%zz', '?', '/', ':', ',', ';', '!', "'", '*'),
  maxLength: 6,
});

/** Names that are never the key, even once decoded; a few of them so repeats are common. */
const otherName = fc.oneof(fc.constantFrom('a', 'b', 'page', 'vuid_', 'VUID', 'vuid%5B%5D', 'x%20y', 'tokens', 'invite'), queryText.filter((text) => text !== ''));

/** One raw `name=value` (value possibly empty), or a bare `name`. */
const param = fc.oneof(
  fc.tuple(otherName, queryText).map(([name, value]) => `${name}=${value}`),
  otherName,
);

const fragment = fc.option(
  fc.string({ unit: fc.constantFrom('a', '-', '?', '&', '=', '#', '/', 'vuid=abc', 'token=1', '%20'), maxLength: 8 }).map((text) => `#${text}`),
  { nil: '' },
);

function buildUrl(base: string, params: string[], hash: string): string {
  return base + (params.length ? `?${params.join('&')}` : '') + hash;
}

/** A URL whose query holds no parameter named by any key in use. */
const url = fc.tuple(head, fc.array(param, { maxLength: 8 }), fragment).map(([base, params, hash]) => buildUrl(base, params, hash));

/** `vuid` → `%76uid`: the same name to a URL parser. */
const percentEncodeFirst = (name: string) => `%${name.charCodeAt(0).toString(16).toUpperCase()}${name.slice(1)}`;

const entries = (text: string) => [...new URL(text, 'http://host.test').searchParams];

describe('tokenise / untokenise', () => {
  test('untokenise(tokenise(url)) gives back the URL byte for byte', () => {
    fc.assert(
      fc.property(url, key, token, (page, name, value) => {
        expect(untokenise(tokenise(page, name, value), name)).toBe(page);
      }),
      { numRuns: 500 },
    );
  });

  test('a URL parser sees the token once and every other parameter unchanged, in order, and the same fragment', () => {
    fc.assert(
      fc.property(url, key, token, (page, name, value) => {
        const link = tokenise(page, name, value);
        const parsed = new URL(link, 'http://host.test');
        expect(parsed.searchParams.getAll(name)).toEqual([value]);
        expect(entries(link).filter(([entryName]) => entryName !== name)).toEqual(entries(page));
        expect(parsed.hash).toBe(new URL(page, 'http://host.test').hash);
      }),
      { numRuns: 500 },
    );
  });

  test('tokenise replaces every existing parameter of the key, wherever it stands and however it is encoded', () => {
    fc.assert(
      fc.property(
        head,
        fc.array(param, { maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean(), queryText), { minLength: 1, maxLength: 3 }),
        fragment,
        key,
        token,
        (base, params, stale, hash, name, value) => {
          const withStale = [...params];
          for (const [at, encoded, old] of stale) {
            withStale.splice(at % (withStale.length + 1), 0, `${encoded ? percentEncodeFirst(name) : name}=${old}`);
          }
          const page = buildUrl(base, withStale, hash);

          const link = tokenise(page, name, value);

          expect(new URL(link, 'http://host.test').searchParams.getAll(name)).toEqual([value]);
          expect(untokenise(link, name)).toBe(buildUrl(base, params, hash));
          expect(untokenise(page, name)).toBe(buildUrl(base, params, hash));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('a token goes into the link verbatim: it is URL-safe and needs no escaping', () => {
    fc.assert(
      fc.property(url, key, token, (page, name, value) => {
        const link = tokenise(page, name, value);
        expect(encodeURIComponent(value)).toBe(value);
        expect(link).toContain(`${name}=${value}`);
      }),
    );
  });

  test('any value survives the trip through a real URL parser', () => {
    fc.assert(
      fc.property(url, key, fc.string({ unit: 'grapheme' }), (page, name, value) => {
        expect(new URL(tokenise(page, name, value), 'http://host.test').searchParams.get(name)).toBe(value);
      }),
    );
  });

  test.each([
    ['/reference?a=1&a=2&b=x+y&c=&d=%20#top', '/reference?a=1&a=2&b=x+y&c=&d=%20&vuid=T#top'],
    ['/reference?vuid=old&a=1', '/reference?a=1&vuid=T'],
    ['/reference', '/reference?vuid=T'],
  ])('tokenise(%s) → %s', (page, link) => {
    expect(tokenise(page, 'vuid', 'T')).toBe(link);
  });
});
