export { webhookEventTypes, isWebhookEventType, type WebhookEventType } from './event-types';
export {
  DELIVER_TASK,
  configureWebhookSettings,
  recordWebhookEvent,
  recordWebhookEvents,
  subscribedWebhookTypes,
  webhookSettings,
  type RecordedWebhookEvents,
  type WebhookEventInput,
} from './record';
export { defaultWebhookOptions, retryDelayMs, type WebhookOptions } from './options';
export { isPrivateAddress } from './ssrf';
export { sendWebhook, type SendRequest, type SendResult } from './send';
export { WebhookDeliveryStatus, type WebhookDeliveryView, type WebhookEndpointView } from './rows';
export {
  WebhooksService,
  type CreateWebhookEndpointInput,
  type UpdateWebhookEndpointInput,
  type WebhookEndpointWithSecret,
} from './service';
export { RUNNER_ALIVE_SECONDS, sweepStalledDeliveries, type AttemptOutcome } from './delivery';
