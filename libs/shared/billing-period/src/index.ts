export * from './billing-period';
