import type { Command } from 'commander';
import type { WhereOptions } from 'sequelize';
import type { Visitor } from '../data/models';
import { withDatabase } from './database';
import { printable, writeLine, type CliIo } from './io';

interface ListOptions {
  active?: boolean;
  scope?: string;
  json?: boolean;
}

// Everything but the token hash, which never leaves the database.
const LISTED_ATTRIBUTES = [
  'id', 'kind', 'firstName', 'lastName', 'email', 'scope', 'context', 'invitedBy', 'url', 'expiresAt', 'sessionExpiry',
  'isActive', 'maxUses', 'useCount', 'redeemedAt', 'lastSeenAt', 'revokedAt', 'convertedUserId', 'convertedAt', 'createdAt',
] as const;

const time = (date: Date | null) => (date ? `${date.toISOString().slice(0, 16)}Z` : '-');

function tableRow(visitor: Visitor): string[] {
  return [
    visitor.id,
    visitor.kind,
    printable(visitor.fullName, 32),
    printable(visitor.email ?? '-', 40),
    printable(visitor.scope, 32),
    visitor.isActive ? 'yes' : 'no',
    `${visitor.useCount}/${visitor.maxUses ?? '-'}`,
    time(visitor.expiresAt),
    time(visitor.lastSeenAt),
  ];
}

const TABLE_HEADER = ['ID', 'KIND', 'NAME', 'EMAIL', 'SCOPE', 'ACTIVE', 'USES/MAX', 'EXPIRES', 'LAST SEEN'];

function writeTable(io: CliIo, rows: string[][]): void {
  const widths = TABLE_HEADER.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  for (const row of [TABLE_HEADER, ...rows]) {
    writeLine(io.stdout, row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd());
  }
}

function jsonLine(visitor: Visitor): string {
  const fields = Object.fromEntries(LISTED_ATTRIBUTES.map((name) => [name, visitor.get(name)]));
  return JSON.stringify({ ...fields, fullName: visitor.fullName });
}

/** `visitor-pass list`: the passes, newest first, as a table or JSON lines. */
export function addListCommand(program: Command, io: CliIo): void {
  program
    .command('list')
    .description('List visitor passes, newest first (times in UTC).')
    .option('--active', 'only passes that are still active (not revoked or deactivated)')
    .option('--scope <scope>', 'only passes with exactly this scope')
    .option('--json', 'print one JSON object per line instead of a table')
    .action(async (options: ListOptions) => {
      const where: WhereOptions<Visitor> = {
        ...(options.active ? { isActive: true } : {}),
        ...(options.scope !== undefined ? { scope: options.scope } : {}),
      };
      const visitors = await withDatabase(io, ({ models }) =>
        models.Visitor.findAll({ attributes: [...LISTED_ATTRIBUTES], where, order: [['createdAt', 'DESC'], ['id', 'ASC']] }),
      );
      if (options.json) {
        for (const visitor of visitors) writeLine(io.stdout, jsonLine(visitor));
      } else if (visitors.length === 0) {
        writeLine(io.stdout, 'No visitor passes match.');
      } else {
        writeTable(io, visitors.map(tableRow));
      }
    });
}
