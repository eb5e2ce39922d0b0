import { BaseError } from 'sequelize';
import { VisitorPassError } from '../errors';

/**
 * A database failure (down, unreachable, closed), as the pass tells it from
 * a query's error: any Sequelize error, or the plain Error Sequelize throws
 * once its connections are closed. Hosts can use it for their own queries.
 */
export function isDatabaseFailure(error: unknown): error is Error {
  return error instanceof BaseError || (error instanceof Error && /connection manager was closed/i.test(error.message));
}

/**
 * Runs database work; any database failure becomes VISITOR_PASS_UNAVAILABLE
 * (503) so no SQL text or driver message ever reaches a client. The original
 * error goes to `onFailure` for the operator.
 */
export async function withStore<T>(work: () => Promise<T>, onFailure?: (error: Error) => void): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isDatabaseFailure(error)) {
      onFailure?.(error);
      throw new VisitorPassError('VISITOR_PASS_UNAVAILABLE');
    }
    throw error;
  }
}
