import type { Command } from 'commander';
import { writeVisitorLog } from '../logs/visitor-log';
import { withDatabase } from './database';
import { CliFailure, printable, writeLine, type CliIo } from './io';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `visitor-pass revoke <id>`: the link stops working and every session holding the pass ends on its next request. */
export function addRevokeCommand(program: Command, io: CliIo): void {
  program
    .command('revoke')
    .description('Revoke a visitor pass: its link stops working and its sessions end on their next request.')
    .argument('<id>', 'the id of the pass (as `visitor-pass list` shows it)')
    .action(async (given: string) => {
      if (!UUID.test(given)) throw new CliFailure(`"${printable(given, 60)}" is not a visitor pass id (a UUID, as \`visitor-pass list\` shows).`);
      // Stored ids are lowercase; MySQL compares them byte for byte.
      const id = given.toLowerCase();
      const message = await withDatabase(io, async ({ models }) => {
        const visitor = await models.Visitor.findByPk(id, { attributes: ['id', 'firstName', 'lastName', 'email', 'isActive'] });
        if (!visitor) throw new CliFailure(`no visitor pass with id ${id}.`);
        const name = printable(visitor.fullName, 60);
        const [revoked] = await models.Visitor.update({ isActive: false, revokedAt: new Date() }, { where: { id, isActive: true } });
        if (revoked === 0) return `Visitor pass ${id} (${name}) was already inactive.`;
        // The query-string key only matters for request facts, and a CLI revocation has no request.
        await writeVisitorLog(models, '', id, 'REVOKED', undefined, { reason: 'CLI' });
        return `Revoked visitor pass ${id} (${name}).`;
      });
      writeLine(io.stdout, message);
    });
}
