import { randomToken } from '@tollgate/ids';
import { type Developer } from '@tollgate/relational';

/** A developer as the portal shows it: never the password hash. */
export interface DeveloperView {
  id: string;
  email: string;
  name: string;
  emailVerified: boolean;
  createdAt: string;
}

export function developerView(developer: Developer): DeveloperView {
  return {
    id: developer.id,
    email: developer.email,
    name: developer.name,
    emailVerified: developer.emailVerifiedAt !== null,
    createdAt: developer.createdAt.toISOString(),
  };
}

// `dev_` and `ses_` are not among the shared IdPrefix values; same shape as prefixedId().
export function newDeveloperId(): string {
  return `dev_${randomToken(20)}`;
}

export function newSessionId(): string {
  return `ses_${randomToken(20)}`;
}
