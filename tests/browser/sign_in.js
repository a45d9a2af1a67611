// The first steps of the test pages here, as a frontend takes them: sign in as alice (a fixture
// user), then create a conversation. Returns the JSON headers to send and the conversation.
async function signInAndCreate(api, title) {
  const tok = await fetch(api + "/api/v1/auth/token", {method: "POST",
    headers: {"Content-Type": "application/x-www-form-urlencoded"},
    body: "username=alice&password=alice-dev-password"}).then(r => r.json());
  const auth = {"Authorization": "Bearer " + tok.access_token, "Content-Type": "application/json"};
  const conv = await fetch(api + "/api/v1/conversations", {method: "POST", headers: auth,
    body: JSON.stringify({title})}).then(r => r.json());
  return {auth, conv};
}
