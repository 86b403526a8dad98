import { html, type RenderedMail, type SafeHtml } from './mail-renderer';

export interface MailLayoutInput {
  subject: string;
  /** The first line of the body, also the preview line of mail clients. */
  headline: string;
  /** HTML body blocks (already rendered). */
  body: SafeHtml;
  /** The same content as plain text paragraphs. */
  textBody: string[];
  action?: { label: string; url: string };
  publicUrl: string;
}

const font = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

/** The frame every notice shares: heading, body, one call to action, and where to manage notices. */
export function renderLayout(input: MailLayoutInput): RenderedMail {
  const portalUrl = `${input.publicUrl}/portal`;
  const action = input.action
    ? html`<p style="margin:24px 0">
        <a
          href="${input.action.url}"
          style="background:#1c64f2;color:#ffffff;text-decoration:none;padding:10px 18px;border-radius:6px;display:inline-block;font-weight:600"
          >${input.action.label}</a
        >
      </p>`
    : '';
  const page = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${input.subject}</title>
      </head>
      <body style="margin:0;padding:0;background:#f4f5f7;${font};color:#1f2328">
        <table
          role="presentation"
          width="100%"
          cellpadding="0"
          cellspacing="0"
          style="background:#f4f5f7;padding:24px 0"
        >
          <tr>
            <td align="center">
              <table
                role="presentation"
                width="560"
                cellpadding="0"
                cellspacing="0"
                style="max-width:560px;width:100%;background:#ffffff;border-radius:8px;padding:28px"
              >
                <tr>
                  <td style="${font};font-size:15px;line-height:1.5">
                    <p
                      style="margin:0 0 8px;font-size:13px;color:#6a737d;letter-spacing:.04em;text-transform:uppercase"
                    >
                      Tollgate
                    </p>
                    <h1 style="margin:0 0 16px;font-size:20px;line-height:1.3">${input.headline}</h1>
                    ${input.body} ${action}
                    <p style="margin:28px 0 0;font-size:12px;color:#6a737d">
                      You receive this notice as a contact of this API account. Manage your plan, contacts and
                      webhooks in the developer portal:
                      <a href="${portalUrl}" style="color:#6a737d">${portalUrl}</a>
                    </p>
                  </td>
                </tr>
              </table>
            </td>
          </tr>
        </table>
      </body>
    </html> `;
  const text = [
    input.headline,
    '',
    ...input.textBody.flatMap((paragraph) => [paragraph, '']),
    ...(input.action ? [`${input.action.label}: ${input.action.url}`, ''] : []),
    '--',
    'You receive this notice as a contact of this API account.',
    `Manage your plan, contacts and webhooks in the developer portal: ${portalUrl}`,
    '',
  ].join('\n');
  return { subject: input.subject, html: page.value, text };
}

/** A paragraph block. */
export function paragraph(content: unknown): SafeHtml {
  return html`<p style="margin:0 0 12px">${content}</p>`;
}
