export { AlertsService, alertsFor } from './service';
export type { Alert, AlertType } from './service';
