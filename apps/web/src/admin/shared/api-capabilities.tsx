import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';

/**
 * The operations this server offers, read once from its OpenAPI document: pages ask before calling
 * an optional endpoint (billing, alerts, the outbox) so an older server shows an explanation
 * instead of failing requests.
 */
interface Capabilities {
  loaded: boolean;
  /** Whether `GET /api/admin/consumers/{id}/alerts` (a path template of the document) exists. */
  has: (method: string, pathTemplate: string) => boolean;
}

const CapabilitiesContext = createContext<Capabilities>({ loaded: false, has: () => false });

export function ApiCapabilitiesProvider({ children }: { children: ReactNode }) {
  const [operations, setOperations] = useState<Set<string> | null>(null);

  useEffect(() => {
    let current = true;
    fetch('/api/openapi.json', { headers: { accept: 'application/json' } })
      .then((response) => (response.ok ? (response.json() as Promise<{ paths?: object }>) : { paths: {} }))
      .then((document) => {
        const found = new Set<string>();
        for (const [path, item] of Object.entries(document.paths ?? {})) {
          for (const method of Object.keys(item as object)) found.add(`${method.toUpperCase()} ${path}`);
        }
        if (current) setOperations(found);
      })
      .catch(() => current && setOperations(new Set()));
    return () => {
      current = false;
    };
  }, []);

  const value: Capabilities = {
    loaded: operations !== null,
    has: (method, pathTemplate) => operations?.has(`${method.toUpperCase()} ${pathTemplate}`) ?? false,
  };
  return <CapabilitiesContext.Provider value={value}>{children}</CapabilitiesContext.Provider>;
}

export function useApiCapabilities(): Capabilities {
  return useContext(CapabilitiesContext);
}
