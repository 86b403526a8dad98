export * from './forecast';
export { maxDecimalPlaces, roundHalfUp, unitAmountDecimalPattern } from './minor-amount';
export * from './proration';
export * from './rate';
export * from './rating-input';
