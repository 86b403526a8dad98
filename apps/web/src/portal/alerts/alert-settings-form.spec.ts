import { describe, expect, it } from '@jest/globals';
import { alertSettingsInputSchema } from '@tollgate/plans-domain';
import { toInput, validateSettings } from './alert-settings-form';

describe('alert settings form', () => {
  it('sends a blank webhook URL as null and a typed one trimmed', () => {
    expect(toInput({ billingEmails: [], webhookUrl: '   ' })).toEqual({
      billingEmails: [],
      webhookUrl: null,
    });
    expect(
      toInput({ billingEmails: ['ops@example.com'], webhookUrl: ' https://hooks.example.com/t ' }),
    ).toEqual({
      billingEmails: ['ops@example.com'],
      webhookUrl: 'https://hooks.example.com/t',
    });
  });

  it('accepts what the API schema accepts', () => {
    const values = {
      billingEmails: ['ops@example.com', 'billing@example.com'],
      webhookUrl: 'https://x.example/h',
    };
    expect(validateSettings(values)).toEqual({});
    expect(alertSettingsInputSchema.safeParse(toInput(values)).success).toBe(true);
  });

  it('puts an address error at the list, naming its position', () => {
    expect(validateSettings({ billingEmails: ['ops@example.com', 'not-an-email'], webhookUrl: '' })).toEqual({
      billingEmails: 'Must be an email address (address 2)',
    });
  });

  it('reports too many addresses at the list', () => {
    const billingEmails = Array.from({ length: 21 }, (_, index) => `a${index}@example.com`);
    expect(validateSettings({ billingEmails, webhookUrl: '' })).toEqual({
      billingEmails: 'At most 20 addresses',
    });
  });

  it('reports a webhook URL that is not http(s)', () => {
    expect(validateSettings({ billingEmails: [], webhookUrl: 'ftp://files.example.com' })).toEqual({
      webhookUrl: 'Must be an http or https URL',
    });
  });
});
