"""Mock controls for frontend teams: chosen responses, latency, faults, sessions, a journal.

    MockLayer (outermost, inside CORS)                  layer.py
      ├── /__mock/...  -> admin API                      admin.py (spec/admin-openapi.yaml)
      ├── Prefer       -> Preferences                    prefer.py
      ├── X-Mock-Session -> a valid name, nothing more;  sessions.py
      │     app.ContractMiddleware picks its State after authentication
      │     (the read-only fixtures until its first authenticated write)
      └── every request -> the journal                   journal.py (+ conformity.py)
    PreferResponder (after auth and validation)          responder.py
      └── code= / example= / dynamic= -> a response read from the contract
                                                         canned.py, dynamic.py
    stream controls (pacing, break, error)               streaming.py via prefer.STREAM

Nothing here runs on a request that carries neither `Prefer` nor `X-Mock-Session`, except
one journal append (a tuple into a deque; the journal is bounded in bytes as a whole).
"""
