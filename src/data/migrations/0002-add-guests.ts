import { DataTypes } from 'sequelize';
import type { Migration } from './migration';

const VISITORS = 'visitor_pass_visitors';

/** Guests and conversion: a guest's name and origin, and whom a visitor became. */
export const addGuests: Migration = {
  name: '0002-add-guests',
  async up({ context: queryInterface }) {
    await queryInterface.addColumn(VISITORS, 'guestName', { type: DataTypes.STRING(150), allowNull: true });
    await queryInterface.addColumn(VISITORS, 'createdFrom', { type: DataTypes.STRING(64), allowNull: true });
    await queryInterface.addColumn(VISITORS, 'convertedUserId', { type: DataTypes.STRING(191), allowNull: true });
    await queryInterface.addColumn(VISITORS, 'convertedAt', { type: DataTypes.DATE(3), allowNull: true });
    // SQLite cannot add a UNIQUE column; a unique index works on every dialect.
    await queryInterface.addIndex(VISITORS, ['guestName'], { name: 'visitor_pass_visitors_guest_name', unique: true });
    await queryInterface.addIndex(VISITORS, ['createdFrom', 'createdAt'], { name: 'visitor_pass_visitors_created_from' });
    await queryInterface.addIndex(VISITORS, ['kind', 'lastSeenAt'], { name: 'visitor_pass_visitors_kind_last_seen' });
  },
  async down({ context: queryInterface }) {
    await queryInterface.removeIndex(VISITORS, 'visitor_pass_visitors_kind_last_seen');
    await queryInterface.removeIndex(VISITORS, 'visitor_pass_visitors_created_from');
    await queryInterface.removeIndex(VISITORS, 'visitor_pass_visitors_guest_name');
    for (const column of ['convertedAt', 'convertedUserId', 'createdFrom', 'guestName']) {
      await queryInterface.removeColumn(VISITORS, column);
    }
  },
};
