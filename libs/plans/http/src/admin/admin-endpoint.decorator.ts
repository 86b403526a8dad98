import { applyDecorators, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminGuard } from '../admin.guard';
import { problemResponse, ProblemDto } from './problem.dto';

/** Marks a controller as part of the admin API: bearer auth, role checks, problem+json errors. */
export function AdminController(tag: string): ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ApiTags(tag),
    ApiBearerAuth(),
    UseGuards(AdminGuard),
    ApiUnauthorizedResponse(problemResponse('Missing, unknown or expired bearer token')),
    ApiForbiddenResponse(problemResponse("The caller's role does not allow this operation")),
    ApiBadRequestResponse(problemResponse('Invalid input: `errors[]` names each field')),
    ApiNotFoundResponse(problemResponse('An id in the path does not exist')),
  );
}
