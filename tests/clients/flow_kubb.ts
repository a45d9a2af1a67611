// The frontend flow with Kubb (@kubb/plugin-ts + @kubb/plugin-client; docs/frontend.md includes this file).
// Generated: npx kubb generate (kubb.config.ts in docs/frontend.md, with this folder's kubb_client.ts)
import { setConfig } from "./kubb_client";
import { createConversation } from "./gen/clients/createConversation";
import { createMessage } from "./gen/clients/createMessage";
import { createReply, getCreateReplyUrl } from "./gen/clients/createReply";
import { createToken } from "./gen/clients/createToken";
import { getMessage } from "./gen/clients/getMessage";
import type { ReplyDelta } from "./gen/types/ReplyDelta";
import type { ReplyRequest } from "./gen/types/ReplyRequest";
import type { ReplyStarted } from "./gen/types/ReplyStarted";
import type { ValidationErrorItem } from "./gen/types/ValidationErrorItem";
import { readReply } from "./sse_events";

export async function flow(baseUrl: string): Promise<string> {
  setConfig({ baseURL: baseUrl });
  const signIn = await createToken({ username: "alice", password: "alice-dev-password" });
  if (!signIn.ok) throw new Error(`sign-in failed: ${signIn.status}`);
  setConfig({ headers: { Authorization: `Bearer ${signIn.data.access_token}` } });

  const conversation = await createConversation({ title: "kubb" });
  if (!conversation.ok) throw new Error("createConversation failed");
  const conversation_id = conversation.data.id;
  const message = await createMessage(conversation_id, { content: "I like tiles." });
  if (!message.ok) throw new Error("createMessage failed");

  // The JSON reply: Kubb types the operation's JSON answer, Reply.
  const json = await createReply(conversation_id, { content: "And Porto?" });
  if (!json.ok) throw new Error("createReply failed");
  const first = json.data.assistant_message.role;

  // Kubb's clients read every body as JSON: stream from the generated URL with fetch.
  const request: ReplyRequest = { content: "What about Lisbon?", stream: true };
  const streamed = await fetch(baseUrl + getCreateReplyUrl(conversation_id).url, {
    method: "POST", body: JSON.stringify(request),
    headers: { Authorization: `Bearer ${signIn.data.access_token}`, "Content-Type": "application/json" },
  });
  if (streamed.status !== 201 || !streamed.body) throw new Error(`streamed createReply: ${streamed.status}`);
  const { messageId, text } = await readReply(streamed.body, {
    started: (data) => (JSON.parse(data) as ReplyStarted).message_id,
    delta: (data) => (JSON.parse(data) as ReplyDelta).text,
  });

  const stored = await getMessage(messageId);
  if (!stored.ok || stored.data.content !== text) throw new Error("the stored reply differs from the stream");

  // A 422: `error` is the union of the documented error bodies; narrow by status and shape.
  const invalid = await createConversation({ title: "x".repeat(1000) });
  if (invalid.ok || invalid.status !== 422 || typeof invalid.error.detail === "string") {
    throw new Error("expected a 422");
  }
  const item: ValidationErrorItem = invalid.error.detail[0];
  const limit: number | undefined = item.ctx?.max_length;  // pydantic's ctx keys are typed
  return JSON.stringify({ first, text, loc: [item.loc[0], item.loc[1]], limit });
}

flow(process.argv[2]).then((out) => console.log(out), (err) => { console.error(err); process.exit(1); });
