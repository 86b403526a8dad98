import { Button, Code, CopyButton, Group } from '@mantine/core';

export interface CopyFieldProps {
  value: string;
  /** Accessible name of the copy button, e.g. "Copy API key". */
  label: string;
}

/** A secret or id in monospace with a copy button. */
export function CopyField({ value, label }: CopyFieldProps) {
  return (
    <Group gap="xs" wrap="nowrap" align="center">
      <Code
        block
        style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}
        data-testid="copy-value"
      >
        {value}
      </Code>
      <CopyButton value={value} timeout={1500}>
        {({ copied, copy }) => (
          <Button
            variant={copied ? 'filled' : 'default'}
            color={copied ? 'teal' : undefined}
            onClick={copy}
            aria-label={label}
            size="sm"
            miw={84}
          >
            {copied ? 'Copied' : 'Copy'}
          </Button>
        )}
      </CopyButton>
    </Group>
  );
}
