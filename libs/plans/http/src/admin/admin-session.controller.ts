import { Body, Controller, Delete, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { DomainError } from '@tollgate/errors';
import { type AdminSession, loginAdmin, logoutAdmin } from '@tollgate/plans-data';
import { type AdminLogin, adminLoginSchema } from '@tollgate/plans-domain';
import { type FastifyRequest } from 'fastify';
import { AdminGuard } from '../admin.guard';
import { bearerToken } from '../bearer-token';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { ZodApiBody, ZodValidationPipe } from '../zod-validation';
import { RequireAdminRole } from './admin-role.decorator';
import { AdminSessionDto } from './admin-user.dto';
import { problemResponse, ProblemDto } from './problem.dto';

const attemptsPerWindow = 10;
const windowMs = 15 * 60 * 1000;

class TooManyLoginAttemptsError extends DomainError {
  constructor() {
    super('limit_exceeded', 'Too many login attempts; try again later');
  }
}

/** Admin users log in with email and password and get a 12 h bearer token. */
@ApiTags('admin session')
@ApiExtraModels(ProblemDto)
@Controller('api/admin/session')
export class AdminSessionController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Post()
  @ApiOperation({
    summary: 'Log in as an admin user',
    description: `Rate limited to ${attemptsPerWindow} attempts per 15 minutes per IP and per email. The answer never says whether the email exists.`,
  })
  @ZodApiBody(adminLoginSchema)
  @ApiCreatedResponse({ type: AdminSessionDto })
  @ApiUnauthorizedResponse(problemResponse('Invalid email or password'))
  @ApiTooManyRequestsResponse(problemResponse('Too many login attempts from this IP or for this email'))
  async login(
    @Body(new ZodValidationPipe(adminLoginSchema)) body: AdminLogin,
    @Req() request: FastifyRequest,
  ): Promise<AdminSession> {
    const window = Math.floor(Date.now() / windowMs);
    const expiresAt = (window + 1) * windowMs;
    // Both counters move on every attempt: one caps a single IP, the other a targeted account.
    for (const key of [
      `admin-login:ip:${request.ip}:${window}`,
      `admin-login:email:${body.email}:${window}`,
    ]) {
      const update = await this.deps.counters.incrementWithin(key, 1, attemptsPerWindow, expiresAt);
      if (!update.applied) throw new TooManyLoginAttemptsError();
    }
    return loginAdmin(this.deps.prisma, body);
  }

  @Delete()
  @HttpCode(204)
  @UseGuards(AdminGuard)
  @RequireAdminRole('viewer')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Log out: ends the session of the bearer token' })
  @ApiNoContentResponse()
  @ApiUnauthorizedResponse(problemResponse('Missing or unknown bearer token'))
  async logout(@Req() request: FastifyRequest): Promise<void> {
    const token = bearerToken(request);
    if (token) await logoutAdmin(this.deps.prisma, token);
  }
}
