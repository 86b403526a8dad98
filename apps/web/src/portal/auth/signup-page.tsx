import { Alert, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { minimumPasswordLength, signupInputSchema } from '@tollgate/plans-portal/inputs';
import { useState } from 'react';
import { showRequestError, zodValidate } from '../../shared';
import { portalApi } from '../portal-api';
import { AuthCard, PortalLink } from './auth-card';

interface SignupValues {
  name: string;
  email: string;
  password: string;
}

export function SignupPage() {
  const [submitting, setSubmitting] = useState(false);
  const [sentTo, setSentTo] = useState<string | undefined>();
  const form = useForm<SignupValues>({
    mode: 'controlled',
    initialValues: { name: '', email: '', password: '' },
    validate: zodValidate<SignupValues>(signupInputSchema),
  });

  const submit = async (values: SignupValues) => {
    setSubmitting(true);
    try {
      const input = signupInputSchema.parse(values);
      await portalApi.post('/signup', input);
      setSentTo(input.email);
    } catch (error) {
      if (!showRequestError(form, error) && error instanceof Error && /already exists/i.test(error.message)) {
        form.setFieldError('email', error.message);
      }
    } finally {
      setSubmitting(false);
    }
  };

  if (sentTo) {
    return (
      <AuthCard title="Check your inbox">
        <Alert color="teal" variant="light" title="Almost there" role="status">
          We sent a verification link to <strong>{sentTo}</strong>. Open it to activate your account; it works
          for 24 hours.
        </Alert>
        <Text size="sm">
          Verified already? <PortalLink to="/portal/login">Sign in</PortalLink>
        </Text>
      </AuthCard>
    );
  }

  return (
    <AuthCard
      title="Create your developer account"
      subtitle="Free to start: you get a key and a monthly quota right after verifying your email."
      footer={
        <>
          Have an account? <PortalLink to="/portal/login">Sign in</PortalLink>
        </>
      }
    >
      <form onSubmit={form.onSubmit((values) => void submit(values))} noValidate>
        <Stack gap="sm">
          <TextInput label="Name" autoComplete="name" required {...form.getInputProps('name')} />
          <TextInput
            label="Email"
            type="email"
            autoComplete="email"
            required
            {...form.getInputProps('email')}
          />
          <PasswordInput
            label="Password"
            description={`At least ${minimumPasswordLength} characters`}
            autoComplete="new-password"
            required
            {...form.getInputProps('password')}
          />
          <Button type="submit" loading={submitting} fullWidth>
            Create account
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}
