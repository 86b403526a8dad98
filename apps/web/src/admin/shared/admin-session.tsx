import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { type AdminRoleName, roleSatisfies } from '@tollgate/plans-domain';
import { ApiError, type ApiClient, createApiClient } from '../../shared/api-client';

export type AdminRole = AdminRoleName;

/**
 * The signed-in admin as the page shows it. The session itself is the httpOnly
 * `tg_admin_session` cookie, which no script can read: nothing secret is kept in the page or its
 * storage, and a reload restores the session from `GET /api/admin/session`.
 */
export interface AdminSession {
  role: AdminRole;
  /** Who signed in: an email, or "Bootstrap token". */
  label: string;
  kind: 'user' | 'bootstrap';
}

/** `GET /api/admin/session` (and the token exchange's answer). */
export interface AdminSessionState {
  kind: 'user' | 'bootstrap';
  role: AdminRole;
  expiresAt: string | null;
  user: { id: string; email: string; name: string } | null;
}

interface AdminSessionValue {
  /** undefined while the session is being restored; null when nobody is signed in. */
  session: AdminSession | null | undefined;
  /** Set when the server ended the session (401), to explain the sign-in page. */
  expired: boolean;
  signIn: (session: AdminSession) => void;
  signOut: () => Promise<void>;
  /** `/api/admin`, authenticated by the session cookie. */
  api: ApiClient;
  /** Whether the role may write (admin or owner). */
  canWrite: boolean;
}

const AdminSessionContext = createContext<AdminSessionValue | null>(null);

/**
 * A client for `/api/admin` that relies on the session cookie. Every request carries
 * `X-Requested-With`, which the API requires of changes made with the cookie (CSRF protection).
 */
export function adminApi(onUnauthenticated?: () => void): ApiClient {
  return createApiClient({
    basePath: '/api/admin',
    headers: () => ({ 'x-requested-with': 'XMLHttpRequest' }),
    onUnauthenticated,
  });
}

/** What the page shows of a session the server described. */
export function adminSessionOf(state: AdminSessionState): AdminSession {
  return {
    role: state.role,
    kind: state.kind,
    label: state.kind === 'user' ? (state.user?.email ?? 'Admin user') : 'Bootstrap token',
  };
}

export function AdminSessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<AdminSession | null | undefined>(undefined);
  const [expired, setExpired] = useState(false);
  const signedIn = useRef(false);

  const dropSession = useCallback(() => {
    // Only a session that was live has "ended"; a 401 while restoring just means nobody.
    if (!signedIn.current) return;
    signedIn.current = false;
    setSession(null);
    setExpired(true);
  }, []);

  const api = useMemo(() => adminApi(dropSession), [dropSession]);

  useEffect(() => {
    const controller = new AbortController();
    adminApi()
      .get<AdminSessionState>('/session', { signal: controller.signal })
      .then((state) => {
        signedIn.current = true;
        setSession(adminSessionOf(state));
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        // A 401 means nobody is signed in; anything else, the sign-in page says more on submit.
        if (!(error instanceof ApiError) || !error.isUnauthenticated) console.warn(error);
        setSession((current) => (current === undefined ? null : current));
      });
    return () => controller.abort();
  }, []);

  const value = useMemo<AdminSessionValue>(
    () => ({
      session,
      expired,
      api,
      canWrite: session ? roleSatisfies(session.role, 'admin') : false,
      signIn: (next) => {
        signedIn.current = true;
        setExpired(false);
        setSession(next);
      },
      signOut: async () => {
        signedIn.current = false;
        await api.delete('/session').catch(() => undefined);
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
