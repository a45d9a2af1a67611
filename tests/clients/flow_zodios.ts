// The frontend flow with openapi-zod-client's Zodios client (docs/frontend.md includes this file).
// Generated: npx openapi-zod-client spec/openapi.yaml -o client.ts
import { isErrorFromAlias } from "@zodios/core";
import type { z } from "zod";
import { createApiClient, schemas } from "./client";
import { readReply } from "./sse_events";

export async function flow(baseUrl: string): Promise<string> {
  const api = createApiClient(baseUrl);  // every answer is parsed with the contract's zod schemas
  const token = await api.createToken({ username: "alice", password: "alice-dev-password" });
  api.axios.defaults.headers.common.Authorization = `Bearer ${token.access_token}`;

  const conversation = await api.createConversation({ title: "zodios" });
  const conversation_id = conversation.id;
  const message = await api.createMessage({ content: "I like tiles." }, { params: { conversation_id } });
  if (message.content !== "I like tiles.") throw new Error("createMessage failed");

  // The JSON reply: Zodios types and parses it as Reply.
  const json = await api.createReply({ content: "And Porto?" }, { params: { conversation_id } });
  const first = json.assistant_message.role;

  // Zodios reads every answer whole and parses it as JSON: stream with its axios instance,
  // whose fetch adapter hands over the body as a ReadableStream (browsers and Node alike).
  const request: z.input<typeof schemas.ReplyRequest> = { content: "What about Lisbon?", stream: true };
  const streamed = await api.axios.post<ReadableStream<Uint8Array>>(
    `/api/v1/conversations/${conversation_id}/replies`, request,
    { adapter: "fetch", responseType: "stream", headers: { Accept: "text/event-stream" } });
  const { messageId, text } = await readReply(streamed.data, {
    started: (data) => schemas.ReplyStarted.parse(JSON.parse(data)).message_id,
    delta: (data) => schemas.ReplyDelta.parse(JSON.parse(data)).text,
  });

  const stored = await api.getMessage({ params: { message_id: messageId } });
  if (stored.content !== text) throw new Error("the stored reply differs from the stream");

  // A 422: Zodios throws; isErrorFromAlias narrows the error to the operation's documented ones.
  try {
    await api.createConversation({ title: "x".repeat(1000) });
  } catch (error) {
    if (isErrorFromAlias(api.api, "createConversation", error) && error.response.status === 422) {
      const item = error.response.data.detail[0];
      return JSON.stringify({ first, text, loc: [item.loc[0], item.loc[1]] });
    }
    throw error;
  }
  throw new Error("expected a 422");
}

flow(process.argv[2]).then((out) => console.log(out), (err) => { console.error(err); process.exit(1); });
