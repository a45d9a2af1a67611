// The frontend flow with orval's fetch client (docs/frontend.md includes this file).
// Generated: npx orval --input spec/openapi.yaml --output api.ts --client fetch
import {
  createConversation, createMessage, createReply, createToken, getCreateReplyUrl, getMessage,
} from "./api";
import type { ReplyDelta, ReplyRequest, ReplyStarted, ValidationErrorItem } from "./api";
import { readReply } from "./sse_events";

export async function flow(baseUrl: string): Promise<string> {
  // orval's fetch client calls relative URLs: the base URL comes from the runtime (here, Node).
  const fetchBase = globalThis.fetch;
  globalThis.fetch = (input, init) => fetchBase(new URL(String(input), baseUrl), init);

  const signIn = await createToken({ username: "alice", password: "alice-dev-password" });
  if (signIn.status !== 200) throw new Error(`sign-in failed: ${signIn.status}`);
  const auth = { headers: { Authorization: `Bearer ${signIn.data.access_token}` } };

  const conversation = await createConversation({ title: "orval" }, auth);
  if (conversation.status !== 201) throw new Error("createConversation failed");
  const conversation_id = conversation.data.id;
  const message = await createMessage(conversation_id, { content: "I like tiles." }, auth);
  if (message.status !== 201) throw new Error("createMessage failed");

  // The JSON reply, narrowed by status to Reply.
  const json = await createReply(conversation_id, { content: "And Porto?" }, auth);
  if (json.status !== 201 || typeof json.data !== "object" || !("assistant_message" in json.data)) {
    throw new Error("createReply failed");
  }
  const first = json.data.assistant_message.role;

  // orval's client parses every body as JSON: stream from the generated URL with fetch.
  const request: ReplyRequest = { content: "What about Lisbon?", stream: true };
  const streamed = await fetch(getCreateReplyUrl(conversation_id), {
    method: "POST", body: JSON.stringify(request),
    headers: { ...auth.headers, "Content-Type": "application/json", Accept: "text/event-stream" },
  });
  if (streamed.status !== 201 || !streamed.body) throw new Error(`streamed createReply: ${streamed.status}`);
  const { messageId, text } = await readReply(streamed.body, {
    started: (data) => (JSON.parse(data) as ReplyStarted).message_id,
    delta: (data) => (JSON.parse(data) as ReplyDelta).text,
  });

  const stored = await getMessage(messageId, auth);
  if (stored.status !== 200 || stored.data.content !== text) throw new Error("the stored reply differs from the stream");

  // A 422, narrowed by status to its typed shape.
  const invalid = await createConversation({ title: "x".repeat(1000) }, auth);
  if (invalid.status !== 422) throw new Error("expected a 422");
  const item: ValidationErrorItem = invalid.data.detail[0];
  return JSON.stringify({ first, text, loc: [item.loc[0], item.loc[1]] });
}

flow(process.argv[2]).then((out) => console.log(out), (err) => { console.error(err); process.exit(1); });
