import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo } from 'react';
import { ApiError, useResource } from '../shared';
import { portalApi, portalSignedOutEvent } from './portal-api';
import { type DeveloperProfile } from './portal-types';

export interface PortalSession {
  /** undefined while loading; null when nobody is signed in. */
  profile: DeveloperProfile | null | undefined;
  error: unknown;
  reload: () => void;
  /** Loads the profile after a sign-in, before any page that needs it renders. */
  signIn: () => Promise<void>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<PortalSession | undefined>(undefined);

/** Who is signed in, from `GET /api/portal/me` (a 401 means nobody). */
export function PortalSessionProvider({ children }: { children: ReactNode }) {
  const resource = useResource('me', async (signal) => {
    try {
      return await portalApi.get<DeveloperProfile>('/me', { signal });
    } catch (error) {
      if (error instanceof ApiError && error.isUnauthenticated) return null;
      throw error;
    }
  });
  const { reload, setData } = resource;
  // A 401 anywhere means the session is gone: the pages send the developer to sign in again.
  useEffect(() => {
    const signedOut = () => setData(null);
    window.addEventListener(portalSignedOutEvent, signedOut);
    return () => window.removeEventListener(portalSignedOutEvent, signedOut);
  }, [setData]);
  const signIn = useCallback(async () => {
    setData(await portalApi.get<DeveloperProfile>('/me'));
  }, [setData]);
  const signOut = useCallback(async () => {
    await portalApi.post('/logout').catch(() => undefined);
    setData(null);
  }, [setData]);
  const value = useMemo<PortalSession>(
    () => ({
      profile: resource.error !== undefined ? undefined : resource.data,
      error: resource.error,
      reload,
      signIn,
      signOut,
    }),
    [resource.data, resource.error, reload, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function usePortalSession(): PortalSession {
  const session = useContext(SessionContext);
  if (!session) throw new Error('usePortalSession outside PortalSessionProvider');
  return session;
}

/** The signed-in developer's profile; only inside pages rendered for a signed-in developer. */
export function useProfile(): DeveloperProfile {
  const { profile } = usePortalSession();
  if (!profile) throw new Error('useProfile without a signed-in developer');
  return profile;
}
