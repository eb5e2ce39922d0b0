import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type QueryInterface,
  type Sequelize,
  type Transaction,
} from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { hashPassword } from './passwords';

/** A registered user of the example site: someone who can log in and invite visitors. */
export class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
  declare id: CreationOptional<number>;
  declare email: string;
  declare name: string;
  declare isStaff: boolean;
  declare passwordHash: string;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export type ReferenceStatus = 'DRAFT' | 'SUBMITTED';

/** What a visitor writes for the user who asked: a draft until submitted. */
export class Reference extends Model<InferAttributes<Reference>, InferCreationAttributes<Reference>> {
  declare id: CreationOptional<number>;
  declare requesterId: number;
  declare visitorId: string;
  declare visitorName: string;
  declare text: string;
  declare rating: number | null;
  declare status: ReferenceStatus;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/**
 * A line in the site's guestbook, signed by a logged-in user, an invited
 * visitor or a guest. A guest's entries follow them to the account they sign
 * up for (`convertVisitor`) or log into (`merged`); an expired guest's go.
 */
export class GuestbookEntry extends Model<InferAttributes<GuestbookEntry>, InferCreationAttributes<GuestbookEntry>> {
  declare id: CreationOptional<number>;
  declare message: string;
  /** The signer's name when signed (a guest's "Guest 0427"), the user's once the entry moved to an account. */
  declare authorName: string;
  /** The visitor or guest who signed, until the entry moves to a user. */
  declare visitorId: string | null;
  declare userId: number | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

const USERS_TABLE = 'users';
const REFERENCES_TABLE = 'reference_letters';
const GUESTBOOK_TABLE = 'guestbook_entries';

const userColumns = {
  id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
  email: { type: DataTypes.STRING(254), allowNull: false, unique: true },
  name: { type: DataTypes.STRING(150), allowNull: false },
  isStaff: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
  passwordHash: { type: DataTypes.STRING(255), allowNull: false },
  createdAt: { type: DataTypes.DATE(3), allowNull: false },
  updatedAt: { type: DataTypes.DATE(3), allowNull: false },
};

const referenceColumns = {
  id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
  requesterId: { type: DataTypes.INTEGER, allowNull: false },
  // No foreign key: passes are deleted by `visitor-pass cleanup`, the references they produced stay.
  visitorId: { type: DataTypes.STRING(36), allowNull: false },
  visitorName: { type: DataTypes.STRING(301), allowNull: false },
  text: { type: DataTypes.TEXT, allowNull: false },
  rating: { type: DataTypes.INTEGER, allowNull: true },
  status: { type: DataTypes.STRING(16), allowNull: false },
  createdAt: { type: DataTypes.DATE(3), allowNull: false },
  updatedAt: { type: DataTypes.DATE(3), allowNull: false },
};

const guestbookColumns = {
  id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
  message: { type: DataTypes.STRING(500), allowNull: false },
  authorName: { type: DataTypes.STRING(301), allowNull: false },
  // No foreign keys: guests are deleted by `visitor-pass cleanup` (their entries first, by the `expired` listener).
  visitorId: { type: DataTypes.STRING(36), allowNull: true },
  userId: { type: DataTypes.INTEGER, allowNull: true },
  createdAt: { type: DataTypes.DATE(3), allowNull: false },
  updatedAt: { type: DataTypes.DATE(3), allowNull: false },
};

export interface ReferenceModels {
  User: typeof User;
  Reference: typeof Reference;
  GuestbookEntry: typeof GuestbookEntry;
}

/** Fresh subclasses per call, so an app restarted in the same process binds its own database. */
export function defineReferenceModels(sequelize: Sequelize): ReferenceModels {
  class BoundUser extends User {}
  class BoundReference extends Reference {}
  class BoundGuestbookEntry extends GuestbookEntry {}
  BoundUser.init(userColumns, { sequelize, tableName: USERS_TABLE, modelName: 'User' });
  BoundReference.init(referenceColumns, { sequelize, tableName: REFERENCES_TABLE, modelName: 'Reference' });
  BoundGuestbookEntry.init(guestbookColumns, { sequelize, tableName: GUESTBOOK_TABLE, modelName: 'GuestbookEntry' });
  return { User: BoundUser, Reference: BoundReference, GuestbookEntry: BoundGuestbookEntry };
}

/** The example's own tables, migrated beside the pass's (never `sync()`). */
export async function migrateReferenceTables(sequelize: Sequelize): Promise<string[]> {
  const umzug = new Umzug<QueryInterface>({
    migrations: [
      {
        name: '0001-create-users-and-references',
        async up({ context: queryInterface }) {
          await queryInterface.createTable(USERS_TABLE, userColumns);
          await queryInterface.createTable(REFERENCES_TABLE, referenceColumns);
          await queryInterface.addIndex(REFERENCES_TABLE, ['requesterId'], { name: 'reference_letters_requester' });
          await queryInterface.addIndex(REFERENCES_TABLE, ['visitorId'], { name: 'reference_letters_visitor' });
        },
        async down({ context: queryInterface }) {
          await queryInterface.dropTable(REFERENCES_TABLE);
          await queryInterface.dropTable(USERS_TABLE);
        },
      },
      {
        name: '0002-create-guestbook-entries',
        async up({ context: queryInterface }) {
          await queryInterface.createTable(GUESTBOOK_TABLE, guestbookColumns);
          await queryInterface.addIndex(GUESTBOOK_TABLE, ['createdAt'], { name: 'guestbook_entries_created' });
          await queryInterface.addIndex(GUESTBOOK_TABLE, ['visitorId'], { name: 'guestbook_entries_visitor' });
          await queryInterface.addIndex(GUESTBOOK_TABLE, ['userId'], { name: 'guestbook_entries_user' });
        },
        async down({ context: queryInterface }) {
          await queryInterface.dropTable(GUESTBOOK_TABLE);
        },
      },
    ],
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'reference_request_migrations' }),
    logger: undefined,
  });
  const ran = await umzug.up();
  return ran.map((migration) => migration.name);
}

/** Hands the entries a visitor or guest signed over to `user`, under the user's name; how many moved. */
export async function moveGuestbookEntries(
  models: ReferenceModels,
  visitorId: string,
  user: Pick<User, 'id' | 'name'>,
  transaction?: Transaction,
): Promise<number> {
  const [moved] = await models.GuestbookEntry.update(
    { visitorId: null, userId: user.id, authorName: user.name },
    { where: { visitorId }, transaction },
  );
  return moved;
}

export const SEED_USERS = [
  { email: 'fred@example.com', name: 'Fred Astaire', password: 'fred', isStaff: false },
  { email: 'staff@example.com', name: 'Site Staff', password: 'staff', isStaff: true },
];

/** Creates the seed users that are missing; running it again changes nothing. */
export async function seedUsers(models: ReferenceModels): Promise<void> {
  for (const { password, ...user } of SEED_USERS) {
    if (await models.User.findOne({ where: { email: user.email } })) continue;
    await models.User.create({ ...user, passwordHash: await hashPassword(password) });
  }
}
