export { webhookEventTypes, isWebhookEventType, type WebhookEventType } from './event-types';
export {
  DELIVER_TASK,
  configureWebhookSettings,
  recordWebhookEvent,
  recordWebhookEvents,
  subscribedTypes as subscribedWebhookTypes,
  type RecordedWebhookEvents,
  type WebhookEventInput,
} from './record';
