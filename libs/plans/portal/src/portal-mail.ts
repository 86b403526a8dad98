import { type MailMessage } from '@tollgate/ports';

function baseUrl(publicUrl: string): string {
  return publicUrl.replace(/\/+$/, '');
}

export function verificationLink(publicUrl: string, token: string): string {
  return `${baseUrl(publicUrl)}/api/portal/verify?token=${encodeURIComponent(token)}`;
}

/** The web portal's reset page; it posts the token and the new password to /api/portal/password-reset/confirm. */
export function passwordResetLink(publicUrl: string, token: string): string {
  return `${baseUrl(publicUrl)}/portal/password-reset?token=${encodeURIComponent(token)}`;
}

export function verificationMail(to: string, name: string, link: string): MailMessage {
  return {
    to: [to],
    subject: 'Verify your email for Tollgate',
    text: [
      `Hello ${name},`,
      '',
      'Confirm your email address to activate your Tollgate developer account:',
      '',
      link,
      '',
      'The link expires in 24 hours. If you did not sign up, you can ignore this mail.',
      '',
    ].join('\n'),
  };
}

export function passwordResetMail(to: string, name: string, link: string, token: string): MailMessage {
  return {
    to: [to],
    subject: 'Reset your Tollgate password',
    text: [
      `Hello ${name},`,
      '',
      'Someone (hopefully you) asked to reset the password of your Tollgate developer account.',
      'Choose a new password here:',
      '',
      link,
      '',
      'API clients can instead POST {"token", "password"} to /api/portal/password-reset/confirm with this token:',
      token,
      '',
      'The link expires in 1 hour and works once. If you did not ask for it, you can ignore this mail.',
      '',
    ].join('\n'),
  };
}
