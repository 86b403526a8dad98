import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { DomainError, ForbiddenError } from '@tollgate/errors';
import {
  type AdminSession,
  adminSessionUser,
  loginAdmin,
  logoutAdmin,
  openBootstrapAdminSession,
} from '@tollgate/plans-data';
import { type AdminLogin, adminLoginSchema } from '@tollgate/plans-domain';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { AdminGuard, type AdminPrincipal, adminPrincipalOf } from '../admin.guard';
import { bearerToken } from '../bearer-token';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { usesHttps } from '../portal/portal-context.provider';
import { ZodApiBody, ZodValidationPipe } from '../zod-validation';
import { RequireAdminRole } from './admin-role.decorator';
import {
  adminCsrfHeader,
  adminSessionCookie,
  adminSessionCookieName,
  adminSessionTokenOf,
  clearedAdminSessionCookie,
} from './admin-session-cookie';
import { AdminSessionDto, AdminSessionStateDto } from './admin-user.dto';
import { problemResponse, ProblemDto } from './problem.dto';

const attemptsPerWindow = 10;
const windowMs = 15 * 60 * 1000;

class TooManyLoginAttemptsError extends DomainError {
  constructor() {
    super('limit_exceeded', 'Too many login attempts; try again later');
  }
}

/**
 * Admin users log in with email and password and get a 12 h session: a bearer token in the
 * answer and the same token in the httpOnly `tg_admin_session` cookie the admin console uses.
 * The bootstrap token is exchanged for a cookie session, so the console never keeps it.
 */
@ApiTags('admin session')
@ApiExtraModels(ProblemDto)
@Controller('api/admin/session')
export class AdminSessionController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Post()
  @ApiOperation({
    summary: 'Log in as an admin user',
    description: `Answers a bearer token and sets the same session in the \`${adminSessionCookieName}\` cookie (httpOnly, SameSite=Strict, Path=/api/admin, 12 h). Rate limited to ${attemptsPerWindow} attempts per 15 minutes per IP and per email. The answer never says whether the email exists.`,
  })
  @ZodApiBody(adminLoginSchema)
  @ApiCreatedResponse({ type: AdminSessionDto })
  @ApiUnauthorizedResponse(problemResponse('Invalid email or password'))
  @ApiTooManyRequestsResponse(problemResponse('Too many login attempts from this IP or for this email'))
  async login(
    @Body(new ZodValidationPipe(adminLoginSchema)) body: AdminLogin,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
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
    const session = await loginAdmin(this.deps.prisma, body);
    this.setSessionCookie(request, reply, session);
    return session;
  }

  @Post('token')
  @UseGuards(AdminGuard)
  @RequireAdminRole('owner')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Exchange the bootstrap admin token for a console session cookie',
    description: `Send the bootstrap token as \`Authorization: Bearer …\`. Opens a 12 h owner session, sets it in the \`${adminSessionCookieName}\` cookie and answers who is signed in, never a token. Audit-logged. Admin users sign in with email and password instead.`,
  })
  @ApiCreatedResponse({ type: AdminSessionStateDto })
  @ApiUnauthorizedResponse(problemResponse('Missing or unknown bearer token'))
  @ApiForbiddenResponse(problemResponse('The bearer token is not the bootstrap admin token'))
  async exchangeToken(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AdminSessionStateDto> {
    const principal = adminPrincipalOf(request);
    const token = bearerToken(request);
    // Only the bootstrap token itself: a session (cookie or bearer) must not mint a longer one.
    if (
      !token ||
      principal.via !== 'bearer' ||
      principal.actor.type !== 'admin_token' ||
      principal.expiresAt
    ) {
      throw new ForbiddenError(
        'Only the bootstrap admin token, sent as a bearer token, is exchanged for a session',
      );
    }
    const session = await openBootstrapAdminSession(this.deps.prisma, this.deps.adminTokens, token);
    this.setSessionCookie(request, reply, session);
    return {
      kind: 'bootstrap',
      role: 'owner',
      expiresAt: session.expiresAt,
      user: null,
      authenticatedBy: 'bearer',
    };
  }

  @Get()
  @UseGuards(AdminGuard)
  @RequireAdminRole('viewer')
  @ApiBearerAuth()
  @ApiCookieAuth(adminSessionCookieName)
  @ApiOperation({
    summary: 'Who is signed in: the admin console restores its session with this after a reload',
  })
  @ApiOkResponse({ type: AdminSessionStateDto })
  @ApiUnauthorizedResponse(problemResponse('No valid bearer token or session cookie'))
  async current(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AdminSessionStateDto> {
    const principal = adminPrincipalOf(request);
    void reply.header('cache-control', 'no-store');
    return describe(principal, principal.actor.type === 'admin_user' ? await this.userOf(principal) : null);
  }

  @Delete()
  @HttpCode(204)
  @UseGuards(AdminGuard)
  @RequireAdminRole('viewer')
  @ApiBearerAuth()
  @ApiCookieAuth(adminSessionCookieName)
  @ApiOperation({
    summary: 'Log out: ends the session of the bearer token or the session cookie, and clears the cookie',
    description: `With the cookie, send the \`${adminCsrfHeader}\` header (any value), as for every cookie-authenticated change.`,
  })
  @ApiNoContentResponse()
  @ApiUnauthorizedResponse(problemResponse('Missing or unknown bearer token or session cookie'))
  async logout(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    for (const token of [bearerToken(request), adminSessionTokenOf(request.headers.cookie)]) {
      if (token) await logoutAdmin(this.deps.prisma, token);
    }
    void reply.header('set-cookie', clearedAdminSessionCookie(usesHttps(this.deps, request.protocol)));
  }

  private setSessionCookie(request: FastifyRequest, reply: FastifyReply, session: AdminSession): void {
    const remainingMs = Date.parse(session.expiresAt) - Date.now();
    void reply.header(
      'set-cookie',
      adminSessionCookie(session.token, {
        maxAgeSeconds: remainingMs / 1000,
        secure: usesHttps(this.deps, request.protocol),
      }),
    );
    // A session cookie must never be cached by a shared cache.
    void reply.header('cache-control', 'no-store');
  }

  private async userOf(principal: AdminPrincipal) {
    return adminSessionUser(this.deps.prisma, principal.actor.id);
  }
}

function describe(principal: AdminPrincipal, user: AdminSessionStateDto['user']): AdminSessionStateDto {
  return {
    kind: principal.actor.type === 'admin_user' ? 'user' : 'bootstrap',
    role: principal.role,
    expiresAt: principal.expiresAt ?? null,
    user,
    authenticatedBy: principal.via,
  };
}
