import type { Visitor, VisitorPassModels } from '../../src/data/models';

/**
 * Sets columns of one pass with a direct UPDATE, timestamps included
 * (`silent` keeps Sequelize from stamping `updatedAt` itself): time travel
 * for expiry, revocation and last-seen tests.
 */
export async function backdatePass(
  models: VisitorPassModels,
  id: string,
  columns: Partial<Pick<Visitor, 'expiresAt' | 'revokedAt' | 'lastSeenAt' | 'isActive' | 'useCount' | 'firstName' | 'lastName' | 'createdAt' | 'updatedAt'>>,
): Promise<void> {
  await models.Visitor.update(columns, { where: { id }, silent: true });
}
