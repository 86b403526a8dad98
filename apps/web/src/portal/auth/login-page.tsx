import { Alert, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { loginInputSchema } from '@tollgate/plans-portal/inputs';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { ApiError, errorMessage, showRequestError, zodValidate } from '../../shared';
import { portalApi } from '../portal-api';
import { usePortalSession } from '../portal-session';
import { AuthCard, PortalLink } from './auth-card';

interface LoginValues {
  email: string;
  password: string;
}

export function LoginPage() {
  const [params] = useSearchParams();
  const { signIn } = usePortalSession();
  const [submitting, setSubmitting] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const form = useForm<LoginValues>({
    mode: 'controlled',
    initialValues: { email: '', password: '' },
    validate: zodValidate<LoginValues>(loginInputSchema),
  });

  const submit = async (values: LoginValues) => {
    setSubmitting(true);
    setProblem(undefined);
    try {
      await portalApi.post('/login', loginInputSchema.parse(values));
      // The sign-in route then forwards to `next` (see ToNextPage).
      await signIn();
    } catch (error) {
      if (
        error instanceof ApiError &&
        (error.status === 401 || error.status === 403 || error.status === 429)
      ) {
        setProblem(errorMessage(error));
      } else {
        showRequestError(form, error);
      }
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <AuthCard
      title="Sign in"
      subtitle="Manage your API keys, plan and usage."
      footer={
        <>
          New here? <PortalLink to="/portal/signup">Create an account</PortalLink>
        </>
      }
    >
      {params.get('verified') === '1' ? (
        <Alert color="teal" variant="light" title="Email verified">
          Your account is ready: sign in to get your first API key.
        </Alert>
      ) : null}
      {params.get('reset') === '1' ? (
        <Alert color="teal" variant="light" title="Password changed">
          Sign in with your new password.
        </Alert>
      ) : null}
      {problem ? (
        <Alert color="red" variant="light" role="alert">
          {problem}
        </Alert>
      ) : null}
      <form onSubmit={form.onSubmit((values) => void submit(values))} noValidate>
        <Stack gap="sm">
          <TextInput
            label="Email"
            type="email"
            autoComplete="email"
            required
            {...form.getInputProps('email')}
          />
          <PasswordInput
            label="Password"
            autoComplete="current-password"
            required
            {...form.getInputProps('password')}
          />
          <Button type="submit" loading={submitting} fullWidth>
            Sign in
          </Button>
          <PortalLink to="/portal/password-reset">Forgot your password?</PortalLink>
        </Stack>
      </form>
    </AuthCard>
  );
}
