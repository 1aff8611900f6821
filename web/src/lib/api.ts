/**
 * The HTTP API from the browser: JSON in and out, the session cookie sent by the browser (same origin), or an
 * attendee's bearer token. Every refusal is RFC 9457 problem+json with a stable `code` (docs/API.md): it becomes
 * an ApiError carrying that code and the server's human `detail`.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  body?: unknown;
  /** An attendee token: sent as `Authorization: Bearer`. Presenters use the cookie instead. */
  token?: string;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? "GET",
      headers,
      credentials: "same-origin",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, "NETWORK", "The server cannot be reached. Check your connection and try again.");
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const payload: unknown = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const problem = (payload ?? {}) as { code?: string; detail?: string; message?: string };
    throw new ApiError(
      response.status,
      problem.code ?? `HTTP_${response.status}`,
      problem.detail ?? problem.message ?? response.statusText,
    );
  }
  return payload as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A message for people: the server's detail, which names what to fix. */
export const describe = (error: unknown): string =>
  error instanceof Error ? error.message : "Something went wrong. Try again.";
