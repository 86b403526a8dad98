/**
 * A small fetch-based client for the control plane's JSON API. Errors arrive as
 * `application/problem+json`; they become an {@link ApiError} whose `fieldErrors` map each
 * named field (`quota.limit`) to its message, ready for a form.
 */

export interface FieldErrorEntry {
  field: string;
  message: string;
}

export interface ProblemBody {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: FieldErrorEntry[];
  [extension: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: ProblemBody;
  /** Field path → message, from the problem's `errors[]` and a conflict's `field`. */
  readonly fieldErrors: Record<string, string>;

  constructor(status: number, problem: ProblemBody) {
    super(problem.detail ?? problem.title ?? `Request failed with status ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
    this.fieldErrors = {};
    for (const entry of problem.errors ?? []) {
      if (typeof entry?.field === 'string' && !(entry.field in this.fieldErrors)) {
        this.fieldErrors[entry.field] = String(entry.message);
      }
    }
    // A conflict names its field (or a unique key's fields, comma-separated) as `field`.
    if (typeof problem.field === 'string') {
      for (const field of problem.field.split(',').map((name) => name.trim())) {
        if (field !== '' && !(field in this.fieldErrors)) this.fieldErrors[field] = this.message;
      }
    }
  }

  /** 404: the resource (or, while a feature is rolling out, the endpoint) does not exist. */
  get isNotFound(): boolean {
    return this.status === 404;
  }

  get isUnauthenticated(): boolean {
    return this.status === 401;
  }
}

/** The message to show for any error thrown by a request. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  // Duck-typed: a network failure may be an Error of another realm (a frame, a worker, the runtime).
  const message =
    typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  if (typeof message === 'string') return `The server could not be reached (${message})`;
  return 'Something went wrong';
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON. */
  json?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  /** Prefix of every path, e.g. `/api/portal`. */
  basePath: string;
  /** Extra headers per request, e.g. an admin bearer token held in memory. */
  headers?: () => Record<string, string>;
  /** Called on every 401, e.g. to send the user to the sign-in page. */
  onUnauthenticated?: () => void;
}

export interface ApiClient {
  request<T>(path: string, options?: RequestOptions): Promise<T>;
  get<T>(path: string, options?: Omit<RequestOptions, 'method' | 'json'>): Promise<T>;
  post<T>(path: string, json?: unknown): Promise<T>;
  put<T>(path: string, json?: unknown): Promise<T>;
  patch<T>(path: string, json?: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
}

function withQuery(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

async function problemOf(response: Response): Promise<ProblemBody> {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      return (await response.json()) as ProblemBody;
    } catch {
      // fall through to a generic problem
    }
  }
  return { status: response.status, title: response.statusText || `HTTP ${response.status}` };
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  async function request<T>(path: string, init: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers?.() };
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(withQuery(`${options.basePath}${path}`, init.query), {
      method: init.method ?? 'GET',
      headers,
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
      credentials: 'same-origin',
      signal: init.signal,
    });
    if (!response.ok) {
      if (response.status === 401) options.onUnauthenticated?.();
      throw new ApiError(response.status, await problemOf(response));
    }
    if (response.status === 204) return undefined as T;
    const type = response.headers.get('content-type') ?? '';
    if (!type.includes('json')) return (await response.text()) as T;
    return (await response.json()) as T;
  }
  return {
    request,
    get: (path, init) => request(path, { ...init, method: 'GET' }),
    post: (path, json) => request(path, { method: 'POST', json: json ?? {} }),
    put: (path, json) => request(path, { method: 'PUT', json: json ?? {} }),
    patch: (path, json) => request(path, { method: 'PATCH', json: json ?? {} }),
    delete: (path) => request(path, { method: 'DELETE' }),
  };
}
