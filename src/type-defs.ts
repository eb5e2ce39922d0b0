import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** schema/visitor-pass.graphql, found from src/ (tests) or dist/src/ (the built package). */
export function loadTypeDefs(): string {
  const candidates = [join(__dirname, '..', 'schema'), join(__dirname, '..', '..', 'schema')];
  const dir = candidates.find((candidate) => existsSync(join(candidate, 'visitor-pass.graphql')));
  if (!dir) throw new Error('graphql-visitor-pass: schema/visitor-pass.graphql is missing from the package.');
  return readFileSync(join(dir, 'visitor-pass.graphql'), 'utf8');
}
