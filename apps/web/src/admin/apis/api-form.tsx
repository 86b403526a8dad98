import { Alert, Button, Group, SimpleGrid, Stack, Switch, Textarea, TextInput } from '@mantine/core';
import { apiCreateSchema, apiPatchSchema } from '@tollgate/plans-domain';
import { type FormEvent, useState } from 'react';
import { type UpstreamApi } from '../shared/admin-types';
import { apiFieldErrors, type FieldErrors, unplacedErrors, validate } from '../shared/field-errors';

interface ApiFormValues {
  name: string;
  pathPrefix: string;
  upstreamUrl: string;
  stripPrefix: boolean;
  keyInQuery: string;
  jwtJson: string;
}

function toValues(api?: UpstreamApi): ApiFormValues {
  return {
    name: api?.name ?? '',
    pathPrefix: api?.pathPrefix ?? '',
    upstreamUrl: api?.upstreamUrl ?? '',
    stripPrefix: api?.stripPrefix ?? true,
    keyInQuery: api?.keyInQuery ?? '',
    jwtJson: api?.jwt ? JSON.stringify(api.jwt, null, 2) : '',
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Create or edit an upstream API: prefix, upstream, key-in-query and JWT settings. */
export function ApiForm({
  api,
  onSubmit,
  onCancel,
}: {
  api?: UpstreamApi;
  onSubmit: (body: object) => Promise<void>;
  onCancel?: () => void;
}) {
  const [values, setValues] = useState(() => toValues(api));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const set = <K extends keyof ApiFormValues>(field: K, value: ApiFormValues[K]) =>
    setValues((current) => ({ ...current, [field]: value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = {
      name: values.name,
      pathPrefix: values.pathPrefix,
      upstreamUrl: values.upstreamUrl,
      stripPrefix: values.stripPrefix,
      keyInQuery: values.keyInQuery.trim() === '' ? null : values.keyInQuery.trim(),
      jwt: values.jwtJson.trim() === '' ? null : parseJson(values.jwtJson),
    };
    const checked = validate(api ? apiPatchSchema : apiCreateSchema, body);
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    setSaving(true);
    try {
      await onSubmit(body);
    } catch (error) {
      setErrors(apiFieldErrors(error));
    } finally {
      setSaving(false);
    }
  };

  const jwtError = Object.entries(errors).find(([field]) => field === 'jwt' || field.startsWith('jwt.'));
  const general = unplacedErrors(errors, [
    'name',
    'pathPrefix',
    'upstreamUrl',
    'stripPrefix',
    'keyInQuery',
    'jwt',
  ]);

  return (
    <form
      onSubmit={(event) => void submit(event)}
      noValidate
      aria-label={api ? `Edit ${api.name}` : 'New API'}
    >
      <Stack gap="sm">
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput
            label="Name"
            required
            value={values.name}
            error={errors.name}
            onChange={(event) => set('name', event.currentTarget.value)}
          />
          <TextInput
            label="Path prefix"
            required
            placeholder="/orders"
            value={values.pathPrefix}
            error={errors.pathPrefix}
            onChange={(event) => set('pathPrefix', event.currentTarget.value)}
          />
          <TextInput
            label="Upstream URL"
            required
            placeholder="https://orders.internal:8443"
            value={values.upstreamUrl}
            error={errors.upstreamUrl}
            onChange={(event) => set('upstreamUrl', event.currentTarget.value)}
          />
        </SimpleGrid>
        <Group align="flex-end">
          <Switch
            label="Remove the prefix before forwarding"
            checked={values.stripPrefix}
            onChange={(event) => set('stripPrefix', event.currentTarget.checked)}
          />
          <TextInput
            label="API key query parameter"
            description="Blank: keys only in headers"
            placeholder="api_key"
            value={values.keyInQuery}
            error={errors.keyInQuery}
            onChange={(event) => set('keyInQuery', event.currentTarget.value)}
          />
        </Group>
        <Textarea
          label="JWT bearer authentication (JSON)"
          description='Blank: off. {"jwksUrl": "…", "issuer": "…", "audience": "…"}'
          autosize
          minRows={2}
          styles={{ input: { fontFamily: 'monospace' } }}
          value={values.jwtJson}
          error={
            jwtError ? (jwtError[0] === 'jwt' ? jwtError[1] : `${jwtError[0]}: ${jwtError[1]}`) : undefined
          }
          onChange={(event) => set('jwtJson', event.currentTarget.value)}
        />
        {general.length > 0 ? (
          <Alert color="red" role="alert">
            {general.join('; ')}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          {onCancel ? (
            <Button variant="default" onClick={onCancel}>
              Cancel
            </Button>
          ) : null}
          <Button type="submit" loading={saving}>
            {api ? 'Save API' : 'Create API'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
