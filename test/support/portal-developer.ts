import { listOutbox, outboxDirectory, readOutboxMessage } from '@tollgate/mail';
import { type EmbeddedPlatform, eventually } from './app-process';

/** A portal call: JSON in, the raw response out, with the developer's session cookie. */
export type PortalCall = (
  path: string,
  init?: RequestInit & { cookie?: string; json?: unknown },
) => Promise<Response>;

export function portalClient(embedded: () => EmbeddedPlatform): PortalCall {
  return (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (init.cookie) headers.set('cookie', init.cookie);
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${embedded().demo.apiUrl}/api/portal${path}`, {
      ...init,
      headers,
      body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
    });
  };
}

/**
 * Signs a developer up, follows the verification link from the mail outbox and logs in: the
 * session cookie and the developer's consumer id. Needs the outbox (no SMTP_URL).
 */
export async function verifiedDeveloper(
  embedded: EmbeddedPlatform,
  email: string,
  name: string,
): Promise<{ cookie: string; consumerId: string }> {
  const portal = portalClient(() => embedded);
  const password = 'correct horse battery staple';
  const signup = await portal('/signup', { method: 'POST', json: { email, password, name } });
  if (signup.status !== 201) throw new Error(`signup answered ${signup.status}: ${await signup.text()}`);
  const directory = outboxDirectory({ TOLLGATE_DATA_DIR: embedded.dataDirectory });
  const mail = await eventually(
    async () => {
      const entry = (await listOutbox(directory)).find(
        (candidate) => candidate.to.includes(email) && /Verify your email/.test(candidate.subject),
      );
      return entry ? readOutboxMessage(directory, entry.file) : undefined;
    },
    (found) => found !== undefined,
    10_000,
    `verification mail to ${email}`,
  );
  const link = /http\S+\/api\/portal\/verify\?token=\S+/.exec(mail?.text ?? '')?.[0];
  if (!link) throw new Error(`no verification link in ${mail?.text}`);
  const verified = await fetch(link);
  if (verified.status !== 200) throw new Error(`verification answered ${verified.status}`);
  const login = await portal('/login', { method: 'POST', json: { email, password } });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  const me = (await (await portal('/me', { cookie })).json()) as { consumer: { id: string } | null };
  if (!me.consumer) throw new Error('the developer has no consumer');
  return { cookie, consumerId: me.consumer.id };
}
