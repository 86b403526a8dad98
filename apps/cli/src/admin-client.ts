/** A minimal client of the admin API; errors surface as the server's problem detail. */
export class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const problem = (parsed ?? {}) as {
        detail?: string;
        errors?: Array<{ field: string; message: string }>;
      };
      const fields = problem.errors?.map((error) => `\n  ${error.field}: ${error.message}`).join('') ?? '';
      throw new Error(
        `${method} ${path} → ${response.status}: ${problem.detail ?? response.statusText}${fields}`,
      );
    }
    return parsed as T;
  }
}
