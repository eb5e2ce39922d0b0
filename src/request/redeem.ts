import type { Request } from 'express';
import { Op } from 'sequelize';
import type { Visitor } from '../data/models';
import { VisitorPassError } from '../errors';
import type { Runtime } from '../runtime';
import { hashToken, isWellFormedToken } from '../token';
import { redemptionRefusal } from './pass-checks';

/**
 * Checks a token and counts one use. The count is a single conditional
 * UPDATE, so N parallel redemptions of a pass with one use left give exactly
 * one success on every database.
 */
export async function redeemToken(runtime: Runtime, token: string, req?: Request): Promise<Visitor> {
  if (!isWellFormedToken(token)) throw new VisitorPassError('VISITOR_TOKEN_MALFORMED');
  const { Visitor } = runtime.models;
  const visitor = await runtime.store(() => Visitor.findOne({ where: { tokenHash: hashToken(token) } }));
  if (!visitor) throw new VisitorPassError('VISITOR_PASS_NOT_FOUND');

  const now = new Date();
  const refusal = redemptionRefusal(visitor, now);
  if (refusal) return deny(runtime, visitor, refusal, req);

  const [counted] = await runtime.store(() =>
    Visitor.update(
      { useCount: Visitor.sequelize!.literal(`${quoted(Visitor, 'useCount')} + 1`) as unknown as number, redeemedAt: now, lastSeenAt: now },
      {
        where: {
          id: visitor.id,
          isActive: true,
          [Op.and]: [
            { [Op.or]: [{ expiresAt: null }, { expiresAt: { [Op.gt]: now } }] },
            { [Op.or]: [{ maxUses: null }, { useCount: { [Op.lt]: Visitor.sequelize!.col('maxUses') } }] },
          ],
        },
      },
    ),
  );
  await runtime.store(() => visitor.reload());
  if (counted !== 1) return deny(runtime, visitor, redemptionRefusal(visitor, now) ?? 'VISITOR_PASS_USED_UP', req);

  await runtime.log(visitor.id, 'REDEEMED', req);
  runtime.events.emit('redeemed', { visitor });
  return visitor;
}

async function deny(runtime: Runtime, visitor: Visitor, code: VisitorPassError['code'], req?: Request): Promise<never> {
  await runtime.log(visitor.id, 'DENIED', req, { reason: code });
  runtime.events.emit('denied', { visitor, code });
  throw new VisitorPassError(code);
}

function quoted(model: typeof Visitor, attribute: string): string {
  return model.sequelize!.getQueryInterface().quoteIdentifier(attribute);
}
