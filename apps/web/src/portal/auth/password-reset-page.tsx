import { Alert, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import {
  emailOnlyInputSchema,
  minimumPasswordLength,
  passwordResetConfirmInputSchema,
} from '@tollgate/plans-portal/inputs';
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { showRequestError, zodValidate } from '../../shared';
import { portalApi } from '../portal-api';
import { AuthCard, PortalLink } from './auth-card';

/** Without a token: ask for the mail. With the mailed link's token: choose the new password. */
export function PasswordResetPage() {
  const [params] = useSearchParams();
  const token = params.get('token');
  return token ? <ChooseNewPassword token={token} /> : <RequestReset />;
}

function RequestReset() {
  const [submitting, setSubmitting] = useState(false);
  const [sent, setSent] = useState(false);
  const form = useForm<{ email: string }>({
    mode: 'controlled',
    initialValues: { email: '' },
    validate: zodValidate<{ email: string }>(emailOnlyInputSchema),
  });
  const submit = async (values: { email: string }) => {
    setSubmitting(true);
    try {
      await portalApi.post('/password-reset', emailOnlyInputSchema.parse(values));
      setSent(true);
    } catch (error) {
      showRequestError(form, error);
    } finally {
      setSubmitting(false);
    }
  };
  return (
    <AuthCard
      title="Reset your password"
      subtitle="We mail you a link to choose a new one."
      footer={<PortalLink to="/portal/login">Back to sign in</PortalLink>}
    >
      {sent ? (
        <Alert color="teal" variant="light" role="status">
          If an account exists for this email, a mail with a reset link is on its way. The link works for one
          hour.
        </Alert>
      ) : (
        <form onSubmit={form.onSubmit((values) => void submit(values))} noValidate>
          <Stack gap="sm">
            <TextInput
              label="Email"
              type="email"
              autoComplete="email"
              required
              {...form.getInputProps('email')}
            />
            <Button type="submit" loading={submitting}>
              Mail me a link
            </Button>
          </Stack>
        </form>
      )}
    </AuthCard>
  );
}

function ChooseNewPassword({ token }: { token: string }) {
  const navigate = useNavigate();
  const [submitting, setSubmitting] = useState(false);
  const form = useForm<{ token: string; password: string }>({
    mode: 'controlled',
    initialValues: { token, password: '' },
    validate: zodValidate<{ token: string; password: string }>(passwordResetConfirmInputSchema),
  });
  const submit = async (values: { token: string; password: string }) => {
    setSubmitting(true);
    try {
      await portalApi.post('/password-reset/confirm', values);
      await navigate('/portal/login?reset=1', { replace: true });
    } catch (error) {
      showRequestError(form, error);
    } finally {
      setSubmitting(false);
    }
  };
  const tokenError = form.errors['token'];
  return (
    <AuthCard
      title="Choose a new password"
      footer={<PortalLink to="/portal/password-reset">Get a new link</PortalLink>}
    >
      {tokenError ? (
        <Alert color="red" variant="light" role="alert">
          This link is invalid, expired or already used: {String(tokenError)}
        </Alert>
      ) : null}
      <form onSubmit={form.onSubmit((values) => void submit(values))} noValidate>
        <Stack gap="sm">
          <PasswordInput
            label="New password"
            description={`At least ${minimumPasswordLength} characters`}
            autoComplete="new-password"
            required
            {...form.getInputProps('password')}
          />
          <Button type="submit" loading={submitting}>
            Set password
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}
