// The frontend flow with openapi-typescript + openapi-fetch (docs/frontend.md includes this file).
// Generated: npx openapi-typescript spec/openapi.yaml -o schema.d.ts --default-non-nullable=false
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";
import { sseEvents } from "./sse_events";

type Schemas = components["schemas"];
type EventName = Schemas["ReplyEvent"]["event"];

export async function flow(baseUrl: string): Promise<string> {
  const api = createClient<paths, "application/json">({ baseUrl });
  const signIn = await api.POST("/api/v1/auth/token", {
    body: { username: "alice", password: "alice-dev-password" },
    bodySerializer: (body) => new URLSearchParams(body),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  if (!signIn.data) throw new Error(`sign-in failed: ${signIn.response.status}`);
  const token = signIn.data.access_token;
  api.use({ onRequest: ({ request }) => { request.headers.set("Authorization", `Bearer ${token}`); } });

  const conversation = await api.POST("/api/v1/conversations", { body: { title: "openapi-fetch" } });
  if (!conversation.data) throw new Error("createConversation failed");
  const conversation_id = conversation.data.id;
  const message = await api.POST("/api/v1/conversations/{conversation_id}/messages", {
    params: { path: { conversation_id } }, body: { content: "Remember: I like tiles." },
  });
  if (!message.data) throw new Error("createMessage failed");

  // The JSON reply is typed Reply alone (the client was created for application/json).
  const json = await api.POST("/api/v1/conversations/{conversation_id}/replies", {
    params: { path: { conversation_id } }, body: { content: "And in Porto?" },
  });
  if (!json.data) throw new Error("createReply failed");
  const firstReply: Schemas["Message"] = json.data.assistant_message;

  // The streamed reply: read the body as a stream, parse each event's data by its name.
  const streamed = await api.POST("/api/v1/conversations/{conversation_id}/replies", {
    params: { path: { conversation_id } }, body: { content: "What about Lisbon?", stream: true },
    parseAs: "stream",
  });
  if (!streamed.data) throw new Error("streamed createReply failed");
  let text = "", messageId = "", final: EventName | "" = "";
  for await (const { event: name, data } of sseEvents(streamed.data)) {
    const event = { event: name as EventName, data };
    if (event.event === "reply.started") {
      const started: Schemas["ReplyStarted"] = JSON.parse(event.data);
      messageId = started.message_id;
    } else if (event.event === "reply.delta") {
      const delta: Schemas["ReplyDelta"] = JSON.parse(event.data);
      text += delta.text;
    } else if (event.event === "reply.completed" || event.event === "reply.failed") {
      final = event.event;
    }
  }
  if (final !== "reply.completed") throw new Error(`stream ended with ${final || "no final event"}`);

  // Read it back.
  const stored = await api.GET("/api/v1/messages/{message_id}", { params: { path: { message_id: messageId } } });
  if (!stored.data || stored.data.content !== text) throw new Error("the stored reply differs from the stream");

  // A 422 in its typed shape: loc[0] names the request part, loc[1] the field.
  const invalid = await api.POST("/api/v1/conversations", { body: { title: "x".repeat(1000) } });
  if (invalid.response.status !== 422 || !invalid.error || !("detail" in invalid.error)
      || typeof invalid.error.detail === "string") throw new Error("expected a 422");
  const item: Schemas["ValidationErrorItem"] = invalid.error.detail[0];
  const limit: number | undefined = item.ctx?.max_length;  // pydantic's ctx keys are typed
  return JSON.stringify({ first: firstReply.role, text, loc: [item.loc[0], item.loc[1]], limit });
}

flow(process.argv[2]).then((out) => console.log(out), (err) => { console.error(err); process.exit(1); });
