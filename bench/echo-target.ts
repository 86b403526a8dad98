import { createEchoUpstream } from '@tollgate/echo-upstream';

/** Benchmark target: the demo echo upstream in a process of its own. Prints `{"url":…}` once listening. */
async function main(): Promise<void> {
  const echo = await createEchoUpstream({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${JSON.stringify({ url: echo.url })}\n`);
  process.once('SIGTERM', () => {
    void echo.close().then(() => process.exit(0));
  });
}

void main();
