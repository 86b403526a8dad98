import { Group, Progress, Text } from '@mantine/core';
import { formatQuotaPercent, usageColor } from '../shared/format';

/** Percent of the quota as a bar and a number (the bar caps at 100 %). */
export function UsageBar({ percent, label }: { percent: number | null | undefined; label: string }) {
  if (percent === null || percent === undefined) {
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  }
  return (
    <Group gap="xs" wrap="nowrap">
      <Progress.Root w={90}>
        <Progress.Section
          value={Math.min(percent, 100)}
          color={usageColor(percent)}
          aria-label={`${label}: ${formatQuotaPercent(percent)} of the quota`}
        />
      </Progress.Root>
      <Text size="sm" w={56} ta="right">
        {formatQuotaPercent(percent)}
      </Text>
    </Group>
  );
}
