// The frontend flow with @hey-api/openapi-ts (docs/frontend.md includes this file).
// Generated: npx openapi-ts -i spec/openapi.yaml -o client -c @hey-api/client-fetch
import { client } from "./client/client.gen";
import {
  createConversation, createMessage, createReply, createStreamTicket, createToken, getMessage,
} from "./client/sdk.gen";
import type { ReplyCompleted, ReplyDelta, ReplyEvent, ReplyStarted, ValidationErrorItem } from "./client/types.gen";

// @hey-api's SSE helper parses each event's `data` as JSON but types it as the media type's
// schema (`ReplyEventStream`, text or one event): narrow by the event's name to the payload type.
type EventName = ReplyEvent["event"];

export async function flow(baseUrl: string): Promise<string> {
  client.setConfig({ baseUrl });
  const signIn = await createToken({ body: { username: "alice", password: "alice-dev-password" } });
  if (!signIn.data) throw new Error("sign-in failed");
  const token = signIn.data.access_token;
  client.setConfig({ baseUrl, auth: () => token });

  const conversation = await createConversation({ body: { title: "hey-api" } });
  if (!conversation.data) throw new Error("createConversation failed");
  const conversation_id = conversation.data.id;
  const message = await createMessage({ path: { conversation_id }, body: { content: "I like tiles." } });
  if (!message.data) throw new Error("createMessage failed");

  // A streamed reply, read live with the SSE client on the same operation.
  const seen: { text: string; messageId: string; final?: EventName } = { text: "", messageId: "" };
  const live = await client.sse.post({
    url: "/api/v1/conversations/{conversation_id}/replies", path: { conversation_id },
    body: { content: "What about Lisbon?", stream: true }, headers: { "Content-Type": "application/json" },
    security: [{ scheme: "bearer", type: "http" }], sseMaxRetryAttempts: 0,
    onSseEvent: (event) => {
      const data: unknown = event.data;
      if (event.event === "reply.started") seen.messageId = (data as ReplyStarted).message_id;
      if (event.event === "reply.delta") seen.text += (data as ReplyDelta).text;
      if (event.event === "reply.completed" || event.event === "reply.failed") seen.final = event.event;
    },
  });
  for await (const _ of live.stream) if (seen.final) break;  // stop at the final event
  if (seen.final !== "reply.completed") throw new Error(`stream ended with ${seen.final}`);
  const { text, messageId } = seen;

  // Replay it to its final event, authenticated by a stream ticket as a browser's EventSource
  // is. (The generated streamReplyEvents sends apiKey-in-query credentials only when the call
  // already has a query object, which this operation types as never: the client's own sse.get.)
  const ticket = await createStreamTicket({ path: { message_id: messageId } });
  if (!ticket.data) throw new Error("createStreamTicket failed");
  const replayed: { completed?: ReplyCompleted } = {};
  const replay = await client.sse.get({
    url: "/api/v1/messages/{message_id}/events", path: { message_id: messageId },
    query: { ticket: ticket.data.ticket }, sseMaxRetryAttempts: 0,
    onSseEvent: (event) => {
      const data: unknown = event.data;
      if (event.event === "reply.completed") replayed.completed = data as ReplyCompleted;
    },
  });
  for await (const _ of replay.stream) if (replayed.completed) break;
  if (replayed.completed?.message.content !== text) {
    throw new Error(`the replay differs: ${JSON.stringify(replayed)} ${text}`);
  }

  // Read it back; the JSON reply is typed Reply.
  const stored = await getMessage({ path: { message_id: messageId } });
  if (!stored.data || stored.data.content !== text) throw new Error("the stored reply differs from the stream");
  const json = await createReply({ path: { conversation_id }, body: { content: "And Porto?" } });
  if (!json.data) throw new Error("createReply failed");

  // A 422 in its typed shape.
  const invalid = await createConversation({ body: { title: "x".repeat(1000) } });
  if (invalid.response.status !== 422 || !invalid.error || !("detail" in invalid.error)
      || typeof invalid.error.detail === "string") throw new Error("expected a 422");
  const item: ValidationErrorItem = invalid.error.detail[0];
  return JSON.stringify({ first: json.data.assistant_message.role, text, loc: [item.loc[0], item.loc[1]] });
}

flow(process.argv[2]).then((out) => console.log(out), (err) => { console.error(err); process.exit(1); });
