import { BaseError } from 'sequelize';
import { VisitorPassError } from '../errors';

/** Sequelize throws a plain Error, not a BaseError, once its connections are closed (`sequelize.close()`). */
function isClosedConnection(error: unknown): error is Error {
  return error instanceof Error && /connection manager was closed/i.test(error.message);
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
    if (error instanceof BaseError || isClosedConnection(error)) {
      onFailure?.(error);
      throw new VisitorPassError('VISITOR_PASS_UNAVAILABLE');
    }
    throw error;
  }
}
