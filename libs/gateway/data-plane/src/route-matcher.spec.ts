import { type SnapshotRoute } from '@tollgate/gateway-snapshot';
import { compileRoute, matchRoute, sortRoutes, unmatchedEndpoint } from './route-matcher';

function route(method: string, pathTemplate: string, costWeight = 1): SnapshotRoute {
  return { method, pathTemplate, endpoint: `${method} ${pathTemplate}`, costWeight };
}

function compileAll(routes: SnapshotRoute[]) {
  return sortRoutes(routes.map(compileRoute));
}

describe('matchRoute', () => {
  const routes = compileAll([
    route('GET', '/v1/orders/:id'),
    route('GET', '/v1/orders/export'),
    route('POST', '/v1/orders', 3),
    route('*', '/v1/files/*'),
    route('GET', '/'),
  ]);

  it.each([
    ['GET', '/v1/orders/42', 'GET /v1/orders/:id'],
    ['GET', '/v1/orders/export', 'GET /v1/orders/export'],
    ['GET', '/v1/orders/42/', 'GET /v1/orders/:id'],
    ['POST', '/v1/orders', 'POST /v1/orders'],
    ['DELETE', '/v1/files/a/b/c.txt', '* /v1/files/*'],
    ['PUT', '/v1/files', '* /v1/files/*'],
    ['GET', '/', 'GET /'],
    ['HEAD', '/v1/orders/7', 'GET /v1/orders/:id'],
  ])('%s %s → %s', (method, path, endpoint) => {
    expect(matchRoute(routes, method, path)?.endpoint).toBe(endpoint);
  });

  it.each([
    ['GET', '/v1/orders'],
    ['GET', '/v1/orders/42/items'],
    ['GET', '/v1/orders//'],
    ['PUT', '/v1/orders/42'],
    ['GET', '/v1/order/42'],
    ['GET', '/v1/ordersx/42'],
  ])('%s %s matches nothing', (method, path) => {
    expect(matchRoute(routes, method, path)).toBeNull();
  });

  it('prefers a literal segment over a parameter whatever the declaration order', () => {
    const [first] = compileAll([route('GET', '/a/:x'), route('GET', '/a/b')]);
    expect(first.pathTemplate).toBe('/a/b');
  });

  it('prefers an exact method over *', () => {
    const sorted = compileAll([route('*', '/a'), route('GET', '/a')]);
    expect(matchRoute(sorted, 'GET', '/a')?.endpoint).toBe('GET /a');
    expect(matchRoute(sorted, 'POST', '/a')?.endpoint).toBe('* /a');
  });

  it('carries the cost weight', () => {
    expect(matchRoute(routes, 'POST', '/v1/orders')?.costWeight).toBe(3);
  });

  it.each(['v1/x', '/a/*/b', '/a/:', '/a//b'])('refuses the template %s', (template) => {
    expect(() => compileRoute(route('GET', template))).toThrow();
  });

  it('names unmatched requests by method only, so the endpoint set stays bounded', () => {
    expect(unmatchedEndpoint('DELETE')).toBe('DELETE *');
  });
});
