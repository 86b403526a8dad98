import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Logger,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import {
  confirmPasswordReset,
  type DeveloperView,
  emailOnlyInputSchema,
  loginDeveloper,
  loginInputSchema,
  passwordResetConfirmInputSchema,
  type PortalContext,
  requestPasswordReset,
  resendVerificationMail,
  sessionTtlSeconds,
  signupDeveloper,
  signupInputSchema,
  verifyDeveloperEmail,
  verifyEmailInputSchema,
} from '@tollgate/plans-portal';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { validateBody } from '../zod-validation';
import { PORTAL_CONTEXT, usesHttps } from './portal-context.provider';
import {
  PortalAcceptedDto,
  PortalDeveloperDto,
  PortalDeveloperEnvelopeDto,
  PortalEmailBodyDto,
  PortalLoginBodyDto,
  PortalPasswordResetConfirmBodyDto,
  PortalSignupBodyDto,
  PortalTokenBodyDto,
} from './portal.dto';
import { PortalProblemFilter } from './portal-problem.filter';
import { sessionCookie } from './session-cookie';

const accepted = { message: 'If an account exists for this email, a mail is on its way' };

/** Public portal routes: sign up, verify, log in, reset a password. Abuse-limited per IP and per email. */
@ApiTags('portal')
@Controller('api/portal')
@UseFilters(PortalProblemFilter)
@ApiTooManyRequestsResponse({ description: 'Abuse limit reached; see Retry-After' })
export class PortalAccountController {
  private readonly logger = new Logger('PortalAccountController');

  constructor(
    @Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies,
    @Inject(PORTAL_CONTEXT) private readonly context: PortalContext,
  ) {}

  @Post('signup')
  @ApiOperation({ summary: 'Create a developer account; a verification link is mailed (valid 24 h)' })
  @ApiBody({ type: PortalSignupBodyDto })
  @ApiCreatedResponse({ type: PortalDeveloperDto })
  @ApiBadRequestResponse({ description: 'Invalid fields, e.g. a password under 10 characters' })
  @ApiConflictResponse({ description: 'An account with this email already exists' })
  async signup(@Body() body: unknown, @Req() request: FastifyRequest): Promise<DeveloperView> {
    const input = validateBody(signupInputSchema, body);
    return signupDeveloper(this.context, input, { ip: request.ip });
  }

  @Get('verify')
  @ApiOperation({ summary: 'Verify an email with the token of the mailed link (the link itself)' })
  @ApiQuery({ name: 'token', required: true })
  @ApiOkResponse({ type: PortalDeveloperEnvelopeDto })
  @ApiBadRequestResponse({ description: 'The token is invalid, tampered with or expired' })
  verifyByLink(@Query('token') token: unknown): Promise<{ developer: DeveloperView }> {
    return this.verify({ token });
  }

  @Post('verify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Verify an email with the token of the mailed link' })
  @ApiBody({ type: PortalTokenBodyDto })
  @ApiOkResponse({ type: PortalDeveloperEnvelopeDto })
  @ApiBadRequestResponse({ description: 'The token is invalid, tampered with or expired' })
  verifyByBody(@Body() body: unknown): Promise<{ developer: DeveloperView }> {
    return this.verify(body);
  }

  @Post('verify/resend')
  @HttpCode(202)
  @ApiOperation({ summary: 'Mail a new verification link (always 202; sent only to an unverified account)' })
  @ApiBody({ type: PortalEmailBodyDto })
  @ApiAcceptedResponse({ type: PortalAcceptedDto })
  async resendVerification(@Body() body: unknown, @Req() request: FastifyRequest): Promise<typeof accepted> {
    const { email } = validateBody(emailOnlyInputSchema, body);
    await resendVerificationMail(this.context, email, { ip: request.ip });
    return accepted;
  }

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in: sets the tg_session cookie (httpOnly, SameSite=Lax, 7 days)' })
  @ApiBody({ type: PortalLoginBodyDto })
  @ApiOkResponse({ type: PortalDeveloperEnvelopeDto })
  @ApiUnauthorizedResponse({ description: 'Wrong email or password (one answer for both)' })
  @ApiForbiddenResponse({ description: 'The email is not verified yet' })
  async login(
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ developer: DeveloperView }> {
    const input = validateBody(loginInputSchema, body);
    const session = await loginDeveloper(this.context, input, { ip: request.ip });
    void reply.header(
      'set-cookie',
      sessionCookie(session.token, {
        maxAgeSeconds: sessionTtlSeconds,
        secure: usesHttps(this.deps, request.protocol),
      }),
    );
    // A session cookie must never be cached by a shared cache.
    void reply.header('cache-control', 'no-store');
    return { developer: session.developer };
  }

  @Post('password-reset')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Mail a password-reset link valid 1 h (always 202; sent only if the account exists)',
  })
  @ApiBody({ type: PortalEmailBodyDto })
  @ApiAcceptedResponse({ type: PortalAcceptedDto })
  async passwordReset(@Body() body: unknown, @Req() request: FastifyRequest): Promise<typeof accepted> {
    const { email } = validateBody(emailOnlyInputSchema, body);
    const deliver = await requestPasswordReset(this.context, email, { ip: request.ip });
    // Not awaited: the answer must take as long for a known email as for an unknown one.
    void deliver().catch((error: unknown) =>
      this.logger.error(
        `password-reset mail failed: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
    return accepted;
  }

  @Post('password-reset/confirm')
  @HttpCode(204)
  @ApiOperation({ summary: "Set a new password with the mailed token; ends all of the developer's sessions" })
  @ApiBody({ type: PortalPasswordResetConfirmBodyDto })
  @ApiNoContentResponse({ description: 'Password changed' })
  @ApiBadRequestResponse({ description: 'Invalid, expired or already used token, or a too short password' })
  async confirmReset(@Body() body: unknown): Promise<void> {
    await confirmPasswordReset(this.context, validateBody(passwordResetConfirmInputSchema, body));
  }

  private async verify(body: unknown): Promise<{ developer: DeveloperView }> {
    const { token } = validateBody(verifyEmailInputSchema, body);
    const developer = await verifyDeveloperEmail(this.context, token);
    // Verification may have created the developer's consumer: gateways must learn it.
    await this.deps.snapshots.refresh();
    return { developer };
  }
}
