export { AlertsService, alertsFor, alertViews, thresholdsOf } from './service';
export type { Alert, AlertType, CreditBalanceAlertView } from './service';
