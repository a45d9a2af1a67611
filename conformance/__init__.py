"""The conformance suite: judge any deployment of the chat API against the contract over HTTP.

It never imports `reference_impl`: everything it knows comes from the contract and the wire.
"""

__all__: list[str] = []
