import type { Command } from 'commander';
import { passIdFrom } from '../data/models';
import { writeVisitorLog } from '../logs/visitor-log';
import { withDatabase } from './database';
import { CliFailure, printable, writeLine, type CliIo } from './io';

/** `visitor-pass revoke <id>`: the link stops working and every session holding the pass ends on its next request. */
export function addRevokeCommand(program: Command, io: CliIo): void {
  program
    .command('revoke')
    .description('Revoke a visitor pass: its link stops working and its sessions end on their next request.')
    .argument('<id>', 'the id of the pass (as `visitor-pass list` shows it)')
    .action(async (given: string) => {
      const id = passIdFrom(given);
      if (!id) throw new CliFailure(`"${printable(given, 60)}" is not a visitor pass id (a UUID, as \`visitor-pass list\` shows).`);
      const message = await withDatabase(io, async ({ models }) => {
        const visitor = await models.Visitor.findByPk(id, { attributes: ['id', 'firstName', 'lastName', 'email', 'isActive'] });
        if (!visitor) throw new CliFailure(`no visitor pass with id ${id}.`);
        const name = printable(visitor.fullName, 60);
        if (!(await visitor.deactivate())) return `Visitor pass ${id} (${name}) was already inactive.`;
        await writeVisitorLog(models, id, 'REVOKED', { reason: 'CLI' });
        return `Revoked visitor pass ${id} (${name}).`;
      });
      writeLine(io.stdout, message);
    });
}
