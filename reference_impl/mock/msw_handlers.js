// MSW 2 request handlers for the chat-contract API, written by `chat-contract msw` from the
// contract (spec/openapi.yaml, version CONTRACT_VERSION). Do not edit: run the command again
// when the contract changes. Each operation answers as the reference server's mock does with
// `Prefer` (docs/frontend.md, "Mocking with MSW"):
//   - the first documented 2xx status with its first example; `Prefer: code=NNN` picks another
//     documented status, `Prefer: example=NAME` another example; anything undocumented is a 400;
//   - a stream (`text/event-stream`, chosen by `"stream": true` as on the server) sends the
//     documented events in order, each as its own chunk;
//   - an operation that needs credentials answers its documented 401 to a request without any.
import { http, HttpResponse } from "msw";

export const operations = /* OPERATIONS */ [];

const SSE = "text/event-stream";

function preferences(request) {
  const out = {};
  for (const part of (request.headers.get("prefer") ?? "").split(/[,;]/)) {
    const [key, value] = part.split("=").map((text) => text.trim());
    if ((key === "code" || key === "example") && value) out[key] = value.replace(/^"|"$/g, "");
  }
  return out;
}

function hasCredentials(operation, request) {
  if (request.headers.has("authorization")) return true;
  const query = new URL(request.url).searchParams;
  return operation.queryCredentials.some((name) => query.has(name));
}

async function wantsStream(operation, request) {
  if (!operation.streamFlag) return false;
  try {
    return (await request.clone().json())?.[operation.streamFlag] === true;
  } catch {
    return false;
  }
}

function refused(detail) {
  return HttpResponse.json({ detail }, { status: 400 });
}

function mediaType(types, accept, stream) {
  if (types.includes(SSE) && (stream || types.length === 1)) return SSE;
  const plain = types.filter((type) => type !== SSE);
  return plain.find((type) => accept.includes(type)) ?? plain[0];
}

function eventId(text) {
  const id = /^id: *(\d+)$/m.exec(text);
  return id ? Number(id[1]) : Infinity;
}

function eventStream(chunks) {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

export async function answer(operation, request) {
  const prefer = preferences(request);
  const statuses = Object.keys(operation.responses);
  let status = prefer.code ?? statuses.find((code) => code.startsWith("2")) ?? statuses[0];
  if (!prefer.code && operation.responses["401"] && !hasCredentials(operation, request)) status = "401";
  const response = operation.responses[status];
  if (!response) {
    return refused(`Prefer code=${prefer.code} is not documented for ${operation.operationId}; `
                   + `documented: ${statuses.join(", ")}`);
  }
  const headers = new Headers(response.headers);
  const types = Object.keys(response.media);
  if (types.length === 0) return new HttpResponse(null, { status: Number(status), headers });
  const type = mediaType(types, request.headers.get("accept") ?? "", await wantsStream(operation, request));
  const examples = response.media[type];
  const names = prefer.example ? [prefer.example] : type === SSE ? Object.keys(examples) : [Object.keys(examples)[0]];
  const missing = names.find((name) => !(name in examples));
  if (missing !== undefined) {
    return refused(`Prefer example=${missing} is not documented for ${operation.operationId} `
                   + `${status} ${type}; documented: ${Object.keys(examples).join(", ")}`);
  }
  headers.set("Content-Type", type);
  const init = { status: Number(status), headers };
  if (type === SSE) {
    // Resumption as the reference server does it: only the events after Last-Event-ID, and
    // 204 once there are none left (which is what stops a browser's EventSource).
    const last = Number(request.headers.get("last-event-id") ?? -1);
    const events = names.map((name) => examples[name]).filter((text) => eventId(text) > last);
    if (events.length === 0 && operation.responses["204"]) return new HttpResponse(null, { status: 204 });
    return new HttpResponse(eventStream(events), init);
  }
  const value = examples[names[0]];
  return type.includes("json") ? HttpResponse.json(value, init) : new HttpResponse(value, init);
}

// baseUrl: where the API is; "*" (the default) matches any origin.
export function createHandlers({ baseUrl = "*" } = {}) {
  return operations.map((operation) =>
    http[operation.method](baseUrl + operation.path, ({ request }) => answer(operation, request)));
}

export const handlers = createHandlers();
