import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { type ApiClient, createApiClient } from '../../shared/api-client';

export type AdminRole = 'viewer' | 'admin' | 'owner';

/**
 * The admin session lives in memory only (never localStorage or sessionStorage): a reload asks
 * for the credentials again, and nothing in the page's storage can leak the token.
 */
export interface AdminSession {
  token: string;
  role: AdminRole;
  /** Who signed in: an email, or "Bootstrap token". */
  label: string;
  /** An admin user's session ends server-side on sign-out; the bootstrap token has none. */
  kind: 'user' | 'bootstrap';
}

interface AdminSessionValue {
  session: AdminSession | null;
  /** Set when the server ended the session (401), to explain the sign-in page. */
  expired: boolean;
  signIn: (session: AdminSession) => void;
  signOut: () => Promise<void>;
  /** `/api/admin` with the session's bearer token. */
  api: ApiClient;
  /** Whether the role may write (admin or owner). */
  canWrite: boolean;
}

const AdminSessionContext = createContext<AdminSessionValue | null>(null);

/** A client for `/api/admin` with `token` (the sign-in page checks a bootstrap token with it). */
export function adminApi(token: string, onUnauthenticated?: () => void): ApiClient {
  return createApiClient({
    basePath: '/api/admin',
    headers: () => ({ authorization: `Bearer ${token}` }),
    onUnauthenticated,
  });
}

export function AdminSessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<AdminSession | null>(null);
  const [expired, setExpired] = useState(false);

  const dropSession = useCallback(() => {
    setSession(null);
    setExpired(true);
  }, []);

  const api = useMemo(() => adminApi(session?.token ?? '', dropSession), [session, dropSession]);

  const value = useMemo<AdminSessionValue>(
    () => ({
      session,
      expired,
      api,
      canWrite: session?.role === 'admin' || session?.role === 'owner',
      signIn: (next) => {
        setExpired(false);
        setSession(next);
      },
      signOut: async () => {
        if (session?.kind === 'user') await api.delete('/session').catch(() => undefined);
        setExpired(false);
        setSession(null);
      },
    }),
    [session, expired, api],
  );

  return <AdminSessionContext.Provider value={value}>{children}</AdminSessionContext.Provider>;
}

export function useAdminSession(): AdminSessionValue {
  const value = useContext(AdminSessionContext);
  if (!value) throw new Error('useAdminSession outside AdminSessionProvider');
  return value;
}
