import { applyDecorators, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCookieAuth,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminGuard } from '../admin.guard';
import { adminSessionCookieName } from './admin-session-cookie';
import { problemResponse, ProblemDto } from './problem.dto';

/**
 * Marks a controller as part of the admin API: bearer auth or the console's session cookie, role
 * checks, problem+json errors.
 */
export function AdminController(tag: string): ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ApiTags(tag),
    ApiBearerAuth(),
    ApiCookieAuth(adminSessionCookieName),
    UseGuards(AdminGuard),
    ApiUnauthorizedResponse(problemResponse('Missing, unknown or expired bearer token or session cookie')),
    ApiForbiddenResponse(
      problemResponse(
        "The caller's role does not allow this operation, or a change made with the session cookie lacks the X-Requested-With header",
      ),
    ),
    ApiBadRequestResponse(problemResponse('Invalid input: `errors[]` names each field')),
    ApiNotFoundResponse(problemResponse('An id in the path does not exist')),
  );
}
