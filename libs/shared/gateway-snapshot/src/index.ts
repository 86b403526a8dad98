export * from './gateway-snapshot';
export * from './quota-ceiling';
