import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiProperty } from '@nestjs/swagger';
import { DomainError } from '@tollgate/errors';
import { listOutbox, type OutboxEntry, type OutboxMessage, readOutboxMessage } from '@tollgate/mail';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { AdminController } from './admin-endpoint.decorator';
import { RequireAdminRole } from './admin-role.decorator';

class OutboxEntryDto implements OutboxEntry {
  @ApiProperty({ example: '20260101T120000.000Z-0123456789abcdef.eml' }) file!: string;
  @ApiProperty({ type: [String] }) to!: string[];
  @ApiProperty({ example: 'Verify your email' }) subject!: string;
  @ApiProperty({ format: 'date-time' }) date!: string;
  @ApiProperty() messageId!: string;
}

class OutboxListDto {
  @ApiProperty({ type: [OutboxEntryDto], description: 'Newest first' }) messages!: OutboxEntryDto[];
}

class OutboxMessageDto extends OutboxEntryDto {
  @ApiProperty() from!: string;
  @ApiProperty({ required: false }) text?: string;
  @ApiProperty({ required: false }) html?: string;
}

class OutboxDisabledError extends DomainError {
  constructor() {
    super('not_found', 'Mail goes to an SMTP server (SMTP_URL), so there is no outbox', {
      entity: 'Outbox',
    });
  }
}

/**
 * The mail outbox of an installation without SMTP (embedded mode): what Tollgate sent, as files.
 * Mail holds verification and password-reset links, so reading it needs the admin role.
 */
@AdminController('outbox')
@Controller('api/admin/outbox')
export class OutboxController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  private get directory(): string {
    if (!this.deps.outboxDirectory) throw new OutboxDisabledError();
    return this.deps.outboxDirectory;
  }

  @Get()
  @RequireAdminRole('admin')
  @ApiOperation({
    summary: 'The mail in the outbox, newest first',
    description: '404 when mail goes to an SMTP server (SMTP_URL set).',
  })
  @ApiOkResponse({ type: OutboxListDto })
  async list(): Promise<{ messages: OutboxEntry[] }> {
    return { messages: await listOutbox(this.directory) };
  }

  @Get(':file')
  @RequireAdminRole('admin')
  @ApiOperation({ summary: 'One outbox message, decoded (text and HTML bodies)' })
  @ApiParam({ name: 'file', description: 'The file name from the listing' })
  @ApiOkResponse({ type: OutboxMessageDto })
  async read(@Param('file') file: string): Promise<Omit<OutboxMessage, 'raw'>> {
    const { raw: _raw, ...message } = await readOutboxMessage(this.directory, file);
    return message;
  }
}
