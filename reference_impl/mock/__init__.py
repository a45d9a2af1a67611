"""Mock controls for frontend teams: chosen responses, latency, faults, sessions, a journal.

    MockLayer (outermost, inside CORS)                  layer.py
      ├── /__mock/...  -> admin API                      admin.py (spec/admin-openapi.yaml)
      ├── Prefer       -> Preferences                    prefer.py
      ├── X-Mock-Session -> a session's State            sessions.py
      └── every request -> the journal                   journal.py (+ conformity.py)
    PreferResponder (after auth and validation)          responder.py
      └── code= / example= / dynamic= -> a response read from the contract
                                                         canned.py, dynamic.py
    stream controls (pacing, break, error)               streaming.py via prefer.STREAM

Nothing here runs on a request that carries neither `Prefer` nor `X-Mock-Session`, except
one journal append (a tuple into a bounded deque).
"""
