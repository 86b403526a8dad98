/** What the billing worker logs through (a pino logger fits). */
export interface BillingWorkerLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}
