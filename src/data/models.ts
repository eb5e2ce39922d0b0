import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';

export type VisitorKind = 'INVITED' | 'GUEST';

/** A visitor pass: who was invited, for what scope, and how the link may be used. */
export class Visitor extends Model<InferAttributes<Visitor, { omit: 'fullName' }>, InferCreationAttributes<Visitor, { omit: 'fullName' }>> {
  declare id: CreationOptional<string>;
  declare kind: CreationOptional<VisitorKind>;
  declare firstName: CreationOptional<string>;
  declare lastName: CreationOptional<string>;
  declare email: string | null;
  declare scope: string;
  declare context: unknown;
  declare tokenHash: string | null;
  declare invitedBy: string | null;
  declare url: string | null;
  declare expiresAt: Date | null;
  declare sessionExpiry: number;
  declare isActive: CreationOptional<boolean>;
  declare maxUses: number | null;
  declare useCount: CreationOptional<number>;
  declare redeemedAt: Date | null;
  declare lastSeenAt: Date | null;
  declare revokedAt: Date | null;
  /** A guest's generated name, unique among guests. */
  declare guestName: CreationOptional<string | null>;
  /** The client address (IPv6: its /56) a guest was created from, for the per-address limit. */
  declare createdFrom: CreationOptional<string | null>;
  /** The host user this visitor became (`convertVisitor`) or logged in as (`mergeVisitorInto`). */
  declare convertedUserId: CreationOptional<string | null>;
  declare convertedAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  get fullName(): string {
    return [this.firstName, this.lastName].filter(Boolean).join(' ') || this.email || '';
  }

  /**
   * Deactivates the pass: its link stops working, and every session redeemed
   * before now ends on its next request (even if the pass is reissued later).
   * False when it already was inactive, so a revocation is recorded once.
   */
  async deactivate(): Promise<boolean> {
    if (!this.isActive) return false;
    await this.update({ isActive: false, revokedAt: new Date() });
    return true;
  }

  /** Active, not expired, with uses left: the link can still be redeemed. */
  isValidAt(now: Date = new Date()): boolean {
    return (
      this.isActive &&
      (this.expiresAt === null || this.expiresAt.getTime() > now.getTime()) &&
      (this.maxUses === null || this.useCount < this.maxUses)
    );
  }
}

/** One thing that happened to a pass: REDEEMED, ACCESS, DENIED, ENDED, REVOKED, REISSUED, CREATED, CONVERTED, MERGED. */
export class VisitorLog extends Model<InferAttributes<VisitorLog>, InferCreationAttributes<VisitorLog>> {
  declare id: CreationOptional<number>;
  declare visitorId: string;
  declare event: string;
  declare reason: string | null;
  declare httpMethod: string | null;
  declare path: string | null;
  declare remoteAddr: string | null;
  declare userAgent: string | null;
  declare referer: string | null;
  declare statusCode: number | null;
  declare createdAt: CreationOptional<Date>;
}

export const VISITORS_TABLE = 'visitor_pass_visitors';
export const LOGS_TABLE = 'visitor_pass_logs';

const PASS_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `given` as a stored pass id (a lowercase UUID), or null when it cannot be one: no query is wasted on it. */
export function passIdFrom(given: string): string | null {
  return PASS_ID.test(given) ? given.toLowerCase() : null;
}

/**
 * Attribute definitions, made fresh on each call: Sequelize rewrites them in
 * place for its dialect (a MySQL UUID becomes `CHAR(36) BINARY`), so a shared
 * object would carry one dialect's types into the next database.
 */
function visitorAttributes() {
  return {
    id: { type: DataTypes.UUID, primaryKey: true, allowNull: false, defaultValue: DataTypes.UUIDV4 },
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
    guestName: { type: DataTypes.STRING(150), allowNull: true, unique: true },
    createdFrom: { type: DataTypes.STRING(64), allowNull: true },
    convertedUserId: { type: DataTypes.STRING(191), allowNull: true },
    convertedAt: { type: DataTypes.DATE(3), allowNull: true },
    createdAt: { type: DataTypes.DATE(3), allowNull: false },
    updatedAt: { type: DataTypes.DATE(3), allowNull: false },
  };
}

function logAttributes() {
  return {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true, allowNull: false },
    visitorId: { type: DataTypes.UUID, allowNull: false },
    event: { type: DataTypes.STRING(32), allowNull: false },
    reason: { type: DataTypes.STRING(191), allowNull: true },
    httpMethod: { type: DataTypes.STRING(16), allowNull: true },
    path: { type: DataTypes.STRING(2048), allowNull: true },
    remoteAddr: { type: DataTypes.STRING(64), allowNull: true },
    userAgent: { type: DataTypes.STRING(512), allowNull: true },
    referer: { type: DataTypes.STRING(2048), allowNull: true },
    statusCode: { type: DataTypes.INTEGER, allowNull: true },
    createdAt: { type: DataTypes.DATE(3), allowNull: false },
  };
}

export interface VisitorPassModels {
  Visitor: typeof Visitor;
  VisitorLog: typeof VisitorLog;
}

/**
 * Binds the models to `sequelize`. Each call defines fresh subclasses so that
 * several passes (or tests) can hold different databases in one process.
 */
export function defineModels(sequelize: Sequelize): VisitorPassModels {
  class BoundVisitor extends Visitor {}
  class BoundVisitorLog extends VisitorLog {}
  BoundVisitor.init(visitorAttributes(), { sequelize, tableName: VISITORS_TABLE, modelName: 'VisitorPassVisitor' });
  BoundVisitorLog.init(logAttributes(), { sequelize, tableName: LOGS_TABLE, modelName: 'VisitorPassLog', updatedAt: false });
  BoundVisitor.hasMany(BoundVisitorLog, { foreignKey: 'visitorId', as: 'logs', onDelete: 'CASCADE' });
  BoundVisitorLog.belongsTo(BoundVisitor, { foreignKey: 'visitorId', as: 'visitor', onDelete: 'CASCADE' });
  return { Visitor: BoundVisitor, VisitorLog: BoundVisitorLog };
}
