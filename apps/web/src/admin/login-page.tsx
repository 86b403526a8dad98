import {
  Alert,
  Button,
  Center,
  Paper,
  PasswordInput,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { adminLoginSchema } from '@tollgate/plans-domain';
import { type FormEvent, useState } from 'react';
import { createApiClient, errorMessage } from '../shared/api-client';
import {
  type AdminRole,
  adminSessionOf,
  type AdminSessionState,
  useAdminSession,
} from './shared/admin-session';
import { apiFieldErrors, type FieldErrors, validate } from './shared/field-errors';

type Method = 'password' | 'token';

/** Admin sign-in: an admin user's email and password, or the bootstrap admin token. */
export function AdminLoginPage() {
  const { signIn, expired } = useAdminSession();
  const [method, setMethod] = useState<Method>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  const submitPassword = async () => {
    const body = { email: email.trim(), password };
    const checked = validate(adminLoginSchema, body);
    if (!checked.ok) return setErrors(checked.errors);
    // The answer also sets the httpOnly session cookie; its bearer token is not kept.
    const session = await createApiClient({ basePath: '/api/admin' }).post<{ role: AdminRole }>(
      '/session',
      body,
    );
    setPassword('');
    signIn({ role: session.role, label: body.email, kind: 'user' });
  };

  const submitToken = async () => {
    const value = token.trim();
    if (!/^tg_adm(in)?_\S+$/.test(value)) {
      return setErrors({ token: 'Must be an admin token (tg_admin_… or tg_adm_…)' });
    }
    // Exchanged once for a session cookie: the page forgets the token right after.
    const state = await createApiClient({
      basePath: '/api/admin',
      headers: () => ({ authorization: `Bearer ${value}` }),
    }).post<AdminSessionState>('/session/token');
    setToken('');
    signIn(adminSessionOf(state));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setErrors({});
    setBusy(true);
    try {
      await (method === 'password' ? submitPassword() : submitToken());
    } catch (error) {
      const fields = apiFieldErrors(error);
      setErrors(method === 'token' && fields._ ? { token: errorMessage(error) } : fields);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={420} component="main">
        <form onSubmit={(event) => void submit(event)} noValidate aria-label="Admin sign-in">
          <Stack>
            <div>
              <Title order={1} size="h2">
                Tollgate admin
              </Title>
              <Text c="dimmed" size="sm">
                Sign in to manage plans, consumers and analytics.
              </Text>
            </div>
            {expired ? (
              <Alert color="yellow" role="status">
                Your session ended; sign in again.
              </Alert>
            ) : null}
            <SegmentedControl
              fullWidth
              aria-label="Sign-in method"
              value={method}
              onChange={(value) => {
                setMethod(value as Method);
                setErrors({});
              }}
              data={[
                { value: 'password', label: 'Email and password' },
                { value: 'token', label: 'Admin token' },
              ]}
            />
            {method === 'password' ? (
              <>
                <TextInput
                  label="Email"
                  type="email"
                  autoComplete="username"
                  required
                  value={email}
                  error={errors.email}
                  onChange={(event) => setEmail(event.currentTarget.value)}
                />
                <PasswordInput
                  label="Password"
                  autoComplete="current-password"
                  required
                  value={password}
                  error={errors.password}
                  onChange={(event) => setPassword(event.currentTarget.value)}
                />
              </>
            ) : (
              <PasswordInput
                label="Admin token"
                description="The bootstrap token from demo.json or ADMIN_TOKEN"
                autoComplete="off"
                required
                value={token}
                error={errors.token}
                onChange={(event) => setToken(event.currentTarget.value)}
              />
            )}
            {errors._ ? (
              <Alert color="red" role="alert">
                {errors._}
              </Alert>
            ) : null}
            <Button type="submit" loading={busy} fullWidth>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
