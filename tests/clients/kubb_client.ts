// The HTTP client Kubb's generated functions call (pluginClient's `importPath`; docs/frontend.md).
// Kubb's bundled fetch client sends every body as JSON without a Content-Type (form sign-in
// and JSON calls are refused: 422, 415) and returns error bodies typed as success data. This
// one encodes a body as its declared Content-Type says, and answers a result narrowed by `ok`
// to the operation's success type or to the union of its documented error types.
export type RequestConfig<TData = unknown> = {
  baseURL?: string;
  url?: string;
  method?: "GET" | "PUT" | "PATCH" | "POST" | "DELETE" | "OPTIONS" | "HEAD";
  params?: unknown;
  data?: TData | FormData;
  signal?: AbortSignal;
  headers?: Record<string, string>;
};
export type ResponseErrorConfig<TError = unknown> = TError;
export type ResponseConfig<TData = unknown, TError = unknown> =
  | { ok: true; status: number; data: TData; headers: Headers }
  | { ok: false; status: number; error: TError; headers: Headers };
export type Client = <TData, TError = unknown, TRequest = unknown>(
  config: RequestConfig<TRequest>) => Promise<ResponseConfig<TData, TError>>;

let defaults: RequestConfig = {};
export function setConfig(config: RequestConfig): void {
  defaults = { ...defaults, ...config, headers: { ...defaults.headers, ...config.headers } };
}

function encode(data: unknown, headers: Record<string, string>): BodyInit | undefined {
  if (data === undefined || data instanceof FormData) return data;
  if (headers["Content-Type"] === "application/x-www-form-urlencoded") {
    return new URLSearchParams(data as Record<string, string>);
  }
  headers["Content-Type"] ??= "application/json";
  return JSON.stringify(data);
}

const client = async <TData, TError = unknown, TRequest = unknown>(
  config: RequestConfig<TRequest>): Promise<ResponseConfig<TData, TError>> => {
  const headers = { ...defaults.headers, ...config.headers };
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(config.params ?? {})) {
    if (value !== undefined) query.append(key, String(value));
  }
  const url = `${config.baseURL ?? defaults.baseURL ?? ""}${config.url}${query.size ? `?${query}` : ""}`;
  const response = await fetch(url, {
    method: config.method, signal: config.signal, body: encode(config.data, headers), headers,
  });
  const text = await response.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
  return response.ok
    ? { ok: true, status: response.status, data: body as TData, headers: response.headers }
    : { ok: false, status: response.status, error: body as TError, headers: response.headers };
};
export default client;
