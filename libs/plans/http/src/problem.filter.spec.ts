import { BadRequestException, HttpException, Logger } from '@nestjs/common';
import { NotFoundError, ValidationError } from '@tollgate/errors';
import { Prisma } from '@tollgate/relational';
import { ProblemFilter } from './problem.filter';

const known = (code: string, meta: Record<string, unknown>, message = 'failed') =>
  new Prisma.PrismaClientKnownRequestError(message, { code, clientVersion: 'test', meta });

describe('ProblemFilter', () => {
  const filter = new ProblemFilter();

  it('answers a ValidationError with 400 and the invalid fields', () => {
    const problem = filter.problemOf(
      new ValidationError([{ field: 'quota.limit', message: 'Too small' }]),
      '/x',
    );
    expect(problem).toMatchObject({ status: 400, errors: [{ field: 'quota.limit', message: 'Too small' }] });
  });

  it('maps a unique violation to 409 naming the field, wherever Prisma put it', () => {
    const viaAdapter = known('P2002', {
      modelName: 'Api',
      driverAdapterError: {
        cause: { kind: 'UniqueConstraintViolation', constraint: { fields: ['path_prefix'] } },
      },
    });
    expect(filter.problemOf(viaAdapter, '/x')).toMatchObject({ status: 409, field: 'pathPrefix' });
    expect(filter.problemOf(known('P2002', { target: ['slug'] }), '/x')).toMatchObject({
      status: 409,
      field: 'slug',
    });
    const inMessage = known('P2002', {}, 'Unique constraint failed on the fields: (`email`)');
    expect(filter.problemOf(inMessage, '/x')).toMatchObject({ status: 409, field: 'email' });
  });

  it('maps a missing record to 404 and keeps other database errors a 500 without details', () => {
    expect(filter.problemOf(known('P2025', { modelName: 'Plan' }), '/x')).toMatchObject({ status: 404 });
    expect(filter.problemOf(new NotFoundError('Plan', 'p'), '/x')).toMatchObject({ status: 404, id: 'p' });
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const internal = filter.problemOf(known('P1001', {}, 'cannot reach db at 10.0.0.1'), '/x');
    expect(internal).toMatchObject({ status: 500, detail: 'An unexpected error occurred' });
    // The unexpected error is logged for the operator, not sent to the client.
    expect(logged).toHaveBeenCalledTimes(1);
    logged.mockRestore();
  });

  it('answers body-parsing failures as 400/415 problems, never 500', () => {
    const malformed = Object.assign(new Error('Body is not valid JSON'), {
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      statusCode: 400,
    });
    expect(filter.problemOf(malformed, '/x')).toMatchObject({ status: 400, title: 'Invalid request' });
    const mediaType = Object.assign(new Error('Unsupported Media Type'), {
      code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      statusCode: 415,
    });
    expect(filter.problemOf(mediaType, '/x')).toMatchObject({ status: 415 });
    expect(filter.problemOf(new HttpException('Unsupported Media Type', 415), '/x')).toMatchObject({
      status: 415,
      title: 'Unsupported media type',
    });
    expect(filter.problemOf(new BadRequestException('bad'), '/x')).toMatchObject({
      status: 400,
      detail: 'bad',
    });
  });
});
