export function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}

/**
 * Asks a host hook (bypass, canInvite) for a yes: only an answer of exactly
 * `true` allows; a hook that throws or rejects says no. Stays synchronous
 * when the hook is, so the directive's fast path keeps no promise.
 */
export function failClosed(ask: () => unknown): boolean | Promise<boolean> {
  try {
    const answer = ask();
    if (isThenable(answer)) return Promise.resolve(answer).then((value) => value === true, () => false);
    return answer === true;
  } catch {
    return false;
  }
}
