import {
  Body,
  Controller,
  Headers,
  HttpCode,
  Inject,
  PayloadTooLargeException,
  Post,
  UseGuards,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConsumes,
  ApiExtraModels,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ValidationError } from '@tollgate/errors';
import { MAX_INGEST_BATCH } from '@tollgate/metering-domain';
import { type IngestOutcome, type IngestRequest } from '@tollgate/plans-data';
import { problemResponse, ProblemDto } from '../admin/problem.dto';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { ZodApiBody } from '../zod-validation';
import {
  cloudEventBatchMediaType,
  cloudEventMediaType,
  ingestBodySchema,
  IngestOutcomeDto,
} from './ingest.dto';
import { IngestApiId, IngestTokenGuard } from './ingest-token.guard';

/** The body as the use case takes it; the media type says whether a batch is expected. */
export function ingestRequestOf(body: unknown, contentType: string | undefined): IngestRequest {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (Array.isArray(body)) {
    if (mediaType === cloudEventMediaType) {
      throw new ValidationError([
        {
          field: '(body)',
          message: `${cloudEventMediaType} carries one event: send a batch as ${cloudEventBatchMediaType}`,
        },
      ]);
    }
    if (body.length > MAX_INGEST_BATCH) {
      throw new PayloadTooLargeException(
        `A batch holds at most ${MAX_INGEST_BATCH.toLocaleString('en-US')} events; this one has ${body.length.toLocaleString('en-US')}`,
      );
    }
    return { kind: 'batch', events: body };
  }
  if (typeof body === 'object' && body !== null) {
    if (mediaType === cloudEventBatchMediaType) {
      throw new ValidationError([
        { field: '(body)', message: `${cloudEventBatchMediaType} must be a JSON array of events` },
      ]);
    }
    return { kind: 'single', event: body };
  }
  throw new ValidationError([
    { field: '(body)', message: 'Must be a CloudEvent (a JSON object) or a batch of them (a JSON array)' },
  ]);
}

/** Business events for metering, authenticated by an API's ingest token (docs/ingest.md). */
@ApiTags('ingest')
@ApiExtraModels(ProblemDto)
@ApiBearerAuth()
@UseGuards(IngestTokenGuard)
@Controller('api/events')
export class IngestController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Ingest business events (CloudEvents) for metering',
    description:
      'One CloudEvent 1.0 in the JSON format, or a batch (JSON array) of up to 1,000. Authenticated by an ingest token (`Authorization: Bearer tgi_…`, see `POST /api/admin/apis/{id}/ingest-token`). `subject` names the consumer (its id or externalId); `type` becomes the metered source that a meter with `eventType` counts; numbers in `data.usage` are usage units. (API, source, id) is deduplicated: a resend answers `duplicate`. A single event that is refused, or a batch whose every event is refused, is a 400 naming the fields (`subject`, `[3].time`).',
  })
  @ApiConsumes('application/json', cloudEventMediaType, cloudEventBatchMediaType)
  @ZodApiBody(ingestBodySchema)
  @ApiAcceptedResponse({ type: IngestOutcomeDto, description: 'One result per event' })
  @ApiBadRequestResponse(
    problemResponse(
      'Malformed body, an invalid single event, or a batch with no valid event: `errors[]` names each field',
    ),
  )
  @ApiUnauthorizedResponse(problemResponse('Missing or unknown ingest token'))
  @ApiPayloadTooLargeResponse(problemResponse('More than 1,000 events, or a body over 1 MiB'))
  @ApiUnsupportedMediaTypeResponse(problemResponse('A media type that is neither JSON nor text'))
  @ApiServiceUnavailableResponse(
    problemResponse(
      'The dedup store or the event log is unavailable; nothing was ingested (`results` says so per event) and the request can be resent as is',
    ),
  )
  ingest(
    @IngestApiId() apiId: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
  ): Promise<IngestOutcome> {
    return this.deps.ingest.ingest(apiId, ingestRequestOf(body, contentType));
  }
}
