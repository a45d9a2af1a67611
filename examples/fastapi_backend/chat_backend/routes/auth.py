"""Tokens and the signed-in user."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Response

from ..addons import accepts
from ..deps import StateDep, UserDep
from ..models import TokenForm
from ..store import TOKEN_LIFETIME, USERS

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/token", operation_id="createToken",
             dependencies=[Depends(accepts("application/x-www-form-urlencoded"))])
def create_token(state: StateDep, response: Response, form: Annotated[TokenForm, Form()]) -> dict:
    state.throttle.attempt(form.username)  # counted before the password is checked
    user = USERS.get(form.username)
    given = form.password.get_secret_value().encode()
    if user is None or not secrets.compare_digest(user["password"].encode(), given):
        raise HTTPException(401, "Incorrect username or password",
                            headers={"WWW-Authenticate": "Bearer"})
    state.throttle.succeeded(form.username)
    response.headers["Cache-Control"] = "no-store"
    return {"access_token": state.issue_token(form.username), "token_type": "bearer",
            "expires_in": TOKEN_LIFETIME}


@router.get("/users/me", operation_id="getCurrentUser")
def get_current_user(user: UserDep) -> dict:
    return {k: user[k] for k in ("id", "username", "display_name")}
