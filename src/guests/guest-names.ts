import { randomInt, randomUUID } from 'node:crypto';
import type { GuestName, GuestNameGenerator } from '../options';

export interface GeneratedGuestName {
  /** Unique among guests; what a collision is checked on. */
  guestName: string;
  firstName: string;
  lastName: string;
}

const MAX_NAME_LENGTH = 150;

/** "Guest" and a UUID: unique in practice, the fallback once a generator keeps colliding. */
export function uuidGuestName(): GeneratedGuestName {
  const id = randomUUID();
  return { guestName: `Guest ${id}`, firstName: 'Guest', lastName: id };
}

function numberedGuestName(): GeneratedGuestName {
  const number = String(randomInt(0, 10_000)).padStart(4, '0');
  return { guestName: `Guest ${number}`, firstName: 'Guest', lastName: number };
}

function fromHost(name: GuestName): GeneratedGuestName {
  const { firstName, lastName = '' } = typeof name === 'string' ? { firstName: name } : (name ?? {});
  const guestName = [firstName, lastName].filter(Boolean).join(' ').trim();
  if (typeof firstName !== 'string' || typeof lastName !== 'string' || guestName === '' || guestName.length > MAX_NAME_LENGTH) {
    throw new Error(`graphql-visitor-pass: guests.nameGenerator must return a name of 1 to ${MAX_NAME_LENGTH} characters, or { firstName, lastName }.`);
  }
  return { guestName, firstName: firstName.trim(), lastName: lastName.trim() };
}

/** One name from the configured generator; the caller retries when it collides. */
export async function generateGuestName<TContext>(generator: GuestNameGenerator<TContext>, context: TContext): Promise<GeneratedGuestName> {
  if (generator === 'numbered') return numberedGuestName();
  if (generator === 'uuid') return uuidGuestName();
  return fromHost(await generator(context));
}
