import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import {
  WebhookDeliveryStatus,
  type WebhookDeliveryView,
  type WebhookEndpointView,
} from '../../modules/webhooks';
import { JSONObjectScalar } from '../scalars';
import { Node, connectionType } from './common';

registerEnumType(WebhookDeliveryStatus, { name: 'WebhookDeliveryStatus' });
export { WebhookDeliveryStatus };

@ObjectType('WebhookEndpoint', { implements: Node, description: 'Admin only.' })
export class WebhookEndpointType extends Node {
  @Field() url!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => [String]) eventTypes!: string[];
  @Field({ description: 'A disabled endpoint gets no attempts, and nothing that happens meanwhile.' })
  enabled!: boolean;
  @Field() createdAt!: Date;
}

export function toWebhookEndpoint(e: WebhookEndpointView): WebhookEndpointType {
  return Object.assign(new WebhookEndpointType(), {
    id: e.id,
    url: e.url,
    description: e.description,
    eventTypes: e.eventTypes,
    enabled: e.enabled,
    createdAt: e.createdAt,
  });
}

@ObjectType('WebhookEndpointSecret', {
  description:
    'Returned when an endpoint is created or its secret rotated: the signing secret is shown only here.',
})
export class WebhookEndpointSecretType {
  @Field(() => WebhookEndpointType) endpoint!: WebhookEndpointType;
  @Field({ description: '`whsec_` + base64 of 32 random bytes, for the Standard Webhooks libraries.' })
  secret!: string;
}

@ObjectType('WebhookDelivery', { implements: Node })
export class WebhookDeliveryType extends Node {
  /** The endpoint, when the caller already has it (a page of one endpoint's log). */
  endpointView!: WebhookEndpointView | null;
  endpointId!: string;
  @Field({ description: 'The `webhook-id` header: the same on every attempt and redelivery.' })
  eventId!: string;
  @Field() eventType!: string;
  @Field(() => JSONObjectScalar, { description: 'The body sent: `{"type", "timestamp", "data"}`.' })
  payload!: Record<string, unknown>;
  @Field(() => WebhookDeliveryStatus) status!: WebhookDeliveryStatus;
  @Field(() => Int) attempts!: number;
  @Field(() => Date, { nullable: true }) lastAttemptAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'Set while an attempt is due; null once settled.' })
  nextAttemptAt!: Date | null;
  @Field(() => Int, { nullable: true, description: 'Null when the last attempt got no response.' })
  lastResponseStatus!: number | null;
  @Field() createdAt!: Date;
}

export function toWebhookDelivery(
  d: WebhookDeliveryView,
  endpoint: WebhookEndpointView | null = null,
): WebhookDeliveryType {
  return Object.assign(new WebhookDeliveryType(), {
    id: d.id,
    endpointView: endpoint,
    endpointId: d.endpointId,
    eventId: d.eventId,
    eventType: d.eventType,
    payload: JSON.parse(d.body) as Record<string, unknown>,
    status: d.status,
    attempts: d.attempts,
    lastAttemptAt: d.lastAttemptAt,
    nextAttemptAt: d.status === 'PENDING' ? d.nextAttemptAt : null,
    lastResponseStatus: d.lastResponseStatus,
    createdAt: d.createdAt,
  });
}

export const WebhookDeliveryConnection = connectionType('WebhookDelivery', WebhookDeliveryType);

@InputType('CreateWebhookEndpointInput')
export class CreateWebhookEndpointInput {
  @Field({ description: 'http or https.' }) url!: string;
  @Field(() => [String], { description: 'A non-empty subset of `webhookEventTypes`.' })
  eventTypes!: string[];
  @Field(() => String, { nullable: true }) description?: string | null;
}

@InputType('UpdateWebhookEndpointInput')
export class UpdateWebhookEndpointInput {
  @Field(() => String, { nullable: true }) url?: string | null;
  @Field(() => [String], { nullable: true }) eventTypes?: string[] | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => Boolean, { nullable: true }) enabled?: boolean | null;
}
