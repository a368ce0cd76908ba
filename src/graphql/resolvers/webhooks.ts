import {
  Arg,
  Args,
  Ctx,
  FieldResolver,
  ID,
  Mutation,
  Query,
  Resolver,
  Root,
  UseMiddleware,
} from 'type-graphql';
import { DomainError } from '../../core/errors';
import type { Context } from '../context';
import { AdminOnly } from '../guards';
import { toConnection } from '../types/common';
import {
  CreateWebhookEndpointInput,
  UpdateWebhookEndpointInput,
  WebhookDeliveryConnection,
  WebhookDeliveryStatus,
  WebhookDeliveryType,
  WebhookEndpointSecretType,
  WebhookEndpointType,
  toWebhookDelivery,
  toWebhookEndpoint,
} from '../types/webhooks';
import { ForwardPageArgs } from './catalog';

/** Webhook endpoints and their delivery log (SPEC §15): admin only, customer tokens get FORBIDDEN. */
@Resolver(() => WebhookEndpointType)
export class WebhookEndpointResolver {
  @Query(() => [WebhookEndpointType], { description: 'Admin only. Oldest first; deleted ones are gone.' })
  @UseMiddleware(AdminOnly)
  async webhookEndpoints(@Ctx() ctx: Context): Promise<WebhookEndpointType[]> {
    return (await ctx.services.webhooks.list()).map(toWebhookEndpoint);
  }

  @Query(() => [String], { description: 'Admin only. The event types an endpoint may subscribe to.' })
  @UseMiddleware(AdminOnly)
  webhookEventTypes(@Ctx() ctx: Context): string[] {
    return ctx.services.webhooks.eventTypes();
  }

  @Mutation(() => WebhookEndpointSecretType)
  @UseMiddleware(AdminOnly)
  async createWebhookEndpoint(
    @Arg('input', () => CreateWebhookEndpointInput) input: CreateWebhookEndpointInput,
    @Ctx() ctx: Context,
  ): Promise<WebhookEndpointSecretType> {
    const r = await ctx.services.webhooks.create(input);
    return { endpoint: toWebhookEndpoint(r.endpoint), secret: r.secret };
  }

  @Mutation(() => WebhookEndpointType)
  @UseMiddleware(AdminOnly)
  async updateWebhookEndpoint(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateWebhookEndpointInput) input: UpdateWebhookEndpointInput,
    @Ctx() ctx: Context,
  ): Promise<WebhookEndpointType> {
    return toWebhookEndpoint(await ctx.services.webhooks.update(id, input));
  }

  @Mutation(() => ID, { description: 'Deleting a deleted endpoint is NOT_FOUND.' })
  @UseMiddleware(AdminOnly)
  async deleteWebhookEndpoint(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<string> {
    return ctx.services.webhooks.delete(id);
  }

  @Mutation(() => WebhookEndpointSecretType, {
    description: 'In force at once: later attempts, retries included, are signed with the new secret only.',
  })
  @UseMiddleware(AdminOnly)
  async rotateWebhookSecret(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: Context,
  ): Promise<WebhookEndpointSecretType> {
    const r = await ctx.services.webhooks.rotateSecret(id);
    return { endpoint: toWebhookEndpoint(r.endpoint), secret: r.secret };
  }

  @FieldResolver(() => WebhookDeliveryConnection, { description: 'Newest first by createdAt.' })
  async deliveries(
    @Root() endpoint: WebhookEndpointType,
    @Arg('status', () => [WebhookDeliveryStatus], { nullable: true })
    status: WebhookDeliveryStatus[] | null,
    @Args(() => ForwardPageArgs) page: ForwardPageArgs,
    @Ctx() ctx: Context,
  ) {
    const result = await ctx.services.webhooks.deliveries(endpoint.id, status, page);
    return toConnection(result, (d) => toWebhookDelivery(d, endpoint));
  }
}

@Resolver(() => WebhookDeliveryType)
export class WebhookDeliveryResolver {
  @Mutation(() => WebhookDeliveryType, {
    description: 'Sends the same event (same webhook-id, same body) to the endpoint again, now.',
  })
  @UseMiddleware(AdminOnly)
  async redeliverWebhook(
    @Arg('deliveryId', () => ID) deliveryId: string,
    @Ctx() ctx: Context,
  ): Promise<WebhookDeliveryType> {
    return toWebhookDelivery(await ctx.services.webhooks.redeliver(deliveryId));
  }

  @FieldResolver(() => WebhookEndpointType)
  async endpoint(@Root() d: WebhookDeliveryType, @Ctx() ctx: Context): Promise<WebhookEndpointType> {
    if (d.endpointView) return toWebhookEndpoint(d.endpointView);
    const found = (await ctx.services.webhooks.byIds([d.endpointId])).get(d.endpointId);
    if (!found) throw DomainError.notFound('WebhookEndpoint', d.endpointId);
    return toWebhookEndpoint(found);
  }
}
