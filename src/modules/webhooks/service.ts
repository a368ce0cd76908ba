import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode, Problems } from '../../core/errors';
import type { CursorCodec } from '../shared/cursor';
import { pgArray } from '../shared/sql';
import { finishPage, keysetRequest, type Page, type PageArgs } from '../shared/page';
import {
  attemptDelivery,
  forgetRunner,
  heartbeatRunner,
  sweepStalledDeliveries,
  type AttemptOutcome,
} from './delivery';
import { isWebhookEventType, webhookEventTypes } from './event-types';
import { defaultWebhookOptions, type WebhookOptions } from './options';
import {
  DELIVER_TASK,
  invalidateSubscribedTypes,
  newDeliveryId,
  newEndpointId,
  webhookSettings,
} from './record';
import {
  DELIVERY_COLUMNS,
  ENDPOINT_COLUMNS,
  toDelivery,
  toEndpoint,
  type DeliveryRow,
  type EndpointRow,
  type WebhookDeliveryStatus,
  type WebhookDeliveryView,
  type WebhookEndpointView,
} from './rows';
import { newSigningSecret } from './secret';
import { endpointUrlProblem } from './ssrf';

export interface CreateWebhookEndpointInput {
  url: string;
  eventTypes: string[];
  description?: string | null;
}

export interface UpdateWebhookEndpointInput {
  url?: string | null;
  eventTypes?: string[] | null;
  description?: string | null;
  enabled?: boolean | null;
}

/** An endpoint with its signing secret: only creation and rotation return it. */
export interface WebhookEndpointWithSecret {
  endpoint: WebhookEndpointView;
  secret: string;
}

const MAX_DESCRIPTION = 500;

function checkEventTypes(problems: Problems, types: readonly string[]): string[] {
  if (types.length === 0) problems.add('eventTypes', 'must name at least one event type');
  types.forEach((t, i) => {
    if (!isWebhookEventType(t)) problems.add(`eventTypes[${i}]`, `unknown event type "${t}"`);
  });
  return [...new Set(types)];
}

function checkDescription(problems: Problems, d: string | null | undefined): void {
  if (d != null && d.length > MAX_DESCRIPTION)
    problems.add('description', `must be at most ${MAX_DESCRIPTION} characters`);
}

/**
 * Webhook endpoints, their delivery log and the delivery attempts (SPEC §15). Owns webhook_endpoint,
 * webhook_event and webhook_delivery; events are written by `recordWebhookEvents` in their cause's
 * transaction. Every statement here is a single one, so none needs a transaction of its own.
 */
export class WebhooksService {
  constructor(
    private readonly em: EntityManager,
    private readonly cursors: CursorCodec,
    private readonly options: WebhookOptions = defaultWebhookOptions,
  ) {}

  eventTypes(): string[] {
    return [...webhookEventTypes];
  }

  /** Endpoints not deleted, oldest first. */
  async list(): Promise<WebhookEndpointView[]> {
    const rows = await this.em.execute<EndpointRow[]>(
      `select ${ENDPOINT_COLUMNS} from webhook_endpoint where deleted_at is null order by created_at, id`,
    );
    return rows.map(toEndpoint);
  }

  /** Endpoints by id, deleted ones included (a delivery's endpoint). */
  async byIds(ids: readonly string[]): Promise<Map<string, WebhookEndpointView>> {
    const rows = await this.em.execute<EndpointRow[]>(
      `select ${ENDPOINT_COLUMNS} from webhook_endpoint where id = any(?::text[])`,
      [pgArray(ids)],
    );
    return new Map(rows.map((r) => [r.id, toEndpoint(r)]));
  }

  private async requireLive(id: string): Promise<WebhookEndpointView> {
    const rows = id.startsWith('whe_')
      ? await this.em.execute<EndpointRow[]>(
          `select ${ENDPOINT_COLUMNS} from webhook_endpoint where id = ? and deleted_at is null`,
          [id],
        )
      : [];
    if (!rows[0]) throw DomainError.notFound('WebhookEndpoint', id);
    return toEndpoint(rows[0]);
  }

  async create(input: CreateWebhookEndpointInput): Promise<WebhookEndpointWithSecret> {
    const problems = new Problems();
    const types = checkEventTypes(problems, input.eventTypes);
    checkDescription(problems, input.description);
    const urlProblem = await endpointUrlProblem(input.url, this.options.guardPrivate);
    if (urlProblem) problems.add('url', urlProblem);
    problems.throwIfAny();
    const secret = newSigningSecret();
    const rows = await this.em.execute<EndpointRow[]>(
      `insert into webhook_endpoint (id, url, description, event_types, secret)
       values (?, ?, ?, ?::text[], ?) returning ${ENDPOINT_COLUMNS}`,
      [newEndpointId(), input.url, input.description ?? null, pgArray(types), secret],
    );
    invalidateSubscribedTypes(this.em);
    return { endpoint: toEndpoint(rows[0]!), secret };
  }

  async update(id: string, input: UpdateWebhookEndpointInput): Promise<WebhookEndpointView> {
    await this.requireLive(id);
    const problems = new Problems();
    const sets: string[] = [];
    const params: unknown[] = [];
    if (input.eventTypes != null) {
      sets.push('event_types = ?::text[]');
      params.push(pgArray(checkEventTypes(problems, input.eventTypes)));
    }
    if (input.description !== undefined) {
      checkDescription(problems, input.description);
      sets.push('description = ?');
      params.push(input.description);
    }
    if (input.enabled != null) {
      sets.push('enabled = ?');
      params.push(input.enabled);
    }
    if (input.url != null) {
      const urlProblem = await endpointUrlProblem(input.url, this.options.guardPrivate);
      if (urlProblem) problems.add('url', urlProblem);
      sets.push('url = ?');
      params.push(input.url);
    }
    problems.throwIfAny();
    const rows = await this.em.execute<EndpointRow[]>(
      `update webhook_endpoint set ${[...sets, 'updated_at = now()'].join(', ')}
        where id = ? and deleted_at is null returning ${ENDPOINT_COLUMNS}`,
      [...params, id],
    );
    if (!rows[0]) throw DomainError.notFound('WebhookEndpoint', id);
    invalidateSubscribedTypes(this.em);
    return toEndpoint(rows[0]);
  }

  /** Deletes (disables and hides) an endpoint; its pending deliveries get no more attempts. */
  async delete(id: string): Promise<string> {
    const rows = id.startsWith('whe_')
      ? await this.em.execute<{ id: string }[]>(
          `update webhook_endpoint set deleted_at = now(), enabled = false, updated_at = now()
            where id = ? and deleted_at is null returning id`,
          [id],
        )
      : [];
    if (!rows[0]) throw DomainError.notFound('WebhookEndpoint', id);
    invalidateSubscribedTypes(this.em);
    return id;
  }

  /** A new secret, in force at once: every later attempt, retries included, is signed with it only. */
  async rotateSecret(id: string): Promise<WebhookEndpointWithSecret> {
    const secret = newSigningSecret();
    const rows = id.startsWith('whe_')
      ? await this.em.execute<EndpointRow[]>(
          `update webhook_endpoint set secret = ?, updated_at = now()
            where id = ? and deleted_at is null returning ${ENDPOINT_COLUMNS}`,
          [secret, id],
        )
      : [];
    if (!rows[0]) throw DomainError.notFound('WebhookEndpoint', id);
    return { endpoint: toEndpoint(rows[0]), secret };
  }

  /** The delivery log of one endpoint, newest first by creation, optionally of some statuses only. */
  async deliveries(
    endpointId: string,
    statuses: readonly WebhookDeliveryStatus[] | null | undefined,
    args: PageArgs,
  ): Promise<Page<WebhookDeliveryView>> {
    const wanted = statuses && statuses.length > 0 ? [...new Set(statuses)].sort() : null;
    const scope = this.cursors.scopeOf(['webhookDeliveries', endpointId, wanted]);
    const req = keysetRequest<string>(
      { first: args.first, after: args.after },
      this.cursors,
      scope,
      'string',
    );
    const where = ['d.endpoint_id = ?'];
    const params: unknown[] = [endpointId];
    if (wanted) {
      where.push('d.status = any(?::text[])');
      params.push(pgArray(wanted));
    }
    if (req.bound !== null) {
      where.push('(d.created_at, d.id) < (select b.created_at, b.id from webhook_delivery b where b.id = ?)');
      params.push(req.bound);
    }
    const rows = await this.em.execute<DeliveryRow[]>(
      `select ${DELIVERY_COLUMNS} from webhook_delivery d join webhook_event ev on ev.id = d.event_id
        where ${where.join(' and ')} order by d.created_at desc, d.id desc limit ?`,
      [...params, req.limit + 1],
    );
    return finishPage(rows.map(toDelivery), req, (d) => d.id, this.cursors, scope);
  }

  async deliveryById(id: string): Promise<WebhookDeliveryView | null> {
    const rows = await this.em.execute<DeliveryRow[]>(
      `select ${DELIVERY_COLUMNS} from webhook_delivery d join webhook_event ev on ev.id = d.event_id
        where d.id = ?`,
      [id],
    );
    return rows[0] ? toDelivery(rows[0]) : null;
  }

  /**
   * Sends a delivery's event to its endpoint again, now: a new delivery (in the log next to the old one)
   * of the same event, so the same `webhook-id` and the same body bytes, with a fresh retry schedule.
   */
  async redeliver(deliveryId: string): Promise<WebhookDeliveryView> {
    const rows = deliveryId.startsWith('whd_')
      ? await this.em.execute<
          { endpoint_id: string; event_id: string; customer_id: string; enabled: boolean; deleted: boolean }[]
        >(
          `select d.endpoint_id, d.event_id, d.customer_id, e.enabled, e.deleted_at is not null as deleted
             from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id where d.id = ?`,
          [deliveryId],
        )
      : [];
    const old = rows[0];
    if (!old || old.deleted) throw DomainError.notFound('WebhookDelivery', deliveryId);
    if (!old.enabled)
      throw new DomainError(ErrorCode.INVALID_STATE, 'The endpoint is disabled; enable it to redeliver');
    const id = newDeliveryId();
    const created = await this.em.execute<DeliveryRow[]>(
      `with del as (
         insert into webhook_delivery (id, endpoint_id, event_id, customer_id, next_attempt_at, max_attempts,
                                       retry_base_ms, timeout_ms)
         values (?, ?, ?, ?, now(), ?, ?, ?)
         returning *
       ), job as (
         select graphile_worker.add_job(?, json_build_object('deliveryId', ?::text, 'endpointId', ?::text, 'attempts', 0),
                  max_attempts := 25, job_key := ?)
       )
       -- the delivery as created: its first attempt may already be under way when this is read again
       select ${DELIVERY_COLUMNS} from del d join webhook_event ev on ev.id = d.event_id cross join job`,
      [
        id,
        old.endpoint_id,
        old.event_id,
        old.customer_id,
        webhookSettings.maxAttempts,
        webhookSettings.retryBaseMs,
        webhookSettings.timeoutMs,
        DELIVER_TASK,
        id,
        old.endpoint_id,
        id,
      ],
    );
    return toDelivery(created[0]!);
  }

  /** One delivery attempt (the job runner's task); see `attemptDelivery`. */
  async attempt(deliveryId: string, attemptsBefore: number | null = null): Promise<AttemptOutcome> {
    return attemptDelivery(this.em, this.options, deliveryId, attemptsBefore);
  }

  /** Re-enqueues pending deliveries whose job was lost (a process killed mid-attempt); returns how many. */
  async sweep(): Promise<number> {
    return sweepStalledDeliveries(this.em);
  }

  /** A delivery runner's heartbeat; see `heartbeatRunner`. */
  async heartbeat(runnerId: string, oldestHeldDue: Date | null): Promise<void> {
    await heartbeatRunner(this.em, runnerId, oldestHeldDue);
  }

  /** A stopping runner holds nothing any more. */
  async forgetRunner(runnerId: string): Promise<void> {
    await forgetRunner(this.em, runnerId);
  }
}
