export * from './admin-tokens';
export * from './consumer-usage-context';
export * from './demo-bootstrap';
export * from './gateway-snapshot.builder';
