import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { DomainError, ValidationError } from '@tollgate/errors';
import { type FailedJob } from '@tollgate/ports';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { AdminController } from './admin-endpoint.decorator';
import { AdminFailedJobDto } from './consumer-billing.dto';

/** Dead letters of the billing jobs: what exhausted its retries and why. */
@AdminController('jobs')
@Controller('api/admin/jobs')
export class FailedJobsController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Get('failed')
  @ApiOperation({
    summary: 'Jobs that exhausted their retries, newest first',
    description:
      'Every job name the billing jobs use, or one of them with `name`. 404 where no job queue is attached.',
  })
  @ApiQuery({ name: 'name', required: false, description: 'Only this job name' })
  @ApiOkResponse({ type: [AdminFailedJobDto] })
  async failed(@Query('name') name?: string): Promise<FailedJob[]> {
    const attached = this.deps.jobs;
    if (!attached) throw new DomainError('not_found', 'No job queue is attached to this control plane');
    if (name !== undefined && !attached.names.includes(name)) {
      throw new ValidationError([{ field: 'name', message: `Must be one of: ${attached.names.join(', ')}` }]);
    }
    const names = name === undefined ? attached.names : [name];
    const lists: FailedJob[][] = [];
    for (const jobName of names) lists.push(await attached.jobs.failed(jobName));
    return lists.flat().sort((a, b) => b.failedAt - a.failedAt);
  }
}
