import { Option, type Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { cleanupVisitorPasses, DEFAULT_CLEANUP_BATCH_SIZE, DEFAULT_GUEST_LIFETIME, type CleanupProgress } from '../data/cleanup';
import { parseBatchSize, parseDuration } from './arguments';
import { withDatabase } from './database';
import { writeLine, type CliIo } from './io';

interface CleanupCommandOptions {
  olderThan: number;
  guestMaxAge: number;
  guestExpireFrom: 'lastSeen' | 'created';
  dryRun?: boolean;
  batchSize: number;
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

interface ProgressBar {
  onProgress: (progress: CleanupProgress) => void;
  stop: () => void;
}

/** A progress bar on stderr, drawn once there is something to delete. */
function progressBar(io: CliIo): ProgressBar {
  const bar = new SingleBar({ stream: io.stderr, format: 'Deleting visitor passes [{bar}] {value}/{total}' }, Presets.shades_classic);
  let started = false;
  return {
    onProgress({ done, total }) {
      if (!started) {
        if (total === 0) return;
        bar.start(total, done);
        started = true;
        return;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop: () => bar.stop(),
  };
}

/** `visitor-pass cleanup`: deletes stale passes with their logs, batch by batch. */
export function addCleanupCommand(program: Command, io: CliIo): void {
  program
    .command('cleanup')
    .description(
      'Delete visitor passes that have been expired or inactive, and unseen, for longer than a duration, and expired guests, together with their logs.',
    )
    .addOption(
      new Option('--older-than <duration>', 'how long a pass must have been expired or inactive, and unseen: 30d, 12h, 45m, 90s, 2w')
        .argParser(parseDuration)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--guest-max-age <duration>', "how long a guest lasts: the app's guests.maxAge").argParser(parseDuration).default(DEFAULT_GUEST_LIFETIME.maxAge, '30d'),
    )
    .addOption(
      new Option('--guest-expire-from <from>', "what a guest's age counts from: the app's guests.expireFrom")
        .choices(['lastSeen', 'created'])
        .default(DEFAULT_GUEST_LIFETIME.expireFrom),
    )
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .addOption(
      new Option('--batch-size <n>', 'passes deleted per statement').argParser(parseBatchSize).default(DEFAULT_CLEANUP_BATCH_SIZE),
    )
    .action(async (options: CleanupCommandOptions) => {
      // Only a terminal gets a bar: logs and pipes get just the counts.
      const bar = io.isTTY && !options.dryRun ? progressBar(io) : null;
      const deleted = await withDatabase(io, ({ models }) =>
        cleanupVisitorPasses(models, {
          olderThanSeconds: options.olderThan,
          guests: { maxAge: options.guestMaxAge, expireFrom: options.guestExpireFrom },
          dryRun: options.dryRun,
          batchSize: options.batchSize,
          onProgress: bar?.onProgress,
        }),
      ).finally(() => bar?.stop());
      const passes = count(deleted.passes, 'visitor pass', 'visitor passes');
      const what = `${passes}, ${count(deleted.guests, 'guest', 'guests')} and ${count(deleted.logs, 'log row', 'log rows')}`;
      writeLine(io.stdout, options.dryRun ? `Would delete ${what} (dry run: nothing was deleted).` : `Deleted ${what}.`);
    });
}
