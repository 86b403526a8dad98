/**
 * The mail templates' renderer: `html` is a tagged template that escapes every interpolated value
 * unless it is already-rendered markup (another `html` result), so consumer names, plan names and
 * URLs can never inject markup into a notice.
 */

export class SafeHtml {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => entities[character] ?? character);
}

function renderValue(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(renderValue).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0];
  for (let index = 0; index < values.length; index += 1) {
    out += renderValue(values[index]) + strings[index + 1];
  }
  return new SafeHtml(out);
}

/** A notice as the mailer sends it: both parts always present. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}
