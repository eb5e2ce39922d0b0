import { InvalidArgumentError } from 'commander';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400 };
const MAX_DURATION_SECONDS = 100 * 365 * 86400;
export const MAX_BATCH_SIZE = 10_000;

/** `30d`, `12h`, `45m`, `90s`, `2w` → seconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)([smhdw])$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('Expected a duration such as 30d, 12h, 45m, 90s or 2w.');
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]];
  if (seconds === 0) throw new InvalidArgumentError('The duration must be longer than 0.');
  if (seconds > MAX_DURATION_SECONDS) throw new InvalidArgumentError('The duration must be at most 100 years.');
  return seconds;
}

/** A whole number of passes per batch, 1 to MAX_BATCH_SIZE (kept under every driver's parameter limit). */
export function parseBatchSize(value: string): number {
  const size = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(size) || size < 1 || size > MAX_BATCH_SIZE) {
    throw new InvalidArgumentError(`Expected a whole number from 1 to ${MAX_BATCH_SIZE}.`);
  }
  return size;
}
