/** Calls to the admin API with a bearer token, for integration tests that drive the control plane. */
export type AdminCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** An admin API client; `baseUrl` is read on every call, so it may be set after the client is made. */
export function adminClient(baseUrl: () => string, token: string): AdminCall {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

/** A new plan with one consumer on it and one key; returns the key and the consumer id. */
export async function consumerOnNewPlan(
  admin: AdminCall,
  name: string,
  plan: Record<string, unknown>,
): Promise<{ key: string; consumerId: string }> {
  const created = await admin<{ id: string }>('POST', '/api/admin/plans', { name, ...plan });
  const consumer = await admin<{ id: string }>('POST', '/api/admin/consumers', {
    name,
    email: `${name.toLowerCase().replace(/[^a-z0-9]/g, '')}@example.com`,
    planId: created.id,
  });
  const key = await admin<{ key: string }>('POST', `/api/admin/consumers/${consumer.id}/keys`, {});
  return { key: key.key, consumerId: consumer.id };
}
