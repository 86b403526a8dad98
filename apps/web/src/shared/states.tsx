import { Alert, Button, Center, Group, Loader, Stack, Text, ThemeIcon } from '@mantine/core';
import { type ReactNode } from 'react';
import { errorMessage } from './api-client';

export interface LoadingStateProps {
  label?: string;
}

/** A centred spinner with a label read by screen readers. */
export function LoadingState({ label = 'Loading…' }: LoadingStateProps) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Group gap="sm">
        <Loader size="sm" aria-hidden />
        <Text c="dimmed" size="sm">
          {label}
        </Text>
      </Group>
    </Center>
  );
}

export interface EmptyStateProps {
  title: string;
  description?: ReactNode;
  action?: ReactNode;
}

export function EmptyState({ title, description, action }: EmptyStateProps) {
  return (
    <Center py="xl">
      <Stack align="center" gap="xs" maw={420} ta="center">
        <ThemeIcon variant="light" size="xl" radius="xl" aria-hidden>
          ∅
        </ThemeIcon>
        <Text fw={600}>{title}</Text>
        {description ? (
          <Text c="dimmed" size="sm">
            {description}
          </Text>
        ) : null}
        {action}
      </Stack>
    </Center>
  );
}

export interface ErrorStateProps {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}

export function ErrorState({ error, title = 'Could not load this', onRetry }: ErrorStateProps) {
  return (
    <Alert color="red" variant="light" title={title} role="alert">
      <Stack gap="xs" align="flex-start">
        <Text size="sm">{errorMessage(error)}</Text>
        {onRetry ? (
          <Button size="xs" variant="default" onClick={onRetry}>
            Try again
          </Button>
        ) : null}
      </Stack>
    </Alert>
  );
}

export interface ResourceViewProps<T> {
  resource: { data: T | undefined; error: unknown; loading: boolean; reload: () => void };
  loadingLabel?: string;
  errorTitle?: string;
  /** Shown when the data is missing or `isEmpty(data)` holds. */
  empty?: ReactNode;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ReactNode;
}

/** Loading, error, empty or the content: the four states of anything loaded from the API. */
export function ResourceView<T>({
  resource,
  loadingLabel,
  errorTitle,
  empty,
  isEmpty,
  children,
}: ResourceViewProps<T>) {
  if (resource.error !== undefined) {
    return <ErrorState error={resource.error} title={errorTitle} onRetry={resource.reload} />;
  }
  if (resource.data === undefined) {
    return resource.loading ? <LoadingState label={loadingLabel} /> : <>{empty ?? null}</>;
  }
  if (isEmpty?.(resource.data)) return <>{empty ?? null}</>;
  return <>{children(resource.data)}</>;
}
