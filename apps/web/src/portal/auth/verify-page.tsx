import { Alert, Button, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { emailOnlyInputSchema } from '@tollgate/plans-portal/inputs';
import { useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { errorMessage, LoadingState, notifySuccess, showRequestError, zodValidate } from '../../shared';
import { portalApi } from '../portal-api';
import { type Developer } from '../portal-types';
import { AuthCard } from './auth-card';

type Outcome =
  { state: 'verifying' } | { state: 'done'; developer: Developer } | { state: 'failed'; message: string };

/** The landing page of the mailed link: posts the token once and shows the outcome. */
export function VerifyPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [outcome, setOutcome] = useState<Outcome>({ state: 'verifying' });
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    if (!token) {
      setOutcome({ state: 'failed', message: 'This link has no token. Open the link from the mail again.' });
      return;
    }
    portalApi.post<{ developer: Developer }>('/verify', { token }).then(
      ({ developer }) => setOutcome({ state: 'done', developer }),
      (error: unknown) => setOutcome({ state: 'failed', message: errorMessage(error) }),
    );
  }, [token]);

  if (outcome.state === 'verifying') {
    return (
      <AuthCard title="Verifying your email">
        <LoadingState label="Checking the link…" />
      </AuthCard>
    );
  }
  if (outcome.state === 'done') {
    return (
      <AuthCard title="Email verified">
        <Alert color="teal" variant="light" role="status">
          Thanks, {outcome.developer.name}: {outcome.developer.email} is verified and your account is ready.
        </Alert>
        <Button component={Link} to="/portal/login?verified=1">
          Continue to sign in
        </Button>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="This link did not work">
      <Alert color="red" variant="light" role="alert">
        {outcome.message}
      </Alert>
      <ResendForm />
    </AuthCard>
  );
}

function ResendForm() {
  const [submitting, setSubmitting] = useState(false);
  const form = useForm<{ email: string }>({
    mode: 'controlled',
    initialValues: { email: '' },
    validate: zodValidate<{ email: string }>(emailOnlyInputSchema),
  });
  const submit = async (values: { email: string }) => {
    setSubmitting(true);
    try {
      await portalApi.post('/verify/resend', emailOnlyInputSchema.parse(values));
      notifySuccess('If the account is not verified yet, a new link is on its way.', 'Link sent');
    } catch (error) {
      showRequestError(form, error);
    } finally {
      setSubmitting(false);
    }
  };
  return (
    <form onSubmit={form.onSubmit((values) => void submit(values))} noValidate>
      <Stack gap="sm">
        <TextInput label="Email" type="email" autoComplete="email" {...form.getInputProps('email')} />
        <Button type="submit" variant="light" loading={submitting}>
          Send a new link
        </Button>
      </Stack>
    </form>
  );
}
