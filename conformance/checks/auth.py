"""Auth: issuing tokens and reading the signed-in user."""

from __future__ import annotations

from .base import Context, expect, expect_status, requirement


@requirement("AUTH-001")
def token_is_issued_for_valid_credentials(ctx: Context) -> None:
    if ctx.username is None or ctx.password is None:
        from ..errors import PrerequisiteFailed

        raise PrerequisiteFailed("the run was given tokens, not credentials")
    response = ctx.anonymous.post("/api/v1/auth/token", token=None,
                                  data={"grant_type": "password", "username": ctx.username,
                                        "password": ctx.password})
    expect_status(response, 200, "Signing in with valid credentials")
    body = response.json()
    expect(isinstance(body, dict) and body.get("token_type", "").lower() == "bearer"
           and isinstance(body.get("access_token"), str),
           summary="The token response is not a bearer token", received=body,
           documented="{access_token, token_type: bearer, expires_in}", response=response)
    expect(response.headers.get("cache-control", "").lower() == "no-store",
           summary="The token response may be cached", received=response.headers.get("cache-control"),
           documented="Cache-Control: no-store", response=response)


@requirement("AUTH-002")
def wrong_credentials_answer_401(ctx: Context) -> None:
    response = ctx.anonymous.post("/api/v1/auth/token", token=None,
                                  data={"grant_type": "password", "username": ctx.username or "nobody",
                                        "password": f"wrong-{ctx.unique}"})
    expect_status(response, 401, "Signing in with a wrong password")


@requirement("AUTH-003")
def current_user_is_the_token_user(ctx: Context) -> None:
    response = ctx.user1.get("/api/v1/users/me")
    expect_status(response, 200, "Reading the signed-in user")
    me = response.json()
    other = ctx.user2.get("/api/v1/users/me")
    expect_status(other, 200, "Reading the second signed-in user")
    expect(me.get("id") != other.json().get("id"),
           summary="Two users' tokens describe the same user", received=me.get("id"),
           documented="distinct users", response=other)
    if ctx.username is not None:
        expect(me.get("username") == ctx.username,
               summary="GET /users/me names another user", received=me.get("username"),
               documented=ctx.username, response=response)
