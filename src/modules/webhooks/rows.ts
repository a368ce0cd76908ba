/** Row shapes of the webhook tables and their mapping to what the module hands out. */

export const WebhookDeliveryStatus = {
  PENDING: 'PENDING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
} as const;
export type WebhookDeliveryStatus = (typeof WebhookDeliveryStatus)[keyof typeof WebhookDeliveryStatus];

export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  createdAt: Date;
}

export interface WebhookDeliveryView {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  /** The body exactly as sent, as text. */
  body: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  lastResponseStatus: number | null;
  createdAt: Date;
}

export const ENDPOINT_COLUMNS = 'id, url, description, event_types, enabled, created_at';

export interface EndpointRow {
  id: string;
  url: string;
  description: string | null;
  event_types: string[];
  enabled: boolean;
  created_at: string | Date;
}

export const DELIVERY_COLUMNS = `d.id, d.endpoint_id, d.event_id, ev.type as event_type, ev.body, d.status,
  d.attempts, d.last_attempt_at, d.next_attempt_at, d.last_response_status, d.created_at`;

export interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  body: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  last_attempt_at: string | Date | null;
  next_attempt_at: string | Date | null;
  last_response_status: number | null;
  created_at: string | Date;
}

function date(v: string | Date): Date {
  return v instanceof Date ? v : new Date(v);
}

function dateOrNull(v: string | Date | null): Date | null {
  return v === null ? null : date(v);
}

export function toEndpoint(r: EndpointRow): WebhookEndpointView {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    eventTypes: r.event_types,
    enabled: r.enabled,
    createdAt: date(r.created_at),
  };
}

export function toDelivery(r: DeliveryRow): WebhookDeliveryView {
  return {
    id: r.id,
    endpointId: r.endpoint_id,
    eventId: r.event_id,
    eventType: r.event_type,
    body: r.body,
    status: r.status,
    attempts: r.attempts,
    lastAttemptAt: dateOrNull(r.last_attempt_at),
    nextAttemptAt: dateOrNull(r.next_attempt_at),
    lastResponseStatus: r.last_response_status,
    createdAt: date(r.created_at),
  };
}
