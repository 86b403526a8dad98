import { Text } from '@mantine/core';
import { type ReactNode } from 'react';
import { LoadingState } from '../../shared';
import { useApiCapabilities } from './api-capabilities';

/**
 * Renders `children` only when this server offers `GET {pathTemplate}` (its OpenAPI document),
 * else a short note: optional features never fail with a request the server cannot answer.
 */
export function OptionalEndpoint({
  pathTemplate,
  what,
  children,
}: {
  pathTemplate: string;
  what: string;
  children: ReactNode;
}) {
  const { loaded, has } = useApiCapabilities();
  if (!loaded) return <LoadingState />;
  if (!has('GET', pathTemplate)) {
    return (
      <Text size="sm" c="dimmed">
        {what}: not available on this server.
      </Text>
    );
  }
  return <>{children}</>;
}

/** A list from an answer that is a bare array or an object holding one (`items`, `alerts`, …). */
export function listOf<T>(data: unknown, ...keys: string[]): T[] {
  if (Array.isArray(data)) return data as T[];
  if (data && typeof data === 'object') {
    for (const key of [...keys, 'items']) {
      const value = (data as Record<string, unknown>)[key];
      if (Array.isArray(value)) return value as T[];
    }
  }
  return [];
}
