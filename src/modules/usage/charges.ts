import type { EntityManager } from '@mikro-orm/postgresql';
import { IdPrefix, isIdOf } from '../../core/ids';
import type { CursorCodec } from '../shared/cursor';
import { finishPage, keysetRequest, type Page, type PageArgs } from '../shared/page';
import { ChargeEntity, type ChargeStatus } from './entities';

export class ChargesService {
  constructor(
    private readonly em: EntityManager,
    private readonly cursors: CursorCodec,
  ) {}

  async byId(id: string): Promise<ChargeEntity | null> {
    if (!isIdOf(IdPrefix.Charge, id)) return null;
    return this.em.findOne(ChargeEntity, { id });
  }

  async byIds(ids: readonly string[]): Promise<Map<string, ChargeEntity>> {
    const rows = await this.em.find(ChargeEntity, { id: { $in: [...ids] } });
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** A customer's charges, newest first. */
  async list(
    customerId: string,
    status: ChargeStatus[] | null | undefined,
    args: PageArgs,
  ): Promise<Page<ChargeEntity>> {
    const scope = this.cursors.scopeOf(['charges', customerId, [...(status ?? [])].sort()]);
    const req = keysetRequest<string>(args, this.cursors, scope, 'string');
    const where: Record<string, unknown> = { customerId };
    if (status && status.length > 0) where.status = { $in: status };
    if (req.bound !== null) where.id = req.forward ? { $lt: req.bound } : { $gt: req.bound };
    const rows = await this.em.find(ChargeEntity, where, {
      orderBy: { id: req.forward ? 'desc' : 'asc' },
      limit: req.limit + 1,
    });
    return finishPage(rows, req, (c) => c.id, this.cursors, scope);
  }
}
