import { ConflictError, DependencyUnavailableError, DomainError, ValidationError } from '@tollgate/errors';
import { isPermanentRefusal } from './usage-push';

describe('isPermanentRefusal', () => {
  it('treats a refused field or a missing Stripe object as permanent', () => {
    expect(isPermanentRefusal(new ValidationError([{ field: 'timestamp', message: 'too old' }]))).toBe(true);
    expect(isPermanentRefusal(new DomainError('not_found', 'No such customer'))).toBe(true);
  });

  it('leaves outages, conflicts and unknown failures to the job retry', () => {
    expect(isPermanentRefusal(new DependencyUnavailableError('Stripe', new Error('503')))).toBe(false);
    expect(isPermanentRefusal(new ConflictError('idempotency key in use'))).toBe(false);
    expect(isPermanentRefusal(new DomainError('upstream_failed', 'secret key rejected'))).toBe(false);
    expect(isPermanentRefusal(new Error('socket hang up'))).toBe(false);
  });
});
