// Server-Sent Events from a fetch body: yields {event, id, data} as the stream arrives.
// The TypeScript flows whose generator has no SSE reader of its own import it (docs/frontend.md).
export interface SseEvent { event: string; id: string; data: string }

export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message", id = "", data: string[] = [];
      for (const line of block.split("\n")) {
        const [field, ...rest] = line.split(":");
        const text = rest.join(":").replace(/^ /, "");
        if (field === "event") event = text;
        else if (field === "id") id = text;
        else if (field === "data") data.push(text);
      }
      if (data.length) yield { event, id, data: data.join("\n") };
    }
  }
}

// A reply stream read to its end: the assistant message's id (from `reply.started`), the text
// of its `reply.delta` events, and the final event's name. `started` and `delta` parse an
// event's `data` with the generated payload types.
export async function readReply(body: ReadableStream<Uint8Array>, parse: {
  started: (data: string) => string; delta: (data: string) => string;
}): Promise<{ messageId: string; text: string; final: string }> {
  let messageId = "", text = "", final = "";
  for await (const { event, data } of sseEvents(body)) {
    if (event === "reply.started") messageId = parse.started(data);
    else if (event === "reply.delta") text += parse.delta(data);
    else if (event === "reply.completed" || event === "reply.failed") final = event;
  }
  if (final !== "reply.completed") throw new Error(`stream ended with ${final || "no final event"}`);
  return { messageId, text, final };
}
