import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode, Problems } from '../../core/errors';
import { IdPrefix, isIdOf, newId } from '../../core/ids';
import type { CursorCodec } from '../shared/cursor';
import { memoOf } from '../shared/memo';
import { finishPage, keysetRequest, type Page, type PageArgs } from '../shared/page';
import { CustomerEntity, CustomerSubjectEntity } from './entities';

export interface CreateCustomerInput {
  key: string;
  name: string;
  email?: string | null;
  subjectKeys?: string[] | null;
  metadata?: Record<string, unknown> | null;
}

export interface UpdateCustomerInput {
  name?: string | null;
  email?: string | null;
  subjectKeys?: string[] | null;
  metadata?: Record<string, unknown> | null;
}

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_METADATA_BYTES = 16_384;

function checkName(problems: Problems, name: string): void {
  if (name.trim().length === 0 || name.length > 200) problems.add('name', 'must be 1-200 characters');
}
function checkEmail(problems: Problems, email: string | null | undefined): void {
  if (email != null && (!EMAIL_RE.test(email) || email.length > 320))
    problems.add('email', 'is not an email address');
}
function checkMetadata(problems: Problems, metadata: Record<string, unknown> | null | undefined): void {
  if (metadata != null && Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
    problems.add('metadata', `must be at most ${MAX_METADATA_BYTES} bytes of JSON`);
  }
}
function checkSubjects(problems: Problems, subjects: string[]): void {
  if (subjects.length > 100) problems.add('subjectKeys', 'at most 100 subject keys');
  subjects.forEach((s, i) => {
    if (!KEY_RE.test(s))
      problems.add(`subjectKeys[${i}]`, 'must be 1-128 characters of letters, digits, _ . : @ -');
  });
}

/**
 * Whether the customer exists. Customers are never deleted, so one that was seen is known to exist for the
 * life of the process (`memoOf`): customer-scoped reads and mutations skip this round trip.
 */
export async function customerExists(em: EntityManager, id: string): Promise<boolean> {
  if (!isIdOf(IdPrefix.Customer, id)) return false;
  const memo = memoOf<true>(em, 'customer-exists');
  if (memo.get(id)) return true;
  const found = (await em.execute<unknown[]>('select 1 from customer where id = ?', [id])).length > 0;
  if (found) memo.remember(em, id, true);
  return found;
}

export class CustomersService {
  constructor(
    private readonly em: EntityManager,
    private readonly cursors: CursorCodec,
  ) {}

  /** Rejects subject keys that belong to another customer; CONFLICT names them. */
  private async claimSubjects(em: EntityManager, customerId: string, subjects: string[]): Promise<void> {
    const taken = await em.find(CustomerSubjectEntity, {
      subjectKey: { $in: subjects },
      customerId: { $ne: customerId },
    });
    if (taken.length > 0) {
      throw new DomainError(
        ErrorCode.CONFLICT,
        `Subject keys already belong to another customer: ${taken.map((t) => t.subjectKey).join(', ')}`,
      );
    }
    await em.nativeDelete(CustomerSubjectEntity, { customerId, subjectKey: { $nin: subjects } });
    const existing = await em.find(CustomerSubjectEntity, { customerId });
    const have = new Set(existing.map((e) => e.subjectKey));
    for (const s of subjects)
      if (!have.has(s)) em.persist(em.create(CustomerSubjectEntity, { subjectKey: s, customerId }));
  }

  async create(input: CreateCustomerInput): Promise<CustomerEntity> {
    const problems = new Problems();
    if (!KEY_RE.test(input.key))
      problems.add('key', 'must be 1-128 characters of letters, digits, _ . : @ -');
    checkName(problems, input.name);
    checkEmail(problems, input.email);
    checkMetadata(problems, input.metadata);
    checkSubjects(problems, input.subjectKeys ?? []);
    const subjects = [...new Set([input.key, ...(input.subjectKeys ?? [])])];
    problems.throwIfAny();
    try {
      return await this.em.transactional(async (em) => {
        if (await em.findOne(CustomerEntity, { key: input.key })) {
          throw new DomainError(ErrorCode.CONFLICT, `Customer ${input.key} already exists`);
        }
        const now = new Date();
        const customer = em.create(CustomerEntity, {
          id: newId(IdPrefix.Customer),
          key: input.key,
          name: input.name.trim(),
          email: input.email ?? null,
          metadata: input.metadata ?? null,
          createdAt: now,
          updatedAt: now,
        });
        em.persist(customer);
        await em.flush();
        await this.claimSubjects(em, customer.id, subjects);
        return customer;
      });
    } catch (e) {
      if ((e as { code?: string }).code === '23505') {
        throw new DomainError(
          ErrorCode.CONFLICT,
          `Customer ${input.key} or one of its subject keys already exists`,
        );
      }
      throw e;
    }
  }

  async update(id: string, input: UpdateCustomerInput): Promise<CustomerEntity> {
    const problems = new Problems();
    if (input.name != null) checkName(problems, input.name);
    checkEmail(problems, input.email);
    checkMetadata(problems, input.metadata);
    if (input.subjectKeys != null) checkSubjects(problems, input.subjectKeys);
    problems.throwIfAny();
    try {
      return await this.em.transactional(async (em) => {
        const customer = isIdOf(IdPrefix.Customer, id)
          ? await em.findOne(CustomerEntity, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE })
          : null;
        if (!customer) throw DomainError.notFound('Customer', id);
        if (input.name != null) customer.name = input.name.trim();
        if (input.email !== undefined) customer.email = input.email;
        if (input.metadata !== undefined) customer.metadata = input.metadata;
        if (input.subjectKeys != null) {
          await this.claimSubjects(em, customer.id, [...new Set([customer.key, ...input.subjectKeys])]);
        }
        customer.updatedAt = new Date();
        return customer;
      });
    } catch (e) {
      if ((e as { code?: string }).code === '23505') {
        throw new DomainError(
          ErrorCode.CONFLICT,
          'One of the subject keys already belongs to another customer',
        );
      }
      throw e;
    }
  }

  async byId(id: string): Promise<CustomerEntity | null> {
    if (!isIdOf(IdPrefix.Customer, id)) return null;
    return this.em.findOne(CustomerEntity, { id });
  }

  async byKey(key: string): Promise<CustomerEntity | null> {
    return this.em.findOne(CustomerEntity, { key });
  }

  /** NOT_FOUND unless the customer exists (see `customerExists`). */
  async assertExists(id: string): Promise<void> {
    if (!(await customerExists(this.em, id))) throw DomainError.notFound('Customer', id);
  }

  /** NOT_FOUND unless the customer exists. */
  async require(id: string): Promise<CustomerEntity> {
    const c = await this.byId(id);
    if (!c) throw DomainError.notFound('Customer', id);
    return c;
  }

  async byIds(ids: readonly string[]): Promise<Map<string, CustomerEntity>> {
    const rows = await this.em.find(CustomerEntity, { id: { $in: [...ids] } });
    return new Map(rows.map((r) => [r.id, r]));
  }

  async subjectKeysByCustomerIds(ids: readonly string[]): Promise<Map<string, string[]>> {
    const rows = await this.em.find(
      CustomerSubjectEntity,
      { customerId: { $in: [...ids] } },
      { orderBy: { subjectKey: 'asc' } },
    );
    const out = new Map<string, string[]>(ids.map((id) => [id, []]));
    for (const r of rows) out.get(r.customerId)?.push(r.subjectKey);
    return out;
  }

  /** Customers newest first; `search` matches key, name or email (case-insensitive substring). */
  async list(search: string | null | undefined, args: PageArgs): Promise<Page<CustomerEntity>> {
    const term = search?.trim() ?? '';
    const scope = this.cursors.scopeOf(['customers', term]);
    const req = keysetRequest<string>(args, this.cursors, scope, 'string');
    const where: Record<string, unknown> = {};
    if (term.length > 0) {
      const like = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.$or = [{ key: { $ilike: like } }, { name: { $ilike: like } }, { email: { $ilike: like } }];
    }
    if (req.bound !== null) where.id = req.forward ? { $lt: req.bound } : { $gt: req.bound };
    const rows = await this.em.find(CustomerEntity, where, {
      orderBy: { id: req.forward ? 'desc' : 'asc' },
      limit: req.limit + 1,
    });
    return finishPage(rows, req, (c) => c.id, this.cursors, scope);
  }
}
