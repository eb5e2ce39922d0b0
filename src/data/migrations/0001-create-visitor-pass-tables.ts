import { DataTypes } from 'sequelize';
import type { Migration } from './migration';

/*
 * The tables as they were first released. A migration is a snapshot: it
 * never reads the models, which move on with later migrations (a column
 * added by 0002 must not already exist after 0001 on a fresh database).
 */
export const createVisitorPassTables: Migration = {
  name: '0001-create-visitor-pass-tables',
  async up({ context: queryInterface }) {
    await queryInterface.createTable('visitor_pass_visitors', {
      id: { type: DataTypes.UUID, primaryKey: true, allowNull: false },
      kind: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'INVITED' },
      firstName: { type: DataTypes.STRING(150), allowNull: false, defaultValue: '' },
      lastName: { type: DataTypes.STRING(150), allowNull: false, defaultValue: '' },
      email: { type: DataTypes.STRING(254), allowNull: true },
      scope: { type: DataTypes.STRING(100), allowNull: false },
      context: { type: DataTypes.JSON, allowNull: true },
      tokenHash: { type: DataTypes.STRING(64), allowNull: true, unique: true },
      invitedBy: { type: DataTypes.STRING(191), allowNull: true },
      url: { type: DataTypes.STRING(2048), allowNull: true },
      expiresAt: { type: DataTypes.DATE(3), allowNull: true },
      sessionExpiry: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      maxUses: { type: DataTypes.INTEGER, allowNull: true },
      useCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      redeemedAt: { type: DataTypes.DATE(3), allowNull: true },
      lastSeenAt: { type: DataTypes.DATE(3), allowNull: true },
      revokedAt: { type: DataTypes.DATE(3), allowNull: true },
      createdAt: { type: DataTypes.DATE(3), allowNull: false },
      updatedAt: { type: DataTypes.DATE(3), allowNull: false },
    });
    await queryInterface.addIndex('visitor_pass_visitors', ['email'], { name: 'visitor_pass_visitors_email' });
    await queryInterface.addIndex('visitor_pass_visitors', ['expiresAt'], { name: 'visitor_pass_visitors_expires_at' });
    await queryInterface.addIndex('visitor_pass_visitors', ['invitedBy'], { name: 'visitor_pass_visitors_invited_by' });
    await queryInterface.createTable('visitor_pass_logs', {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true, allowNull: false },
      visitorId: {
        type: DataTypes.UUID,
        allowNull: false,
        references: { model: 'visitor_pass_visitors', key: 'id' },
        onDelete: 'CASCADE',
        onUpdate: 'CASCADE',
      },
      event: { type: DataTypes.STRING(32), allowNull: false },
      reason: { type: DataTypes.STRING(191), allowNull: true },
      httpMethod: { type: DataTypes.STRING(16), allowNull: true },
      path: { type: DataTypes.STRING(2048), allowNull: true },
      remoteAddr: { type: DataTypes.STRING(64), allowNull: true },
      userAgent: { type: DataTypes.STRING(512), allowNull: true },
      referer: { type: DataTypes.STRING(2048), allowNull: true },
      statusCode: { type: DataTypes.INTEGER, allowNull: true },
      createdAt: { type: DataTypes.DATE(3), allowNull: false },
    });
    await queryInterface.addIndex('visitor_pass_logs', ['visitorId', 'createdAt'], { name: 'visitor_pass_logs_visitor_created' });
  },
  async down({ context: queryInterface }) {
    await queryInterface.dropTable('visitor_pass_logs');
    await queryInterface.dropTable('visitor_pass_visitors');
  },
};
